//! Confidence intervals: the sandwich (robust) estimator and the seeded bootstrap.

use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution};

use super::bt::{BtSolver, ChordFactor, fit_bt, refit_chord, sigmoid};
use super::cells::Cells;
use super::linalg::{matmul, spd_inverse};

/// The diagonal term arena-rank adds to the Hessian, per battle (unweighted fits).
pub const HESSIAN_REG: f64 = 1e-5;

/// Standard errors (natural scale) of the Bradley–Terry parameters by the sandwich estimator.
///
/// Per cell, with `p = σ(θa − θb)`, `c` its count and `w = c · weight`:
/// `H += p(1 − p)·w` and `G += (w·(y − p))² / c`, each assembled as +v on both diagonals and
/// −v off them. `H` gets `1e-5 × battles` on its diagonal (1e-5 alone when reweighted, as
/// arena-rank does, since weighted Hessians are on a per-pair scale). Cov = H⁻¹ G H⁻¹.
/// Returns `None` when `H` cannot be inverted.
pub fn sandwich_std_errors(
    cells: &Cells,
    theta: &[f64],
    cell_weights: Option<&[f64]>,
) -> Option<Vec<f64>> {
    let n = cells.n_models;
    let mut h = vec![0.0; n * n];
    let mut g = vec![0.0; n * n];
    let add = |m: &mut [f64], a: usize, b: usize, v: f64| {
        m[a * n + a] += v;
        m[b * n + b] += v;
        m[a * n + b] -= v;
        m[b * n + a] -= v;
    };
    for (k, (cell, &c)) in cells.cells.iter().zip(&cells.counts).enumerate() {
        if c == 0.0 {
            continue;
        }
        let w = c * cell_weights.map_or(1.0, |cw| cw[k]);
        let p = sigmoid(theta[cell.a] - theta[cell.b]);
        add(&mut h, cell.a, cell.b, p * (1.0 - p) * w);
        let gv = w * (cell.y - p);
        add(&mut g, cell.a, cell.b, gv * gv / c);
    }
    let reg = if cell_weights.is_some() {
        HESSIAN_REG
    } else {
        HESSIAN_REG * cells.total()
    };
    for i in 0..n {
        h[i * n + i] += reg;
    }
    let hinv = spd_inverse(&h, n)?;
    let cov = matmul(&matmul(&hinv, &g, n), &hinv, n);
    Some((0..n).map(|i| cov[i * n + i].max(0.0).sqrt()).collect())
}

/// Cells with fewer battles than this are drawn battle by battle; the others by a
/// conditional binomial each. A binomial draw costs about as much as 20 uniform picks
/// (`cargo bench -p arena-core --bench leaderboard`, 100k and 1M battles).
pub const SMALL_CELL: f64 = 20.0;

/// Multinomial draws of `Σ counts` battles over the cells, with probabilities proportional
/// to `counts` (whole numbers): what resampling the battles with replacement gives.
///
/// Each draw is exact, and each cell is drawn the cheaper way. The battles of the small
/// cells (fewer than [`SMALL_CELL`]) are picked one by one, uniformly; a large cell takes one
/// conditional binomial. First `n_small ~ Binomial(total, small battles / total)` says how
/// many of the draws fall in the small cells; given it, the small and large cells are two
/// independent multinomials, which is the multinomial over all of them.
#[derive(Debug, Clone)]
pub struct Multinomial {
    cells: usize,
    total: u64,
    /// One entry per battle in a small cell: that cell's index.
    small: Vec<u32>,
    /// The large cells and their counts.
    large: Vec<(usize, f64)>,
    large_mass: f64,
}

impl Multinomial {
    pub fn new(counts: &[f64]) -> Multinomial {
        let mut small = Vec::new();
        let mut large = Vec::new();
        let mut large_mass = 0.0;
        for (k, &c) in counts.iter().enumerate() {
            if c <= 0.0 {
                continue;
            }
            match u32::try_from(k) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(k32) if c < SMALL_CELL && c.fract() == 0.0 => {
                    small.extend(std::iter::repeat_n(k32, c as usize));
                }
                _ => {
                    large.push((k, c));
                    large_mass += c;
                }
            }
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let total = (large_mass.round() as u64) + small.len() as u64;
        Multinomial {
            cells: counts.len(),
            total,
            small,
            large,
            large_mass,
        }
    }

    /// One draw: the resampled count of each cell.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let mut out = vec![0.0; self.cells];
        let n_small = if self.large.is_empty() {
            self.total
        } else if self.small.is_empty() {
            0
        } else {
            let small = self.small.len() as f64;
            let p = small / (small + self.large_mass);
            Binomial::new(self.total, p).map_or(0, |d| d.sample(rng))
        };
        for _ in 0..n_small {
            out[self.small[rng.random_range(0..self.small.len())] as usize] += 1.0;
        }
        // The large cells by sequential conditional binomials. Counts are whole numbers of
        // battles; sums stay exact in f64 far beyond any data set.
        let mut remaining_n = self.total - n_small;
        let mut remaining_mass = self.large_mass;
        for &(k, c) in &self.large {
            if remaining_n == 0 {
                break;
            }
            let p = (c / remaining_mass).min(1.0);
            let x = if p >= 1.0 {
                remaining_n
            } else {
                Binomial::new(remaining_n, p).map_or(0, |d| d.sample(rng))
            };
            out[k] = x as f64;
            remaining_n -= x;
            remaining_mass -= c;
        }
        out
    }
}

/// One multinomial draw (see [`Multinomial`]); set the sampler up once for many draws.
pub fn multinomial_draw<R: Rng + ?Sized>(rng: &mut R, counts: &[f64]) -> Vec<f64> {
    Multinomial::new(counts).draw(rng)
}

/// The bootstrap's random numbers: xoshiro256++, seeded. A round draws up to a few hundred
/// thousand uniforms, and this generator is several times cheaper than ChaCha in wasm,
/// which has no SIMD for it; its streams are fixed by the seed on every platform.
pub type BootstrapRng = rand_xoshiro::Xoshiro256PlusPlus;

/// Per-round cell counts of a seeded bootstrap: `rounds` multinomial draws.
pub fn bootstrap_counts(cells: &Cells, rounds: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = BootstrapRng::seed_from_u64(seed);
    let sampler = Multinomial::new(&cells.counts);
    (0..rounds).map(|_| sampler.draw(&mut rng)).collect()
}

/// Refits Bradley–Terry on each round's counts (warm-started at `start`); each result is
/// centred to mean zero, natural scale.
pub fn bootstrap_thetas(
    cells: &Cells,
    round_counts: &[Vec<f64>],
    cell_weights: Option<&[f64]>,
    start: &[f64],
) -> Vec<Vec<f64>> {
    // Warm-started at the full fit, Newton (the fallback) converges quadratically: once a
    // step below 1e-5 has been applied, the remaining error is of the order of its square
    // (≈ 1e-10 · 173 points); the chord refit stops at steps below 1e-7.
    let solver = BtSolver {
        max_iter: 100,
        step_tol: 1e-5,
    };
    // Each round's data is close to the full data, so its fit is reached from the full
    // fit's Hessian, factorised once (the chord method); a round where that does not settle
    // falls back to the full Newton fit.
    let factor = ChordFactor::at(cells, cell_weights, start);
    round_counts
        .iter()
        .map(|counts| {
            factor
                .as_ref()
                .and_then(|f| refit_chord(cells, counts, cell_weights, start, f, solver))
                .unwrap_or_else(|| fit_bt(cells, counts, cell_weights, Some(start), solver))
                .theta
        })
        .collect()
}

/// The q-quantile of `values` with linear interpolation between order statistics (numpy's
/// and pandas' default). `NaN` for an empty slice.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4], 0.025) = 1.075; 0.975 → 3.925
        let v = [4.0, 1.0, 3.0, 2.0];
        assert!((quantile(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 3.925).abs() < 1e-12);
        assert!((quantile(&[7.0], 0.3) - 7.0).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn multinomial_draw_keeps_the_total_and_is_seeded() {
        let counts = vec![5.0, 0.0, 100.0, 37.0, 1.0, 2000.0];
        let mut r1 = ChaCha8Rng::seed_from_u64(9);
        let mut r2 = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..50 {
            let d1 = multinomial_draw(&mut r1, &counts);
            let d2 = multinomial_draw(&mut r2, &counts);
            assert_eq!(d1, d2);
            assert!((d1.iter().sum::<f64>() - 2143.0).abs() < 1e-9);
            assert!(d1[1].abs() < f64::EPSILON, "a zero cell never draws");
        }
    }

    #[test]
    fn chord_refits_equal_full_newton_refits() {
        let records = crate::ratings::synthetic::synthetic_battles(3000, 6, 11);
        let refs: Vec<&crate::VoteRecord> = records.iter().collect();
        let (_, battles) = crate::ratings::index_battles(&refs);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let cells = Cells::from_battles(6, battles);
        let solver = BtSolver {
            max_iter: 100,
            step_tol: 1e-5,
        };
        let full = fit_bt(&cells, &cells.counts, None, None, solver);
        let factor = ChordFactor::at(&cells, None, &full.theta).expect("factor");
        for _ in 0..20 {
            let counts = multinomial_draw(&mut rng, &cells.counts);
            let chord = refit_chord(&cells, &counts, None, &full.theta, &factor, solver)
                .expect("a bootstrap round settles");
            let newton = fit_bt(&cells, &counts, None, Some(&full.theta), solver);
            for (c, n) in chord.theta.iter().zip(&newton.theta) {
                // 1e-6 natural units is 0.0002 rating points.
                assert!((c - n).abs() < 1e-6, "{c} vs {n}");
            }
        }
    }

    #[test]
    fn mixed_small_and_large_cells_draw_the_multinomial() {
        // Cells on both sides of SMALL_CELL: the counts' means, variances N·p(1 − p) and
        // covariances −N·pᵢ·pⱼ, across the two groups too.
        let counts = vec![3.0, 50.0, 1.0, 0.0, 200.0, 7.0, 19.0, 20.0];
        let total: f64 = counts.iter().sum();
        let sampler = Multinomial::new(&counts);
        let mut rng = BootstrapRng::seed_from_u64(3);
        let rounds = 20_000;
        let k = counts.len();
        let (mut sum, mut sq) = (vec![0.0; k], vec![0.0; k * k]);
        for _ in 0..rounds {
            let d = sampler.draw(&mut rng);
            assert!((d.iter().sum::<f64>() - total).abs() < 1e-9);
            assert!(d[3].abs() < f64::EPSILON);
            for i in 0..k {
                sum[i] += d[i];
                for j in 0..k {
                    sq[i * k + j] += d[i] * d[j];
                }
            }
        }
        let r = f64::from(rounds);
        for i in 0..k {
            let p = counts[i] / total;
            let var = total * p * (1.0 - p);
            let mean = sum[i] / r;
            assert!(
                (mean - counts[i]).abs() <= 5.0 * (var / r).sqrt() + 1e-12,
                "cell {i}: mean {mean}"
            );
            for j in 0..k {
                let q = counts[j] / total;
                let want = if i == j { var } else { -total * p * q };
                let got = sq[i * k + j] / r - (sum[i] / r) * (sum[j] / r);
                // Within 6 standard errors of a sample covariance (about √((σᵢ²σⱼ² + σᵢⱼ²) / r)
                // for near-normal counts; the small cells are skewed, hence 6).
                let var_j = total * q * (1.0 - q);
                let se = ((var * var_j + want * want) / r).sqrt();
                assert!(
                    (got - want).abs() <= 6.0 * se + 1e-9,
                    "cov {i},{j}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn a_fractional_count_shares_the_draws_by_its_mass() {
        // Two draws over masses 1 and 0.5: both land in the first with p = (2/3)² = 0.444.
        let sampler = Multinomial::new(&[1.0, 0.5]);
        let mut rng = BootstrapRng::seed_from_u64(5);
        let rounds = 40_000;
        let both = (0..rounds)
            .filter(|_| (sampler.draw(&mut rng)[0] - 2.0).abs() < 1e-9)
            .count();
        let p = both as f64 / f64::from(rounds);
        assert!((p - 4.0 / 9.0).abs() < 0.015, "{p}");
    }

    #[test]
    fn multinomial_draw_has_the_right_means() {
        let counts = vec![10.0, 30.0, 60.0];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut sums = [0.0; 3];
        let rounds = 4000;
        for _ in 0..rounds {
            let d = multinomial_draw(&mut rng, &counts);
            for k in 0..3 {
                sums[k] += d[k];
            }
        }
        for k in 0..3 {
            let mean = sums[k] / f64::from(rounds);
            // sd of a single draw ≤ sqrt(100·0.25) = 5; of the mean ≤ 5/sqrt(4000) ≈ 0.08.
            assert!((mean - counts[k]).abs() < 0.4, "cell {k}: {mean}");
        }
    }
}
