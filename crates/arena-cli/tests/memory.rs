//! Large inputs stream: the real `arena` binary on a file of long conversations never holds
//! the file in memory. Peak memory is read with `getrusage(RUSAGE_CHILDREN)`, so this test
//! lives in its own binary (no other test's child processes count). The figure is the
//! largest peak of the children so far, so it bounds every run up to then.
#![cfg(unix)]

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use nix::sys::resource::{UsageWho, getrusage};

/// Peak resident memory of the largest child waited for so far, in bytes.
fn children_peak_rss() -> u64 {
    let kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();
    u64::try_from(kib).unwrap() * 1024
}

/// Writes `n` votes of about `chars` characters of conversation each; returns the path and size.
fn long_votes(dir: &std::path::Path, n: usize, chars: usize) -> (PathBuf, u64) {
    let path = dir.join("long.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let models = ["model-a", "model-b", "model-c", "model-d"];
    let answer = "All work and no play makes a long answer. ".repeat(chars / 2 / 42 + 1);
    for i in 0..n {
        let (a, b) = (models[i % 4], models[(i / 4 + i + 1) % 4]);
        let (a, b) = if a == b {
            (a, models[(i + 2) % 4])
        } else {
            (a, b)
        };
        let winner = ["model_a", "model_b", "tie"][i % 3];
        let conv = |side: &str| {
            serde_json::json!([
                {"role": "user", "content": format!("question {i}")},
                {"role": "assistant", "content": format!("{side} {answer}")},
            ])
        };
        let line = serde_json::json!({
            "id": format!("v{i}"), "model_a": a, "model_b": b, "winner": winner,
            "tstamp": i, "conversation_a": conv("a"), "conversation_b": conv("b"),
        });
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let size = std::fs::metadata(&path).unwrap().len();
    (path, size)
}

#[test]
fn leaderboard_and_convert_stream_a_large_file() {
    let dir = std::env::temp_dir().join(format!("arena-cli-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, size) = long_votes(&dir, 4_000, 20_000);
    assert!(size > 64 << 20, "the input is {size} bytes");
    let out = dir.join("out.jsonl");
    // The binary's fixed cost (its relocated data, the loader, the runtime) is not what this
    // test bounds, and it grows with what the binary links (`arena serve` brought axum and
    // sqlx): measure it first, on a run that reads nothing, and bound what comes on top.
    let o = Command::new(env!("CARGO_BIN_EXE_arena"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(o.status.success());
    let fixed = children_peak_rss();
    let runs: [(&str, Vec<&str>); 2] = [
        (
            "leaderboard",
            vec!["leaderboard", input.to_str().unwrap(), "--format", "csv"],
        ),
        (
            "convert",
            vec![
                "convert",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        ),
    ];
    for (what, args) in runs {
        let o = Command::new(env!("CARGO_BIN_EXE_arena"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let peak = children_peak_rss();
        let bound = size / 4;
        assert!(
            peak - fixed < bound,
            "{what}: peak {peak} bytes ({fixed} of them the binary's fixed cost) for a \
             {size}-byte input (bound {bound} over the fixed cost)"
        );
        eprintln!(
            "{what}: peak {:.1} MiB ({:.1} MiB fixed) for {:.0} MiB of input",
            peak as f64 / 1_048_576.0,
            fixed as f64 / 1_048_576.0,
            size as f64 / 1_048_576.0
        );
    }
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 4_000, "convert writes every vote");
    assert!(written.len() as u64 > size / 2, "with its conversations");
    std::fs::remove_dir_all(&dir).unwrap();
}
