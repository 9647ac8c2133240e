//! A benchmark of `arena serve`, run by hand (never by the tests):
//!
//! ```sh
//! cargo build --release -p arena-cli --bin arena --example serve_bench
//! target/release/examples/serve_bench [--votes 1000000] [--db sqlite:/tmp/bench.db] [--db postgres://…]…
//! ```
//!
//! For each database it starts `arena serve` (the `arena` binary beside this one, or
//! `$ARENA_BIN`), then prints: ingest votes/s in batches of 500 (4 pushers), pull throughput
//! paging through every stored vote (1,000 a page), p50/p99 push latency at 50 concurrent
//! clients (batches of 10), the time of `GET /v1/leaderboard` over everything (computed, then
//! answered again), and the server's resident memory at rest, after ingest, after the
//! leaderboard and at its peak under the 50 clients. The databases should start empty.

// A benchmark's figures: float casts of counts, one long measuring function.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    clippy::assigning_clones
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "bench-write-token";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn vote(id: &str, i: u64) -> Value {
    let models = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
    let a = usize::try_from(i % 6).unwrap_or(0);
    let b = (a + 1 + usize::try_from((i / 6) % 5).unwrap_or(0)) % 6;
    let winner =
        ["model_a", "model_b", "tie", "tie (bothbad)"][usize::try_from(i % 4).unwrap_or(0)];
    json!({
        "id": id, "schema": 1, "arena_id": "bench", "question_id": format!("q{i}"),
        "model_a": models[a], "model_b": models[b], "winner": winner, "judge": format!("judge-{}", i % 50),
        "conversation_a": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4."}],
        "conversation_b": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "Four."}],
        "turn": 1, "anony": true, "language": "English", "tstamp": 1_700_000_000.0 + i as f64
    })
}

fn start(bin: &str, db: &str) -> (Child, String) {
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            db,
            "--rate-limit",
            "1000000000",
        ])
        .env("ARENA_WRITE_TOKEN", TOKEN)
        .env("ARENA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start arena serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("arena serve: listening on ")
        .unwrap_or_else(|| panic!("arena serve did not start: {line:?}"))
        .to_owned();
    (child, base)
}

async fn push(c: &reqwest::Client, base: &str, votes: &[Value]) {
    let body = serde_json::to_vec(&json!({ "votes": votes })).unwrap();
    for attempt in 0..20u64 {
        let r = c
            .post(format!("{base}/v1/votes"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == 200
        {
            let _ = r.bytes().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    panic!("push keeps failing");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round();
    sorted[i as usize]
}

async fn bench(bin: &str, db: &str, total: u64) {
    println!("== {}", db.split('@').next_back().unwrap_or(db));
    let (mut child, base) = start(bin, db);
    let pid = child.id();
    let c = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("rss at rest: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);

    // Ingest: 4 pushers, batches of 500.
    let next = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, base, next) = (c.clone(), base.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let from = next.fetch_add(500, Ordering::Relaxed);
                if from >= total {
                    return;
                }
                let to = (from + 500).min(total);
                let votes: Vec<Value> = (from..to).map(|i| vote(&format!("b-{i:08}"), i)).collect();
                push(&c, &base, &votes).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "ingest: {total} votes in {secs:.1} s = {:.0} votes/s (batches of 500, 4 pushers)",
        total as f64 / secs
    );
    println!("rss after ingest: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);

    // Pull everything by cursor.
    let t0 = Instant::now();
    let mut after = String::new();
    let mut n = 0u64;
    let mut bytes = 0usize;
    loop {
        let r = c
            .get(format!("{base}/v1/votes?after={after}&limit=1000"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        bytes += r.len();
        let page: Value = serde_json::from_slice(&r).unwrap();
        n += page["votes"].as_array().unwrap().len() as u64;
        after = page["next"].as_str().unwrap().to_owned();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "pull: {n} votes in {secs:.1} s = {:.0} votes/s, {:.1} MB/s (pages of 1000)",
        n as f64 / secs,
        bytes as f64 / secs / 1e6
    );

    // The leaderboard of everything: computed, then answered again unchanged.
    for what in ["computed", "again (no new votes)"] {
        let t0 = Instant::now();
        let r = c
            .get(format!("{base}/v1/leaderboard"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await.unwrap();
        println!(
            "leaderboard of {n} votes, {what}: {:.2} s, rss after {:.1} MiB",
            t0.elapsed().as_secs_f64(),
            rss_kib(pid) as f64 / 1024.0
        );
    }

    // Latency at 50 concurrent clients, batches of 10; the memory peak meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let mut tasks = Vec::new();
    for k in 0..50u64 {
        let (c, base) = (c.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for b in 0..40u64 {
                let votes: Vec<Value> = (0..10)
                    .map(|j| {
                        vote(
                            &format!("l-{k:02}-{b:03}-{j}"),
                            total + k * 400 + b * 10 + j,
                        )
                    })
                    .collect();
                let t = Instant::now();
                push(&c, &base, &votes).await;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    lat.sort_by(f64::total_cmp);
    println!(
        "push latency, 50 concurrent clients, batches of 10 ({} pushes): p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    println!(
        "rss peak under 50 clients: {:.1} MiB",
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("rss at rest after: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut dbs = Vec::new();
    let mut total = 1_000_000u64;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--db" => dbs.push(args.next().expect("--db URL")),
            "--votes" => total = args.next().and_then(|n| n.parse().ok()).expect("--votes N"),
            other => panic!("unknown argument {other}"),
        }
    }
    if dbs.is_empty() {
        dbs.push("sqlite:/tmp/arena-serve-bench.db".into());
    }
    let bin = std::env::var("ARENA_BIN").unwrap_or_else(|_| {
        let exe = std::env::current_exe().unwrap();
        exe.parent()
            .and_then(|p| p.parent())
            .unwrap()
            .join("arena")
            .display()
            .to_string()
    });
    for db in &dbs {
        bench(&bin, db, total).await;
    }
}
