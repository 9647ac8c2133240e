//! `arena serve` (DESIGN.md §5, sync protocol v1): the real binary on a loopback port, real HTTP,
//! real SQLite files and a real PostgreSQL (Debian's binaries, started here in a temporary data
//! directory on a free loopback port and stopped when this test process exits).
//!
//! Without PostgreSQL binaries the PostgreSQL tests print a `SKIPPED` line (straight to the
//! terminal, past the test harness's capture) and pass; `scripts/setup.sh test` installs them.
//! Nothing here is decided by a timing: sleeps only give the other side a chance to move.

#![cfg(unix)]
// Test helpers: short names for clients, statuses and replies; tables of cases.
#![allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::type_complexity,
    clippy::assigning_clones,
    clippy::single_match_else
)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

const WRITE: &str = "w-secret-7f3a9c";
const READ: &str = "r-secret-51d2e8";

// ---------------------------------------------------------------------------------------------
// Temporary folders, the server process, PostgreSQL.

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("arena-serve-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn sqlite(&self) -> String {
        format!("sqlite:{}", self.path("arena.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `arena serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(db: &str, log: &Path, extra: &[&str]) -> Server {
        Server::start_at(db, log, "127.0.0.1:0", extra)
    }

    fn start_at(db: &str, log: &Path, addr: &str, extra: &[&str]) -> Server {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_arena"))
            .args(["serve", "--addr", addr, "--db", db])
            .args(extra)
            .args(if extra.contains(&"--rate-limit") {
                &[][..]
            } else {
                &["--rate-limit", "1000000"][..]
            })
            .env("ARENA_WRITE_TOKEN", WRITE)
            .env("ARENA_READ_TOKEN", READ)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("arena serve: listening on ") else {
            let _ = child.kill();
            panic!(
                "arena serve did not start: {line:?}; log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        Server {
            base: url.to_owned(),
            child,
            _stdout: out,
        }
    }

    fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, sig).unwrap();
    }

    fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Pg {
    port: u16,
    bin: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL server for this whole test process, or `None` (with a loud line) when its
/// binaries are absent. A watchdog shell stops it and removes its folder once this process is
/// gone, however it ends.
fn pg() -> Option<&'static Pg> {
    static PG: OnceLock<Option<Pg>> = OnceLock::new();
    PG.get_or_init(|| {
        let bin = pg_bin();
        if !bin.join("postgres").exists() || !bin.join("initdb").exists() {
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: PostgreSQL tests of arena serve: no PostgreSQL binaries in {} \
                 (install Debian's postgresql, e.g. scripts/setup.sh test, or set ARENA_PG_BIN)\n",
                bin.display()
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("arena-serve-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // initdb refuses root: the server then runs as `nobody`, owning its folder.
        let as_user: Vec<String> = if is_root() {
            assert!(
                Command::new("chown")
                    .args(["-R", "nobody"])
                    .arg(&dir)
                    .status()
                    .unwrap()
                    .success()
            );
            [
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        };
        let data = dir.join("data");
        let mut init = vec![bin.join("initdb").display().to_string()];
        init.extend(
            [
                "-D",
                &data.display().to_string(),
                "-U",
                "arena",
                "--auth=trust",
                "-E",
                "UTF8",
            ]
            .map(String::from),
        );
        init.push("--no-sync".into());
        let argv: Vec<String> = as_user.iter().cloned().chain(init).collect();
        let out = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let postgres = format!(
            "{} {} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c synchronous_commit=off",
            as_user.join(" "),
            bin.join("postgres").display(),
            data.display(),
            dir.display()
        );
        let watchdog = format!(
            "{postgres} >{log} 2>&1 & pg=$!; \
             while kill -0 {me} 2>/dev/null; do sleep 0.5; done; \
             kill -INT $pg; wait $pg; rm -rf {dir}",
            log = dir.join("log").display(),
            me = std::process::id(),
            dir = dir.display()
        );
        // Not waited for: it outlives this process on purpose.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &watchdog])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ready = (0..600).any(|_| {
            let ok = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                std::thread::sleep(Duration::from_millis(100));
            }
            ok
        });
        assert!(
            ready,
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        Some(Pg { port, bin })
    })
    .as_ref()
}

/// `ARENA_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` (Debian's layout).
fn pg_bin() -> PathBuf {
    if let Some(b) = std::env::var_os("ARENA_PG_BIN") {
        return PathBuf::from(b);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"), |f| f.1)
}

/// A fresh database on the shared PostgreSQL server, as a URL for `--db`.
fn pg_db(pg: &Pg, name: &str) -> String {
    let out = Command::new(pg.bin.join("psql"))
        .args([
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "arena",
            "-d",
        ])
        .args(["postgres", "-c", &format!("CREATE DATABASE {name}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "createdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("postgres://arena@127.0.0.1:{}/{name}", pg.port)
}

// ---------------------------------------------------------------------------------------------
// HTTP.

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn push_raw(
    c: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Result<(u16, Value)> {
    let mut r = c
        .post(format!("{base}/v1/votes"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let res = r.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn push(c: &reqwest::Client, base: &str, votes: &[Value]) -> reqwest::Result<(u16, Value)> {
    push_raw(
        c,
        base,
        Some(WRITE),
        serde_json::to_vec(&json!({ "votes": votes })).unwrap(),
    )
    .await
}

async fn get(c: &reqwest::Client, base: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = c.get(format!("{base}{path}"));
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Every stored vote, paging by cursor with `limit`; checks each page's shape.
async fn pull_all(c: &reqwest::Client, base: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let (s, page) = get(
            c,
            base,
            &format!("/v1/votes?after={after}&limit={limit}"),
            Some(READ),
        )
        .await;
        assert_eq!(s, 200, "{page}");
        let votes = page["votes"].as_array().unwrap();
        assert!(votes.len() <= limit);
        out.extend(votes.iter().cloned());
        after = page["next"].as_str().unwrap().to_owned();
        if !page["has_more"].as_bool().unwrap() {
            return out;
        }
    }
}

fn ids(votes: &[Value]) -> Vec<String> {
    votes
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn vote(id: &str, a: &str, b: &str, winner: &str) -> Value {
    json!({
        "id": id, "schema": 1, "arena_id": "team", "question_id": format!("q-{id}"),
        "model_a": a, "model_b": b, "winner": winner, "judge": "judge-1",
        "conversation_a": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "A"}],
        "conversation_b": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "B"}],
        "turn": 1, "anony": true, "language": "English", "tstamp": 1_700_000_000.5
    })
}

/// A deterministic spread of votes over five models (a small LCG; no randomness crate).
fn votes_for(prefix: &str, n: usize, seed: u64) -> Vec<Value> {
    let models = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let winners = ["model_a", "model_b", "tie", "tie (bothbad)", "model_a"];
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move |m: usize| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(x >> 33).unwrap() % m
    };
    (0..n)
        .map(|i| {
            let a = next(5);
            let b = (a + 1 + next(4)) % 5;
            // The first-listed model wins more often, so the ratings are spread.
            let w = if a < b {
                winners[next(5)]
            } else {
                winners[next(4)]
            };
            vote(&format!("{prefix}-{i:05}"), models[a], models[b], w)
        })
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Bad input.

async fn bad_input(base: &str, log: &Path) {
    // A new connection per request: the server closes one whose body it refused unread
    // (413), and a pooled client could pick that one again as it closes.
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (s, h) = get(&c, base, "/v1/health", None).await;
    assert_eq!((s, h), (200, json!({"status": "ok"})));

    let baseline = votes_for("base", 3, 1);
    let (s, r) = push(&c, base, &baseline).await.unwrap();
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"accepted": 3, "duplicate": 0, "rejected": []}));

    let good = |i: usize| vote(&format!("never-{i}"), "alpha", "beta", "model_a");
    let many = |n: usize| (0..n).map(good).collect::<Vec<_>>();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = good(9000);
        f(&mut v);
        serde_json::to_vec(&json!({ "votes": [good(1), v, good(2)] })).unwrap()
    };
    let deep = format!(
        "{{\"votes\":[{{\"id\":\"d\",\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\",\"conv_metadata\":{}1{}}}]}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let huge = "x".repeat(2 << 20);
    let cases: Vec<(&str, Option<&str>, Vec<u8>, u16, &str)> = vec![
        (
            "missing token",
            None,
            serde_json::to_vec(&json!({"votes": [good(0)]})).unwrap(),
            401,
            "token",
        ),
        (
            "wrong token",
            Some("w-secret-7f3a9d"),
            serde_json::to_vec(&json!({"votes": [good(0)]})).unwrap(),
            401,
            "token",
        ),
        (
            "read token cannot push",
            Some(READ),
            serde_json::to_vec(&json!({"votes": [good(0)]})).unwrap(),
            401,
            "token",
        ),
        (
            "malformed JSON",
            Some(WRITE),
            b"{\"votes\": [".to_vec(),
            400,
            "JSON",
        ),
        (
            "not JSON at all",
            Some(WRITE),
            b"votes=1".to_vec(),
            400,
            "JSON",
        ),
        (
            "votes not a list",
            Some(WRITE),
            br#"{"votes": "all of them"}"#.to_vec(),
            400,
            "JSON",
        ),
        (
            "no votes field",
            Some(WRITE),
            br#"{"vote": []}"#.to_vec(),
            400,
            "votes",
        ),
        (
            "a record not an object",
            Some(WRITE),
            br#"{"votes": [42]}"#.to_vec(),
            400,
            "nothing was stored",
        ),
        (
            "model_a a number",
            Some(WRITE),
            with(&|v| v["model_a"] = json!(7)),
            400,
            "nothing was stored",
        ),
        (
            "tstamp a string",
            Some(WRITE),
            with(&|v| v["tstamp"] = json!("yesterday")),
            400,
            "nothing was stored",
        ),
        (
            "unknown winner label",
            Some(WRITE),
            with(&|v| v["winner"] = json!("model_c")),
            400,
            "nothing was stored",
        ),
        (
            "missing winner",
            Some(WRITE),
            with(&|v| {
                v.as_object_mut().unwrap().remove("winner");
            }),
            400,
            "nothing was stored",
        ),
        (
            "missing id",
            Some(WRITE),
            with(&|v| {
                v.as_object_mut().unwrap().remove("id");
            }),
            400,
            "nothing was stored",
        ),
        (
            "id too long",
            Some(WRITE),
            with(&|v| v["id"] = json!("i".repeat(129))),
            400,
            "nothing was stored",
        ),
        (
            "NUL in id",
            Some(WRITE),
            with(&|v| v["id"] = json!("a\u{0}b")),
            400,
            "nothing was stored",
        ),
        (
            "huge model name",
            Some(WRITE),
            with(&|v| v["model_a"] = json!(huge)),
            400,
            "nothing was stored",
        ),
        (
            "lone surrogate",
            Some(WRITE),
            br#"{"votes":[{"id":"s","model_a":"\ud800","model_b":"b","winner":"tie"}]}"#.to_vec(),
            400,
            "JSON",
        ),
        ("deep nesting", Some(WRITE), deep.into_bytes(), 400, "JSON"),
        (
            "1001 votes",
            Some(WRITE),
            serde_json::to_vec(&json!({"votes": many(1001)})).unwrap(),
            413,
            "1000",
        ),
        (
            "9 MiB body",
            Some(WRITE),
            serde_json::to_vec(&json!({"votes": [good(0)], "pad": "p".repeat(9 << 20)})).unwrap(),
            413,
            "bytes",
        ),
    ];
    for (what, token, body, status, msg) in cases {
        let (s, r) = push_raw(&c, base, token, body).await.unwrap();
        assert_eq!(s, status, "{what}: {r}");
        let error = r["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no error message: {r}"));
        assert!(
            error.contains(msg),
            "{what}: {error:?} should mention {msg:?}"
        );
        if error.contains("nothing was stored") {
            let rejected = r["rejected"].as_array().unwrap();
            assert_eq!(
                rejected.len(),
                1,
                "{what}: only the bad record is named: {r}"
            );
        }
        // The server keeps serving after each.
        assert_eq!(get(&c, base, "/v1/health", None).await.0, 200, "{what}");
    }

    // Bad pulls.
    for (path, token, status) in [
        ("/v1/votes", None, 401),
        ("/v1/votes", Some("nope"), 401),
        ("/v1/leaderboard", None, 401),
        ("/v1/votes?after=abc", Some(READ), 400),
        ("/v1/votes?after=-1", Some(READ), 400),
        ("/v1/votes?limit=0", Some(READ), 400),
        ("/v1/votes?limit=1001", Some(READ), 400),
        ("/v1/votes?limit=ten", Some(READ), 400),
        ("/v1/votes?after=1%27%20OR%201=1--", Some(READ), 400),
    ] {
        let (s, r) = get(&c, base, path, token).await;
        assert_eq!(s, status, "{path}: {r}");
        assert!(r["error"].is_string(), "{path}: {r}");
    }

    // Nothing partial was stored: only the baseline.
    let stored = pull_all(&c, base, 1000).await;
    assert_eq!(ids(&stored), ids(&baseline));

    // SQL-looking and odd Unicode strings are data, stored and returned verbatim.
    let odd = [
        "'); DROP TABLE votes; --",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM votes WHERE ('1'='1",
        "مرحبا \u{202e}evil\u{202c} 🧪👩🏽‍🔬 e\u{301} \u{feff}",
        "tab\tnew\nline NUL\u{0}inside",
        "\u{10ffff}\u{fffd}",
    ];
    let odd_votes: Vec<Value> = odd
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut v = vote(&format!("odd-{i}-é🧪"), s, "beta", "model_b");
            v["judge"] = json!(s);
            v["conversation_a"][0]["content"] = json!(s);
            v
        })
        .collect();
    // Ids are plain text too (no control characters).
    let mut sql_id = vote("x'; DROP TABLE votes; --", "alpha", "beta", "tie");
    sql_id["categories"] = json!(["'; --", "ünïcödé"]);
    let mut all = odd_votes.clone();
    all.push(sql_id.clone());
    let (s, r) = push(&c, base, &all).await.unwrap();
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], json!(all.len()));
    let stored = pull_all(&c, base, 2).await;
    assert_eq!(stored.len(), 3 + all.len());
    for (sent, got) in all.iter().zip(&stored[3..]) {
        assert_eq!(got["id"], sent["id"]);
        assert_eq!(got["model_a"], sent["model_a"]);
        assert_eq!(got["judge"], sent["judge"]);
        assert_eq!(got["conversation_a"], sent["conversation_a"]);
        assert_eq!(got["categories"], sent["categories"]);
    }
    // A resend is a duplicate, never a rewrite.
    let mut changed = sql_id.clone();
    changed["winner"] = json!("model_a");
    let (s, r) = push(&c, base, &[changed, baseline[0].clone()])
        .await
        .unwrap();
    assert_eq!(
        (s, r),
        (200, json!({"accepted": 0, "duplicate": 2, "rejected": []}))
    );
    let again = pull_all(&c, base, 1000).await;
    assert_eq!(again, stored);
    // Repeats inside one batch count once.
    let v = vote("twice", "alpha", "beta", "tie");
    let (s, r) = push(&c, base, &[v.clone(), v]).await.unwrap();
    assert_eq!(
        (s, r),
        (200, json!({"accepted": 1, "duplicate": 1, "rejected": []}))
    );
    // The empty batch is fine.
    let (s, r) = push(&c, base, &[]).await.unwrap();
    assert_eq!(
        (s, r),
        (200, json!({"accepted": 0, "duplicate": 0, "rejected": []}))
    );

    // The request log names requests, never tokens, bodies or queries.
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains("/v1/votes") && text.contains("status=401") && text.contains("status=413")
    );
    for secret in [
        WRITE,
        READ,
        "w-secret-7f3a9d",
        "DROP TABLE",
        "never-1",
        "model_c",
        "after=",
    ] {
        assert!(!text.contains(secret), "the log shows {secret:?}");
    }
}

#[test]
fn sqlite_bad_input_gets_4xx_and_stores_nothing() {
    let t = TempDir::new("bad");
    let log = t.path("log");
    let server = Server::start(&t.sqlite(), &log, &[]);
    rt().block_on(bad_input(&server.base, &log));
    // The database is a WAL SQLite file with a migration table.
    let db = t.path("arena.db");
    assert!(db.exists());
    drop(server);
    let restarted = Server::start(&t.sqlite(), &log, &[]);
    rt().block_on(async {
        let c = client();
        let stored = pull_all(&c, &restarted.base, 1000).await;
        assert_eq!(stored.len(), 3 + 7 + 1);
    });
}

#[test]
fn postgres_bad_input_gets_4xx_and_stores_nothing() {
    let Some(pg) = pg() else { return };
    let t = TempDir::new("pgbad");
    let log = t.path("log");
    let server = Server::start(&pg_db(pg, "bad_input"), &log, &[]);
    rt().block_on(bad_input(&server.base, &log));
}

#[test]
fn serve_refuses_to_start_without_a_write_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db", "sqlite::memory:"])
        .env_remove("ARENA_WRITE_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("write token"));
    let out = Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db", "mysql://x"])
        .env("ARENA_WRITE_TOKEN", WRITE)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:PATH or postgres://"));
}

// ---------------------------------------------------------------------------------------------
// Load and faults.

/// 50 clients × 200 votes in batches of 1 to 37, spread over `bases`; every batch is retried
/// until acknowledged, every third is sent twice, every fifth is first sent by a client that
/// gives up after a millisecond (a lost answer), and each batch repeats the last votes of the
/// one before. Meanwhile a reader pages through the votes by cursor. Ends with exactly 10,000
/// stored, each pulled exactly once.
async fn load(bases: &[String]) {
    const CLIENTS: usize = 50;
    const PER_CLIENT: usize = 200;
    let done = Arc::new(AtomicBool::new(false));
    // One reader per instance.
    let readers: Vec<_> = bases
        .iter()
        .map(|base| {
            let done = done.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let c = client();
                let mut seen = Vec::new();
                let mut after = String::new();
                let mut finishing = false;
                loop {
                    let (s, page) = get(
                        &c,
                        &base,
                        &format!("/v1/votes?after={after}&limit=97"),
                        Some(READ),
                    )
                    .await;
                    assert_eq!(s, 200, "{page}");
                    seen.extend(ids(page["votes"].as_array().unwrap()));
                    after = page["next"].as_str().unwrap().to_owned();
                    if page["has_more"].as_bool().unwrap() {
                        continue;
                    }
                    if finishing {
                        return seen;
                    }
                    // Caught up: read on while writes continue, and once more after they end.
                    finishing = done.load(Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    let accepted = Arc::new(Mutex::new(0u64));
    let mut tasks = Vec::new();
    for k in 0..CLIENTS {
        let bases = bases.to_vec();
        let accepted = accepted.clone();
        tasks.push(tokio::spawn(async move {
            let c = client();
            // Gives up after a millisecond: its sends may or may not be stored, unacknowledged.
            let hasty = reqwest::Client::builder()
                .timeout(Duration::from_millis(1))
                .build()
                .unwrap();
            let votes = votes_for(&format!("c{k:02}"), PER_CLIENT, k as u64);
            let mut i = 0;
            let mut batch_no = 0;
            while i < votes.len() {
                let size = 1 + (k * 7 + batch_no * 13) % 37;
                let from = i.saturating_sub(3);
                let to = (i + size).min(votes.len());
                let batch = &votes[from..to];
                let sends = if batch_no % 3 == 0 { 2 } else { 1 };
                if batch_no % 5 == 0 {
                    let _ = push(&hasty, &bases[k % bases.len()], batch).await;
                }
                for _ in 0..sends {
                    let base = &bases[(k + batch_no) % bases.len()];
                    let mut attempt = 0u64;
                    loop {
                        match push(&c, base, batch).await {
                            Ok((200, r)) => {
                                let a = r["accepted"].as_u64().unwrap();
                                let d = r["duplicate"].as_u64().unwrap();
                                assert_eq!(a + d, batch.len() as u64, "{r}");
                                *accepted.lock().unwrap() += a;
                                break;
                            }
                            other => {
                                attempt += 1;
                                assert!(attempt < 100, "push keeps failing: {other:?}");
                                tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                            }
                        }
                    }
                }
                i = to;
                batch_no += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let total = CLIENTS * PER_CLIENT;
    // Votes stored by a hasty send were acknowledged to nobody: later sends see duplicates.
    assert!(*accepted.lock().unwrap() <= total as u64);
    let mut seen = Vec::new();
    for r in readers {
        seen = r.await.unwrap();
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "a concurrent reader saw a vote twice"
        );
        assert_eq!(seen.len(), total, "a concurrent reader missed votes");
    }
    let c = client();
    for base in bases {
        let stored = pull_all(&c, base, 1000).await;
        assert_eq!(stored.len(), total);
        let stored_ids: HashSet<String> = ids(&stored).into_iter().collect();
        assert_eq!(stored_ids.len(), total);
        assert_eq!(stored_ids, seen.iter().cloned().collect::<HashSet<_>>());
    }
}

#[test]
fn sqlite_load_50_clients_store_exactly_10000() {
    let t = TempDir::new("load");
    let server = Server::start(&t.sqlite(), &t.path("log"), &[]);
    rt().block_on(load(std::slice::from_ref(&server.base)));
}

#[test]
fn postgres_load_on_two_instances_store_exactly_10000() {
    let Some(pg) = pg() else { return };
    let t = TempDir::new("pgload");
    let db = pg_db(pg, "load");
    let a = Server::start(&db, &t.path("log-a"), &[]);
    let b = Server::start(&db, &t.path("log-b"), &[]);
    rt().block_on(load(&[a.base.clone(), b.base.clone()]));
}

/// Clients push until the server is killed with SIGKILL; after a restart on the same database
/// every acknowledged vote is there, and every batch is there whole or not at all.
async fn killed_mid_push(db: String, t: &TempDir) {
    let log = t.path("log");
    let mut server = Server::start(&db, &log, &[]);
    let addr = server.addr();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let unacked = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let mut tasks = Vec::new();
    for k in 0..8 {
        let base = server.base.clone();
        let acked = acked.clone();
        let unacked = unacked.clone();
        tasks.push(tokio::spawn(async move {
            let c = client();
            let votes = votes_for(&format!("k{k}"), 100_000, k);
            for batch in votes.chunks(50) {
                match push(&c, &base, batch).await {
                    Ok((200, _)) => acked.lock().unwrap().extend(ids(batch)),
                    _ => {
                        unacked.lock().unwrap().push(batch.to_vec());
                        return;
                    }
                }
            }
            panic!("the server was never killed");
        }));
    }
    while acked.lock().unwrap().len() < 3000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.sigkill();
    for t in tasks {
        t.await.unwrap();
    }
    let server = Server::start_at(&db, &log, &addr, &[]);
    let c = client();
    let stored: HashSet<String> = ids(&pull_all(&c, &server.base, 1000).await)
        .into_iter()
        .collect();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 3000);
    for id in &acked {
        assert!(stored.contains(id), "acknowledged vote {id} was lost");
    }
    let mut expected = acked.len();
    for batch in unacked.lock().unwrap().iter() {
        let here = ids(batch).iter().filter(|id| stored.contains(*id)).count();
        assert!(
            here == 0 || here == batch.len(),
            "a batch was stored in part: {here}"
        );
        expected += here;
    }
    assert_eq!(stored.len(), expected);
    // Resending what was not acknowledged completes the set.
    let unacked = unacked.lock().unwrap().clone();
    for batch in &unacked {
        let (s, _) = push(&c, &server.base, batch).await.unwrap();
        assert_eq!(s, 200);
    }
    let after = pull_all(&c, &server.base, 1000).await;
    assert_eq!(after.len(), acked.len() + 8 * 50);
}

#[test]
fn sqlite_sigkill_mid_push_loses_no_acknowledged_vote() {
    let t = TempDir::new("kill");
    rt().block_on(killed_mid_push(t.sqlite(), &t));
}

#[test]
fn postgres_sigkill_mid_push_loses_no_acknowledged_vote() {
    let Some(pg) = pg() else { return };
    let t = TempDir::new("pgkill");
    rt().block_on(killed_mid_push(pg_db(pg, "kill"), &t));
}

/// SIGTERM while a request is half sent: the server finishes it (200, stored), then exits 0.
///
/// The request asks `Expect: 100-continue`, so the server's `100 Continue` says that its
/// handler is reading the body: the signal then lands on a request in flight, however slow
/// the machine (no sleep decides it).
#[test]
fn sigterm_finishes_the_request_in_flight() {
    let t = TempDir::new("term");
    let mut server = Server::start(&t.sqlite(), &t.path("log"), &[]);
    let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body =
        serde_json::to_vec(&json!({"votes": [vote("term-1", "alpha", "beta", "tie")]})).unwrap();
    let head = format!(
        "POST /v1/votes HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {WRITE}\r\n\
         content-type: application/json\r\nexpect: 100-continue\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.flush().unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut cont = String::new();
    reader.read_line(&mut cont).unwrap();
    assert!(cont.starts_with("HTTP/1.1 100"), "{cont}");
    let mut blank = String::new();
    reader.read_line(&mut blank).unwrap();
    assert_eq!(blank, "\r\n");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    s.write_all(&body).unwrap();
    let mut answer = String::new();
    reader.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""accepted":1"#), "{answer}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(t.path("log")).unwrap();
    assert!(log.contains("in-flight requests finished"), "{log}");
    let server = Server::start(&t.sqlite(), &t.path("log"), &[]);
    let stored = rt().block_on(async { pull_all(&client(), &server.base, 10).await });
    assert_eq!(ids(&stored), ["term-1"]);
}

// ---------------------------------------------------------------------------------------------
// The leaderboard, CORS, limits, `--dist`.

/// `arena leaderboard --format json` on `votes` written to a JSONL file.
fn cli_leaderboard(t: &TempDir, name: &str, votes: &[Value]) -> Value {
    let file = t.path(name);
    let mut jsonl = String::new();
    for v in votes {
        jsonl.push_str(&serde_json::to_string(v).unwrap());
        jsonl.push('\n');
    }
    std::fs::write(&file, jsonl).unwrap();
    let cli = Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["leaderboard", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    serde_json::from_slice(&cli.stdout).unwrap()
}

fn leaderboard_matches(db: &str, t: &TempDir) {
    let votes = votes_for("lb", 1500, 42);
    // A repeated vote is counted once by both.
    let mut first = votes[..1200].to_vec();
    first.push(votes[0].clone());
    let expected_first = cli_leaderboard(t, "first.jsonl", &first);
    let expected_all = cli_leaderboard(t, "all.jsonl", &votes);
    assert_ne!(expected_first, expected_all);

    let server = Server::start(db, &t.path("log"), &[]);
    let (served_first, again, served_all) = rt().block_on(async {
        let c = client();
        for chunk in first.chunks(400) {
            assert_eq!(push(&c, &server.base, chunk).await.unwrap().0, 200);
        }
        let (s, lb1) = get(&c, &server.base, "/v1/leaderboard", Some(READ)).await;
        assert_eq!(s, 200, "{lb1}");
        let (_, lb2) = get(&c, &server.base, "/v1/leaderboard", Some(READ)).await;
        // New votes make a new leaderboard (none is served from before them).
        assert_eq!(push(&c, &server.base, &votes[1200..]).await.unwrap().0, 200);
        let (s, lb3) = get(&c, &server.base, "/v1/leaderboard", Some(READ)).await;
        assert_eq!(s, 200, "{lb3}");
        (lb1, lb2, lb3)
    });
    assert_eq!(served_first, expected_first);
    assert_eq!(again, expected_first);
    assert_eq!(served_all, expected_all);
    let rows = served_all.as_array().unwrap();
    assert_eq!(rows.len(), 5, "{served_all}");
    assert!(rows.iter().all(|r| r["battles"].as_u64().unwrap() > 0));
}

#[test]
fn sqlite_leaderboard_matches_arena_leaderboard_on_the_same_votes() {
    let t = TempDir::new("lb");
    leaderboard_matches(&t.sqlite(), &t);
}

#[test]
fn postgres_leaderboard_matches_arena_leaderboard_on_the_same_votes() {
    let Some(pg) = pg() else { return };
    let t = TempDir::new("pglb");
    leaderboard_matches(&pg_db(pg, "leaderboard"), &t);
}

#[test]
fn cors_only_for_allowed_origins_and_rate_limit_answers_429() {
    let t = TempDir::new("cors");
    let server = Server::start(
        &t.sqlite(),
        &t.path("log"),
        &["--allow-origin", "https://judges.example"],
    );
    let plain = Server::start(&t.sqlite(), &t.path("log2"), &[]);
    rt().block_on(async {
        let c = client();
        let origin = |o: &'static str, base: String| {
            let c = c.clone();
            async move {
                c.get(format!("{base}/v1/health"))
                    .header("origin", o)
                    .send()
                    .await
                    .unwrap()
                    .headers()
                    .get("access-control-allow-origin")
                    .map(|v| v.to_str().unwrap().to_owned())
            }
        };
        assert_eq!(
            origin("https://judges.example", server.base.clone())
                .await
                .as_deref(),
            Some("https://judges.example")
        );
        assert_eq!(
            origin("https://evil.example", server.base.clone()).await,
            None
        );
        assert_eq!(
            origin("https://judges.example", plain.base.clone()).await,
            None
        );
        let pre = c
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/v1/votes", server.base),
            )
            .header("origin", "https://judges.example")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(pre.status().is_success());
        let allowed = pre.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(allowed.contains("authorization"), "{allowed}");
        assert!(
            !pre.headers()
                .contains_key("access-control-allow-credentials")
        );
    });

    let limited = Server::start(&t.sqlite(), &t.path("log3"), &["--rate-limit", "1"]);
    rt().block_on(async {
        let c = client();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let r = c
                .get(format!("{}/v1/health", limited.base))
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                assert_eq!(r.headers()["retry-after"], "1");
            }
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses[0], 200);
        assert!(statuses.contains(&429), "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 429));
    });

    // Behind a trusted proxy each forwarded client has its own bucket; without the flag the
    // header is ignored, so forged addresses share the one bucket of the peer.
    let proxied = Server::start(
        &t.sqlite(),
        &t.path("log4"),
        &["--rate-limit", "1", "--trusted-proxy", "127.0.0.1"],
    );
    rt().block_on(async {
        let c = client();
        let health = |base: &str, from: &str| {
            c.get(format!("{base}/v1/health"))
                .header("x-forwarded-for", from)
                .send()
        };
        let mut first = Vec::new();
        for _ in 0..20 {
            first.push(
                health(&proxied.base, "198.51.100.1")
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        assert!(first.contains(&429), "{first:?}");
        assert_eq!(
            health(&proxied.base, "198.51.100.2")
                .await
                .unwrap()
                .status(),
            200
        );
        for _ in 0..20 {
            let _ = health(&limited.base, "198.51.100.3").await.unwrap();
        }
        assert_eq!(
            health(&limited.base, "198.51.100.4")
                .await
                .unwrap()
                .status(),
            429
        );
    });
}

#[test]
fn dist_serves_the_app_and_its_arena_json() {
    let t = TempDir::new("dist");
    let dist = t.path("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>Arena</title>",
    )
    .unwrap();
    let cfg = json!({"schema": 1, "arena_id": "team", "title": "Team arena", "sync": {"url": "/"}});
    std::fs::write(dist.join("arena.json"), cfg.to_string()).unwrap();
    let server = Server::start(
        &t.sqlite(),
        &t.path("log"),
        &["--dist", dist.to_str().unwrap()],
    );
    rt().block_on(async {
        let c = client();
        let index = c.get(format!("{}/", server.base)).send().await.unwrap();
        assert_eq!(index.status(), 200);
        assert!(index.text().await.unwrap().contains("<title>Arena</title>"));
        let (s, got) = get(&c, &server.base, "/arena.json", None).await;
        assert_eq!((s, got), (200, cfg));
        assert_eq!(get(&c, &server.base, "/v1/health", None).await.0, 200);
        assert_eq!(get(&c, &server.base, "/nope.js", None).await.0, 404);
        // The API still wants its token.
        assert_eq!(get(&c, &server.base, "/v1/votes", None).await.0, 401);
    });
}

/// The cursor on PostgreSQL with concurrent writers on two instances: while a batch of 1,000
/// draws its sequence values, single votes draw later ones and commit first, so a reader that
/// trusted sequence order alone would move past the big batch before it commits. Readers that page while the writes go on must see each vote exactly once.
#[test]
fn postgres_cursor_never_skips_a_vote_committed_later_with_a_lower_cursor() {
    let Some(pg) = pg() else { return };
    let t = TempDir::new("pgcursor");
    let db = pg_db(pg, "cursor");
    let a = Server::start(&db, &t.path("log-a"), &[]);
    let b = Server::start(&db, &t.path("log-b"), &[]);
    let bases = [a.base.clone(), b.base.clone()];
    rt().block_on(async {
        const WRITERS: usize = 8;
        const PER_WRITER: usize = 3000;
        let done = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..4)
            .map(|r| {
                let base = bases[r % 2].clone();
                let done = done.clone();
                tokio::spawn(async move {
                    let c = client();
                    let mut seen = Vec::new();
                    let mut after = String::new();
                    let mut finishing = false;
                    loop {
                        let (s, page) = get(
                            &c,
                            &base,
                            &format!("/v1/votes?after={after}&limit=1000"),
                            Some(READ),
                        )
                        .await;
                        assert_eq!(s, 200);
                        seen.extend(ids(page["votes"].as_array().unwrap()));
                        after = page["next"].as_str().unwrap().to_owned();
                        if !page["has_more"].as_bool().unwrap() {
                            if finishing {
                                return seen;
                            }
                            finishing = done.load(Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let base = bases[w % 2].clone();
                tokio::spawn(async move {
                    let c = client();
                    let votes = votes_for(&format!("w{w}"), PER_WRITER, w as u64);
                    let size = if w % 2 == 0 { 1000 } else { 10 };
                    for batch in votes.chunks(size) {
                        assert_eq!(push(&c, &base, batch).await.unwrap().0, 200);
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            let seen = r.await.unwrap();
            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "a reader saw a vote twice");
            assert_eq!(seen.len(), WRITERS * PER_WRITER, "a reader skipped votes");
        }
    });
}

/// A client that stalls mid-body gets 408 (`--request-timeout`), and one that stalls in its
/// headers cannot keep a SIGTERM from ending the server.
#[test]
fn stalled_clients_get_408_and_do_not_hold_shutdown() {
    let t = TempDir::new("stall");
    let mut server = Server::start(&t.sqlite(), &t.path("log"), &["--request-timeout", "1"]);
    let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST /v1/votes HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {WRITE}\r\n\
         content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"votes\": ["
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"error":"the request took longer than 1 s, its body included"}"#),
        "{answer}"
    );

    let mut half = std::net::TcpStream::connect(server.addr()).unwrap();
    half.write_all(b"POST /v1/votes HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    // The server has the connection once it answers on another one.
    let c = std::net::TcpStream::connect(server.addr()).unwrap();
    let mut c2 = c.try_clone().unwrap();
    c2.write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut ok = String::new();
    BufReader::new(c).read_line(&mut ok).unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    // A guard against a hang only: the server must end by itself.
    let status = (0..1200)
        .find_map(|_| {
            let s = server.child.try_wait().unwrap();
            if s.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            s
        })
        .expect("arena serve still runs a minute after SIGTERM");
    assert!(status.success(), "{status:?}");
    drop(half);
}
