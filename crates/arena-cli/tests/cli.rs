//! The real `arena` binary on real temporary files.

// Test helpers: short names for temp dirs and battles; strings built with `format!`.
#![allow(clippy::many_single_char_names, clippy::format_push_string)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("arena-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, body: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn arena(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Battles where "strong" beats "mid" beats "weak" most of the time, with ids.
fn battles_jsonl(prefix: &str, n: usize) -> String {
    let mut out = String::new();
    let pairs = [("strong", "mid"), ("mid", "weak"), ("strong", "weak")];
    for i in 0..n {
        let (a, b) = pairs[i % 3];
        let w = match i % 10 {
            0..=6 => "model_a",
            7 | 8 => "model_b",
            _ => "tie",
        };
        let (a, b, w) = if i % 2 == 0 {
            (a, b, w)
        } else {
            let flipped = match w {
                "model_a" => "model_b",
                "model_b" => "model_a",
                t => t,
            };
            (b, a, flipped)
        };
        out.push_str(&format!(
            "{{\"id\":\"{prefix}{i}\",\"model_a\":\"{a}\",\"model_b\":\"{b}\",\"winner\":\"{w}\",\"judge\":\"j{}\",\"tstamp\":{i}}}\n",
            i % 4
        ));
    }
    out
}

#[test]
fn leaderboard_csv_has_the_contract_columns_and_sensible_order() {
    let d = TempDir::new("lb-csv");
    let f = d.file("votes.jsonl", &battles_jsonl("v", 300));
    let o = arena(&["leaderboard", s(&f), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "rank_ub,model,rating,ci_lower,ci_upper,online_elo,battles,win_rate"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let models: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(models, ["strong", "mid", "weak"]);
    let ratings: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    assert!((ratings.iter().sum::<f64>() / 3.0 - 1000.0).abs() < 1e-3);
    for r in &rows {
        let (rating, lo, hi): (f64, f64, f64) = (
            r[2].parse().unwrap(),
            r[3].parse().unwrap(),
            r[4].parse().unwrap(),
        );
        assert!(lo < rating && rating < hi, "{r:?}");
        assert_eq!(r[6], "200", "each model plays two of the three pairs");
    }
    assert_eq!(rows[0][0], "1");
    assert_eq!(rows[2][0], "3", "weak is clearly below both others");
}

#[test]
fn leaderboard_json_bootstrap_is_seeded_and_anchor_pins() {
    let d = TempDir::new("lb-json");
    let f = d.file("votes.jsonl", &battles_jsonl("v", 300));
    let run = |seed: &str| {
        let o = arena(&[
            "leaderboard",
            s(&f),
            "--format",
            "json",
            "--bootstrap",
            "40",
            "--seed",
            seed,
            "--anchor",
            "mid=1200",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()
    };
    let a = run("5");
    assert_eq!(a, run("5"));
    assert_ne!(a, run("6"));
    let mid = a
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "mid")
        .unwrap();
    assert!((mid["rating"].as_f64().unwrap() - 1200.0).abs() < 1e-9);
    for key in [
        "rank_ub",
        "model",
        "rating",
        "ci_lower",
        "ci_upper",
        "online_elo",
        "battles",
        "win_rate",
    ] {
        assert!(mid.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn leaderboard_table_category_and_style_control() {
    let d = TempDir::new("lb-table");
    let f = d.file("votes.jsonl", &battles_jsonl("v", 300));
    let o = arena(&[
        "leaderboard",
        s(&f),
        "--category",
        "no-tie",
        "--style-control",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Rank (UB)") && out.contains("strong"));
    assert!(out.contains("Style coefficients"));
    assert!(stderr(&o).contains("other category"), "{}", stderr(&o));
    let o = arena(&["leaderboard", s(&f), "--category", "math"]);
    assert!(
        !o.status.success(),
        "no math battles: an error, not an empty board"
    );
}

#[test]
fn a_bad_line_names_its_line_and_can_be_skipped() {
    let d = TempDir::new("bad");
    let mut body = battles_jsonl("v", 30);
    body.push_str("{\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"model_q\"}\n");
    body.push_str(&battles_jsonl("w", 3));
    let f = d.file("votes.jsonl", &body);
    let o = arena(&["leaderboard", s(&f)]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("line 31") && e.contains("model_q"), "{e}");
    let o = arena(&["leaderboard", s(&f), "--skip-bad-lines", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing is written by convert when a line is bad.
    let out = d.path("out.jsonl");
    let o = arena(&["convert", s(&f), "-o", s(&out)]);
    assert!(!o.status.success());
    assert!(!out.exists());
}

#[test]
fn merge_dedups_by_id_and_reports_each_source() {
    let d = TempDir::new("merge");
    let a = d.file("alice.jsonl", &battles_jsonl("v", 10));
    // Bob's export repeats four of Alice's votes and adds five.
    let mut bob = battles_jsonl("v", 4);
    bob.push_str(&battles_jsonl("b", 5));
    let b = d.file("bob.jsonl", &bob);
    let out = d.path("pooled.jsonl");
    let o = arena(&["merge", s(&a), s(&b), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("alice.jsonl: read 10, added 10, duplicates 0"),
        "{e}"
    );
    assert!(
        e.contains("bob.jsonl: read 9, added 5, duplicates 4"),
        "{e}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 15);
}

#[test]
fn convert_round_trips_through_fastchat_json_and_csv() {
    let d = TempDir::new("convert");
    let src = d.file("votes.jsonl", &battles_jsonl("v", 60));
    let json = d.path("battles.json");
    let o = arena(&["convert", s(&src), "-o", s(&json), "--to", "fastchat-json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let arr: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(arr.len(), 60);
    assert!(arr[0].get("id").is_none(), "FastChat fields only");
    let csv = d.path("battles.csv");
    let o = arena(&["convert", s(&src), "-o", s(&csv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same leaderboard from all three files.
    let board = |p: &Path| {
        let o = arena(&["leaderboard", s(p), "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(board(&src), board(&csv));
    assert_eq!(board(&src), board(&json));
}

#[test]
fn convert_to_preference_pairs_skips_ties() {
    let d = TempDir::new("dpo");
    let conv = |a: &str| {
        format!(
            "[{{\"role\":\"user\",\"content\":\"Q\"}},{{\"role\":\"assistant\",\"content\":\"{a}\"}}]"
        )
    };
    let mut body = String::new();
    for (i, w) in ["model_a", "tie", "model_b", "tie (bothbad)"]
        .iter()
        .enumerate()
    {
        body.push_str(&format!(
            "{{\"id\":\"{i}\",\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"{w}\",\"conversation_a\":{},\"conversation_b\":{}}}\n",
            conv("from x"),
            conv("from y")
        ));
    }
    let src = d.file("votes.jsonl", &body);
    let out = d.path("pairs.jsonl");
    let o = arena(&["convert", s(&src), "-o", s(&out), "--to", "dpo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["chosen"], "from x");
    assert_eq!(lines[1]["chosen"], "from y");
    assert_eq!(lines[1]["rejected"], "from x");
    assert_eq!(lines[0]["prompt"], "Q");
}

#[test]
fn kaggle_csv_is_read() {
    let d = TempDir::new("kaggle");
    let mut body = String::from(
        "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n",
    );
    for i in 0..40 {
        let (wa, wb, wt) = match i % 4 {
            0 | 1 => (1, 0, 0),
            2 => (0, 1, 0),
            _ => (0, 0, 1),
        };
        body.push_str(&format!(
            "{i},big,small,\"[\"\"q{i}\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\",{wa},{wb},{wt}\n"
        ));
    }
    let f = d.file("train.csv", &body);
    let o = arena(&["leaderboard", s(&f), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().nth(1).unwrap().contains(",big,"), "{out}");
}

/// `arena` with `ARENA_THREADS` set.
fn arena_threads(threads: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .env("ARENA_THREADS", threads)
        .args(args)
        .output()
        .unwrap()
}

/// Files over 8 MiB are read in parts on several threads: the board, the repeats dropped and
/// the bad lines reported (with their line numbers in the whole file) are those of a whole
/// read, for JSONL and for unquoted CSV.
#[test]
fn large_files_read_in_parts_give_what_a_whole_read_gives() {
    let d = TempDir::new("parts");
    let n = 210_000;
    let mut jsonl = battles_jsonl("v", n);
    // Repeats of early votes late in the file (they cross parts), and two bad lines.
    jsonl.push_str(&battles_jsonl("v", 2_000));
    jsonl.push_str("{\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"model_q\"}\n");
    jsonl.push_str(&battles_jsonl("w", 500));
    jsonl.push_str("{\"model_a\":\"x\"}\n");
    let bad_lines = [n + 2_000 + 1, n + 2_000 + 500 + 2];
    let mut csv = String::from("question_id,model_a,model_b,winner,judge,tstamp,anony\n");
    for i in 0..n {
        let (a, b) = [("strong", "mid"), ("mid", "weak"), ("weak", "strong")][i % 3];
        let w = ["model_a", "model_b", "tie", "model_a", "tie (bothbad)"][i % 5];
        csv.push_str(&format!("q{i},{a},{b},{w},judge-{},{i}.5,true\n", i % 17));
    }
    // Exact repeats (no id: pooled by content) and a bad verdict near the end.
    let mut repeats = String::new();
    for l in csv.lines().skip(1).take(1_000) {
        repeats.push_str(l);
        repeats.push('\n');
    }
    csv.push_str(&repeats);
    csv.push_str("q-bad,strong,mid,model_q,j,1.0,true\n");
    let csv_bad_line = n + 1 + 1_000 + 1;
    let files = [
        (d.file("big.jsonl", &jsonl), bad_lines[0], 2_000),
        (d.file("big.csv", &csv), csv_bad_line, 1_000),
    ];
    for (f, first_bad, repeated) in &files {
        assert!(std::fs::metadata(f).unwrap().len() > 8 << 20);
        let args = ["leaderboard", s(f), "--format", "csv", "--skip-bad-lines"];
        let whole = arena_threads("1", &args);
        let parts = arena_threads("3", &args);
        assert!(whole.status.success(), "{}", stderr(&whole));
        assert_eq!(stdout(&parts), stdout(&whole));
        assert_eq!(stderr(&parts), stderr(&whole));
        let e = stderr(&parts);
        assert!(e.contains(&format!("{repeated} repeated votes")), "{e}");
        assert!(e.contains(&format!("line {first_bad}:")), "{e}");
        // Without --skip-bad-lines the first bad line stops both, named the same way.
        let whole = arena_threads("1", &args[..4]);
        let parts = arena_threads("3", &args[..4]);
        assert!(!parts.status.success());
        assert_eq!(stderr(&parts), stderr(&whole));
        assert!(
            stderr(&parts).contains(&format!("line {first_bad}:")),
            "{}",
            stderr(&parts)
        );
    }
    let e = stderr(&arena_threads(
        "2",
        &["leaderboard", s(&files[0].0), "--skip-bad-lines"],
    ));
    assert!(e.contains(&format!("line {}:", bad_lines[1])), "{e}");
}
