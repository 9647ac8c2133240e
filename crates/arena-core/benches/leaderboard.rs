//! Leaderboard benchmark: prints figures, asserts nothing about time.
//!
//! Default: 1,000,000 battles among 100 models (seeded synthetic data), the whole leaderboard
//! with 100 bootstrap rounds, timed over several runs; the median is reported.
//!
//!     cargo bench -p arena-core --bench leaderboard
//!     cargo bench -p arena-core --bench leaderboard -- --data battles.jsonl --runs 7
//!     cargo bench -p arena-core --bench leaderboard -- --battles 100000 --models 100
//!
//! `benches/compare_scipy.py` runs this on the same data as a scipy L-BFGS fit and prints both.

use std::time::Instant;

use arena_core::VoteRecord;
use arena_core::ratings::{
    BtSolver, Cells, CiMethod, LeaderboardOptions, compute_leaderboard, fit_bt, index_battles,
};

fn synthetic(n_battles: usize, n_models: usize, seed: u64) -> Vec<VoteRecord> {
    arena_core::ratings::synthetic::synthetic_battles(n_battles, n_models, seed)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> (f64, Vec<f64>) {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    let all = t.clone();
    (median(&mut t), all)
}

#[allow(clippy::too_many_lines)] // one linear report, read top to bottom
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = arg("--runs").and_then(|s| s.parse().ok()).unwrap_or(5);
    let rounds: usize = arg("--rounds").and_then(|s| s.parse().ok()).unwrap_or(100);
    let n_battles: usize = arg("--battles")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let n_models: usize = arg("--models").and_then(|s| s.parse().ok()).unwrap_or(100);
    let t0 = Instant::now();
    let records = if let Some(path) = arg("--data") {
        let file = std::fs::File::open(&path).expect("open --data file");
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        arena_core::formats::RecordReader::new(reader, arena_core::formats::Format::Jsonl)
            .collect::<Result<Vec<_>, _>>()
            .expect("valid JSONL")
    } else {
        synthetic(n_battles, n_models, 1)
    };
    let load = t0.elapsed().as_secs_f64();
    let refs: Vec<&VoteRecord> = records.iter().collect();
    let (names, battles) = index_battles(&refs);
    println!(
        "data: {} battles, {} models (loaded in {load:.3} s, not counted below)",
        records.len(),
        names.len()
    );

    let cells = Cells::from_battles(names.len(), battles.iter().copied());
    let (fit_s, _) = time_runs(runs, || {
        let c = Cells::from_battles(names.len(), battles.iter().copied());
        let f = fit_bt(&c, &c.counts, None, None, BtSolver::default());
        assert!(f.converged);
    });
    let (cells_s, _) = time_runs(runs, || {
        let c = Cells::from_battles(names.len(), battles.iter().copied());
        assert!(!c.cells.is_empty());
    });
    println!(
        "rust_bt_fit_median_s={fit_s:.6}  (cells from {} battles + Newton fit; {} cells)",
        battles.len(),
        cells.cells.len()
    );
    println!(
        "  of which cells from battles: {cells_s:.6} s; Newton iterations: {}",
        fit_bt(&cells, &cells.counts, None, None, BtSolver::default()).iterations
    );

    // Where the time goes (one run each).
    let lap = |what: &str, t: Instant| println!("  {what}: {:.4} s", t.elapsed().as_secs_f64());
    println!("breakdown:");
    let t = Instant::now();
    let (kept, _) =
        arena_core::ratings::select(&records, &LeaderboardOptions::default().filter, 42);
    lap("one pass over the records: filters, dedup, model index", t);
    let (_, b2) = index_battles(&kept);
    let t = Instant::now();
    let _ = arena_core::ratings::online_elo(
        names.len(),
        b2.iter().copied(),
        arena_core::ratings::EloParams::default(),
    );
    lap("online elo", t);
    let t = Instant::now();
    let tallies =
        arena_core::ratings::matrices::PairTallies::from_battles(names.len(), b2.iter().copied());
    lap("pair tallies", t);
    let t = Instant::now();
    let _ = arena_core::ratings::cycles::find_cycles(&tallies, &names, 1.96, 100);
    lap("cycles", t);
    let th = vec![0.0; names.len()];
    let mut judge_names: Vec<&str> = kept.iter().map(|r| r.judge.as_str()).collect();
    judge_names.sort_unstable();
    judge_names.dedup();
    let judged: Vec<arena_core::ratings::judges::JudgedVote> = kept
        .iter()
        .zip(&b2)
        .map(|(r, x)| arena_core::ratings::judges::JudgedVote {
            judge: u32::try_from(judge_names.binary_search(&r.judge.as_str()).unwrap_or(0))
                .unwrap_or(0),
            a: x.models().0,
            b: x.models().1,
            winner: r.winner,
        })
        .collect();
    let t = Instant::now();
    let _ = arena_core::ratings::judges::judge_stats(&th, &judge_names, judged);
    lap("judges", t);
    let t = Instant::now();
    let _ = arena_core::ratings::ci::sandwich_std_errors(&cells, &th, None);
    lap("sandwich", t);

    let opts = LeaderboardOptions {
        ci: CiMethod::Sandwich,
        ..LeaderboardOptions::default()
    };
    let (sw_s, _) = time_runs(runs, || {
        compute_leaderboard(&records, &opts).expect("leaderboard");
    });
    println!("rust_leaderboard_sandwich_median_s={sw_s:.6}");

    let opts = LeaderboardOptions {
        ci: CiMethod::Bootstrap { rounds },
        ..LeaderboardOptions::default()
    };
    let (bs_s, all) = time_runs(runs, || {
        compute_leaderboard(&records, &opts).expect("leaderboard");
    });
    let all: Vec<String> = all.iter().map(|t| format!("{t:.3}")).collect();
    println!(
        "rust_leaderboard_bootstrap_median_s={bs_s:.6}  ({rounds} rounds; runs: {})",
        all.join(", ")
    );
}
