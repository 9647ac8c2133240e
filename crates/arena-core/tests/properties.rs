//! Property tests: invariants that hold for any data.

use arena_core::ratings::{Battle, EloParams, LeaderboardOptions, compute_leaderboard, online_elo};
use arena_core::{VoteRecord, Winner};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const MODELS: [&str; 5] = ["m0", "m1", "m2", "m3", "m4"];

fn record(a: usize, b: usize, winner: Winner, tstamp: f64) -> VoteRecord {
    let mut r: VoteRecord =
        serde_json::from_str(r#"{"model_a":"x","model_b":"y","winner":"tie"}"#).unwrap();
    r.model_a = MODELS[a].to_string();
    r.model_b = MODELS[b].to_string();
    r.winner = winner;
    r.tstamp = tstamp;
    r
}

fn winner() -> impl Strategy<Value = Winner> {
    prop::sample::select(Winner::ALL.to_vec())
}

/// Battles among the five models, each pair present in both directions so the MLE is finite.
fn battles() -> impl Strategy<Value = Vec<(usize, usize, Winner)>> {
    prop::collection::vec((0..5usize, 0..5usize, winner()), 0..120).prop_map(|mut v| {
        v.retain(|(a, b, _)| a != b);
        for a in 0..5 {
            for b in 0..5 {
                if a != b {
                    v.push((a, b, Winner::ModelA));
                }
            }
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bradley_terry_does_not_depend_on_record_order(
        b in battles(),
        perm_seed in any::<u64>(),
    ) {
        let recs: Vec<VoteRecord> =
            b.iter().enumerate().map(|(i, &(a, bb, w))| record(a, bb, w, i as f64)).collect();
        let mut shuffled = recs.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(perm_seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.random_range(0..=i));
        }
        let opts = LeaderboardOptions::default();
        let x = compute_leaderboard(&recs, &opts).unwrap();
        let y = compute_leaderboard(&shuffled, &opts).unwrap();
        for (rx, ry) in x.rows.iter().zip(&y.rows) {
            prop_assert_eq!(&rx.model, &ry.model);
            prop_assert!((rx.rating - ry.rating).abs() < 1e-9);
            prop_assert!((rx.ci_lower - ry.ci_lower).abs() < 1e-9);
            prop_assert!((rx.ci_upper - ry.ci_upper).abs() < 1e-9);
        }
        // Ratings average to 1000 without an anchor.
        let mean = x.rows.iter().map(|r| r.rating).sum::<f64>() / x.rows.len() as f64;
        prop_assert!((mean - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn online_elo_conserves_the_rating_sum(
        b in prop::collection::vec((0..5usize, 0..5usize, winner()), 0..300),
    ) {
        let battles = b.iter().filter(|(a, bb, _)| a != bb).map(|&(a, b, winner)| Battle::new(a, b, winner));
        let r = online_elo(5, battles, EloParams::default());
        prop_assert!((r.iter().sum::<f64>() - 5000.0).abs() < 1e-9);
    }

    #[test]
    fn known_strengths_are_recovered_within_their_intervals(seed in any::<u64>()) {
        // True ratings on the 400 scale, mean 1000.
        let truth = [1150.0, 1060.0, 1000.0, 940.0, 850.0];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut recs = Vec::new();
        for t in 0..6000 {
            let a = rng.random_range(0..5);
            let mut b = rng.random_range(0..4);
            if b >= a { b += 1; }
            let p = 1.0 / (1.0 + 10f64.powf((truth[b] - truth[a]) / 400.0));
            let u: f64 = rng.random();
            let w = if u < p { Winner::ModelA } else { Winner::ModelB };
            recs.push(record(a, b, w, f64::from(t)));
        }
        let lb = compute_leaderboard(&recs, &LeaderboardOptions::default()).unwrap();
        for (i, m) in MODELS.iter().enumerate() {
            let r = lb.rows.iter().find(|r| r.model == *m).unwrap();
            // The 95 % interval is ±1.96 se; allow 4.5 se so a correct fit essentially never
            // fails, while a biased or mis-scaled fit (or a wrong interval) does.
            let se = (r.ci_upper - r.ci_lower) / (2.0 * 1.96);
            prop_assert!(se > 0.0 && se < 20.0, "se {} for {}", se, m);
            prop_assert!((r.rating - truth[i]).abs() < 4.5 * se,
                "{}: {} vs truth {} (se {})", m, r.rating, truth[i], se);
        }
    }
}
