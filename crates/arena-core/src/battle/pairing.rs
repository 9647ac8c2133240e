//! Choosing who fights.
//!
//! [`Pairing::Weighted`] is the arena's classic draw: a first contestant by sampling weight,
//! a rival by weight among the rest, then sides at random. [`Pairing::Efficient`] draws a
//! *pair* with probability proportional to how much one more vote on it would teach us:
//!
//! `score(i, j) = w_i · w_j · (σ_i² + σ_j²) · p_ij · (1 − p_ij)`
//!
//! where σ is a model's rating uncertainty (its interval half-width / 1.96, on the natural
//! scale) and `p_ij` the predicted chance that i beats j. `(σ_i² + σ_j²)` favours models whose
//! rating is still vague — a newcomer, with no battles, gets [`PRIOR_SIGMA`] — and
//! `p(1 − p)`, the Fisher information of one Bernoulli outcome, favours pairs whose order is
//! least certain. It is still a random draw, so every pair keeps a chance.

use rand::Rng;

use crate::ratings::SCALE;

/// Uncertainty (natural scale) assumed for a contestant with no rating yet: about ±400
/// rating points at 95 %, i.e. "anything is possible".
pub const PRIOR_SIGMA: f64 = 400.0 / 1.96 / SCALE;

/// A contestant that may be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub weight: f64,
    /// Rating and 95 % half-width, on the rating scale; `None` when not rated yet.
    pub rating: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    Weighted,
    Efficient,
}

/// Draws two distinct contestants (by index, in side order A, B), or `None` when fewer than
/// two have a positive weight.
pub fn pick_pair<R: Rng + ?Sized>(
    candidates: &[Candidate],
    pairing: Pairing,
    rng: &mut R,
) -> Option<(usize, usize)> {
    let eligible: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].weight > 0.0 && candidates[i].weight.is_finite())
        .collect();
    if eligible.len() < 2 {
        return None;
    }
    let (i, j) = match pairing {
        Pairing::Weighted => {
            let first = *draw(&eligible, |&i| candidates[i].weight, rng)?;
            let rest: Vec<usize> = eligible.iter().copied().filter(|&k| k != first).collect();
            let second = *draw(&rest, |&k| candidates[k].weight, rng)?;
            (first, second)
        }
        Pairing::Efficient => {
            let mut pairs = Vec::with_capacity(eligible.len() * (eligible.len() - 1) / 2);
            for (x, &i) in eligible.iter().enumerate() {
                for &j in &eligible[x + 1..] {
                    pairs.push((i, j));
                }
            }
            let &(i, j) = draw(
                &pairs,
                |&(i, j)| pair_score(&candidates[i], &candidates[j]),
                rng,
            )?;
            (i, j)
        }
    };
    Some(if rng.random_bool(0.5) { (i, j) } else { (j, i) })
}

/// The rating a leaderboard row lends to pairing: `None` (the prior) until the model has both
/// won and lost, because a fit over an unbroken run of wins or losses drifts without bound and
/// its sandwich interval collapses, which would make a barely-seen model look certain.
pub fn known_rating(row: &crate::ratings::LeaderboardRow) -> Option<(f64, f64)> {
    (row.wins > 0 && row.losses > 0).then(|| (row.rating, (row.ci_upper - row.ci_lower) / 2.0))
}

/// The efficient-pairing score of a pair (see the module docs).
pub fn pair_score(a: &Candidate, b: &Candidate) -> f64 {
    let sigma = |c: &Candidate| c.rating.map_or(PRIOR_SIGMA, |(_, hw)| hw / 1.96 / SCALE);
    let mean = |c: &Candidate| c.rating.map_or(0.0, |(r, _)| r / SCALE);
    let both_rated = a.rating.is_some() && b.rating.is_some();
    // Two unrated contestants have no known order: p = 1/2.
    let p = if both_rated {
        1.0 / (1.0 + (mean(b) - mean(a)).exp())
    } else {
        0.5
    };
    a.weight * b.weight * (sigma(a).powi(2) + sigma(b).powi(2)) * p * (1.0 - p)
}

/// Picks one item with probability proportional to `weight` (non-positive weights never).
fn draw<'a, T, R: Rng + ?Sized>(
    items: &'a [T],
    weight: impl Fn(&T) -> f64,
    rng: &mut R,
) -> Option<&'a T> {
    let total: f64 = items.iter().map(|t| weight(t).max(0.0)).sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let mut x = rng.random::<f64>() * total;
    for t in items {
        let w = weight(t).max(0.0);
        if x < w {
            return Some(t);
        }
        x -= w;
    }
    items.iter().rev().find(|t| weight(t) > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn unrated(weight: f64) -> Candidate {
        Candidate {
            weight,
            rating: None,
        }
    }

    #[test]
    fn fewer_than_two_drawable_contestants_give_no_pair() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(pick_pair(&[], Pairing::Weighted, &mut rng), None);
        assert_eq!(
            pick_pair(&[unrated(1.0), unrated(0.0)], Pairing::Efficient, &mut rng),
            None
        );
    }

    #[test]
    fn weighted_draws_follow_the_weights_and_sides_are_fair() {
        // Weights 1 : 2 : 1. P(model 1 in the pair) = 1 - P(pair is {0, 2}).
        // P({0,2}) = 1/4·1/3 + 1/4·1/3 = 1/6, so model 1 appears in 5/6 of the battles.
        let c = [unrated(1.0), unrated(2.0), unrated(1.0)];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 60_000;
        let (mut with_1, mut one_on_a) = (0u32, 0u32);
        for _ in 0..n {
            let (a, b) = pick_pair(&c, Pairing::Weighted, &mut rng).unwrap();
            assert_ne!(a, b);
            if a == 1 || b == 1 {
                with_1 += 1;
                one_on_a += u32::from(a == 1);
            }
        }
        let f = f64::from(with_1) / f64::from(n);
        assert!((f - 5.0 / 6.0).abs() < 0.01, "{f}");
        let side = f64::from(one_on_a) / f64::from(with_1);
        assert!((side - 0.5).abs() < 0.01, "{side}");
    }

    #[test]
    fn efficient_pairing_favours_the_newcomer_and_close_pairs() {
        let rated = |r: f64| Candidate {
            weight: 1.0,
            rating: Some((r, 20.0)),
        };
        let c = [rated(1000.0), rated(1010.0), rated(1400.0), unrated(1.0)];
        // A close pair beats a lopsided one with equal uncertainty.
        assert!(pair_score(&c[0], &c[1]) > 3.0 * pair_score(&c[0], &c[2]));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 10_000;
        let newcomer = (0..n)
            .filter(|_| {
                let (a, b) = pick_pair(&c, Pairing::Efficient, &mut rng).unwrap();
                a == 3 || b == 3
            })
            .count();
        // Uniform pairing would include it in half of the battles (3 of 6 pairs).
        assert!(newcomer as f64 / f64::from(n) > 0.9, "{newcomer}");
    }

    #[test]
    fn an_unbeaten_model_counts_as_unrated() {
        let row = |wins, losses| crate::ratings::LeaderboardRow {
            rank_ub: 1,
            model: "m".into(),
            rating: 1300.0,
            ci_lower: 1299.0,
            ci_upper: 1301.0,
            online_elo: 1010.0,
            battles: wins + losses,
            wins,
            losses,
            ties: 0,
            win_rate: None,
        };
        assert_eq!(known_rating(&row(5, 0)), None);
        assert_eq!(known_rating(&row(0, 5)), None);
        assert_eq!(known_rating(&row(5, 2)), Some((1300.0, 1.0)));
    }

    #[test]
    fn the_same_seed_draws_the_same_pairs() {
        let c = [unrated(1.0), unrated(1.0), unrated(3.0), unrated(0.5)];
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..50)
                .map(|_| pick_pair(&c, Pairing::Weighted, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }
}
