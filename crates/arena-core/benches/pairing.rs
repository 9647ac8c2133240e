//! Cold-start simulation: how many votes until a newcomer's rating is known to ±25 points,
//! with uniform (weighted) pairing against efficient pairing. Prints figures; asserts
//! nothing.
//!
//!     cargo bench -p arena-core --bench pairing
//!     cargo bench -p arena-core --bench pairing -- --seeds 9 --target 25
//!
//! Set-up per seed: 8 established models with true ratings spread over 800–1200 and 8,000
//! seeded battles among them; then a newcomer (true rating 1050) joins. Each step draws a pair
//! with the strategy (from the current sandwich intervals), simulates the outcome from the
//! true ratings (10 % ties), and every 10 votes refits; the run ends when the newcomer's 95 %
//! interval half-width is at most the target.

use arena_core::battle::pairing::{Candidate, Pairing, known_rating, pick_pair};
use arena_core::{LeaderboardOptions, VoteRecord, Winner, compute_leaderboard};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ESTABLISHED: usize = 8;
const WARM_UP: usize = 8_000;
const REFIT_EVERY: usize = 10;
const MAX_VOTES: usize = 20_000;

fn record(a: usize, b: usize, winner: Winner, t: usize) -> VoteRecord {
    let mut r: VoteRecord =
        serde_json::from_str(r#"{"model_a":"x","model_b":"y","winner":"tie"}"#).expect("record");
    r.id = format!("v{t}");
    r.model_a = format!("m{a}");
    r.model_b = format!("m{b}");
    r.winner = winner;
    r.tstamp = t as f64;
    r.question_id = format!("q{t}");
    r
}

fn outcome(rng: &mut ChaCha8Rng, truth: &[f64], a: usize, b: usize) -> Winner {
    let p = 1.0 / (1.0 + 10f64.powf((truth[b] - truth[a]) / 400.0));
    if rng.random::<f64>() < 0.1 {
        Winner::Tie
    } else if rng.random::<f64>() < p {
        Winner::ModelA
    } else {
        Winner::ModelB
    }
}

/// Votes needed (after the newcomer joins) and the share of them the newcomer fought.
fn run(seed: u64, pairing: Pairing, target: f64) -> (usize, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut truth: Vec<f64> = (0..ESTABLISHED)
        .map(|i| 800.0 + 400.0 * i as f64 / (ESTABLISHED - 1) as f64)
        .collect();
    let mut records = Vec::with_capacity(WARM_UP + MAX_VOTES);
    for t in 0..WARM_UP {
        let a = rng.random_range(0..ESTABLISHED);
        let mut b = rng.random_range(0..ESTABLISHED - 1);
        if b >= a {
            b += 1;
        }
        let w = outcome(&mut rng, &truth, a, b);
        records.push(record(a, b, w, t));
    }
    truth.push(1050.0);
    let opts = LeaderboardOptions {
        auto_anchor: false,
        ..LeaderboardOptions::default()
    };
    let mut candidates: Vec<Candidate> = vec![
        Candidate {
            weight: 1.0,
            rating: None,
        };
        truth.len()
    ];
    let mut with_newcomer = 0usize;
    for step in 0..MAX_VOTES {
        if step % REFIT_EVERY == 0 {
            let lb = compute_leaderboard(&records, &opts).expect("fit");
            for (i, c) in candidates.iter_mut().enumerate() {
                c.rating = lb
                    .rows
                    .iter()
                    .find(|r| r.model == format!("m{i}"))
                    .and_then(known_rating);
            }
            if lb.converged
                && let Some((_, hw)) = candidates[ESTABLISHED].rating
                && hw <= target
            {
                return (step, with_newcomer as f64 / step.max(1) as f64);
            }
        }
        let (a, b) = pick_pair(&candidates, pairing, &mut rng).expect("two candidates");
        with_newcomer += usize::from(a == ESTABLISHED || b == ESTABLISHED);
        let w = outcome(&mut rng, &truth, a, b);
        records.push(record(a, b, w, WARM_UP + step));
    }
    (MAX_VOTES, with_newcomer as f64 / MAX_VOTES as f64)
}

fn median(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: f64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seeds = arg("--seeds", 7.0) as u64;
    let target = arg("--target", 25.0);
    println!(
        "cold start: {ESTABLISHED} established models, {WARM_UP} warm-up battles, newcomer until ±{target} points, {seeds} seeds"
    );
    let mut results = Vec::new();
    for (label, pairing) in [
        ("uniform", Pairing::Weighted),
        ("efficient", Pairing::Efficient),
    ] {
        let mut votes = Vec::new();
        let mut shares = Vec::new();
        for seed in 0..seeds {
            let (n, share) = run(seed, pairing, target);
            votes.push(n);
            shares.push(share);
        }
        let m = median(&mut votes.clone());
        let share = shares.iter().sum::<f64>() / shares.len() as f64;
        println!(
            "{label:>9}: median {m:>5} votes (runs {votes:?}); newcomer in {:.0} % of battles",
            share * 100.0
        );
        results.push(m);
    }
    println!(
        "efficient pairing needs {:.2}x fewer votes",
        results[0] as f64 / results[1] as f64
    );
}
