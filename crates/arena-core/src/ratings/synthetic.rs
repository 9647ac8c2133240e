//! Seeded synthetic battles for benchmarks (native and in the browser worker): models with
//! evenly spread known strengths, 10 % ties, the rest drawn from the Bradley–Terry model.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::record::{VoteRecord, Winner};

/// `n_battles` battles among `n_models` models (`model-000`, …), one per second from
/// `tstamp` 0. The same arguments always give the same battles.
///
/// # Panics
/// With fewer than two models.
pub fn synthetic_battles(n_battles: usize, n_models: usize, seed: u64) -> Vec<VoteRecord> {
    assert!(n_models >= 2, "a battle needs two models");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<String> = (0..n_models).map(|i| format!("model-{i:03}")).collect();
    let strength: Vec<f64> = (0..n_models)
        .map(|i| 2.0 * (i as f64 / (n_models - 1) as f64) - 1.0)
        .collect();
    let template: VoteRecord =
        serde_json::from_str(r#"{"model_a":"x","model_b":"y","winner":"tie"}"#).expect("record");
    (0..n_battles)
        .map(|t| {
            let a = rng.random_range(0..n_models);
            let mut b = rng.random_range(0..n_models - 1);
            if b >= a {
                b += 1;
            }
            let p = 1.0 / (1.0 + (strength[b] - strength[a]).exp());
            let u: f64 = rng.random();
            let winner = if u < 0.1 {
                Winner::Tie
            } else if rng.random::<f64>() < p {
                Winner::ModelA
            } else {
                Winner::ModelB
            };
            VoteRecord {
                model_a: names[a].clone(),
                model_b: names[b].clone(),
                winner,
                tstamp: t as f64,
                ..template.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_battles_are_seeded_and_never_self_battles() {
        let a = synthetic_battles(500, 5, 7);
        assert_eq!(a, synthetic_battles(500, 5, 7));
        assert_ne!(a, synthetic_battles(500, 5, 8));
        assert!(a.iter().all(|r| r.model_a != r.model_b));
        // The strongest model wins more than the weakest.
        let wins = |m: &str| {
            a.iter()
                .filter(|r| {
                    (r.model_a == m && r.winner == Winner::ModelA)
                        || (r.model_b == m && r.winner == Winner::ModelB)
                })
                .count()
        };
        assert!(wins("model-004") > wins("model-000"));
    }
}
