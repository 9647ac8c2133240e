//! Pairwise matrices over the models: battle counts, win fractions, predicted win rates.

use serde::{Deserialize, Serialize};

use super::cells::Battle;
use crate::record::Winner;

/// A square matrix over `models`, row-major; `None` where there is no value (no battles).
/// Entry (i, j) is about row model i against column model j.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub models: Vec<String>,
    pub values: Vec<Option<f64>>,
}

impl Matrix {
    /// The entry for row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        self.values[i * self.models.len() + j]
    }
}

/// Per-pair tallies, indexed by model index (both orientations filled).
#[derive(Debug, Clone, PartialEq)]
pub struct PairTallies {
    pub n: usize,
    /// wins[i][j]: battles i won against j.
    pub wins: Vec<f64>,
    /// battles[i][j]: all battles between i and j, ties included (symmetric).
    pub battles: Vec<f64>,
}

impl PairTallies {
    pub fn from_battles(n: usize, battles: impl IntoIterator<Item = Battle>) -> PairTallies {
        let mut wins = vec![0.0; n * n];
        let mut all = vec![0.0; n * n];
        for battle in battles {
            let ((a, b), winner) = (battle.models(), battle.winner);
            if a == b {
                continue;
            }
            all[a * n + b] += 1.0;
            all[b * n + a] += 1.0;
            match winner {
                Winner::ModelA => wins[a * n + b] += 1.0,
                Winner::ModelB => wins[b * n + a] += 1.0,
                Winner::Tie | Winner::TieBothBad => {}
            }
        }
        PairTallies {
            n,
            wins,
            battles: all,
        }
    }

    /// The tallies of battle counts by ordered pair and verdict (`at(i, j, v)`, verdicts as
    /// [`super::cells::verdict`] numbers them): the same as [`PairTallies::from_battles`] of
    /// those battles (the counts are whole numbers, so the sums are exact either way).
    pub fn from_counts(n: usize, at: impl Fn(usize, usize, usize) -> u32) -> PairTallies {
        let mut wins = vec![0.0; n * n];
        let mut all = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let c = [at(i, j, 0), at(i, j, 1), at(i, j, 2)].map(f64::from);
                all[i * n + j] += c[0] + c[1] + c[2];
                all[j * n + i] += c[0] + c[1] + c[2];
                wins[i * n + j] += c[0];
                wins[j * n + i] += c[1];
            }
        }
        PairTallies {
            n,
            wins,
            battles: all,
        }
    }

    /// Battle-count matrix in the order `order` (indices into the tallies).
    pub fn count_matrix(&self, order: &[usize], names: &[String]) -> Matrix {
        Self::matrix(order, names, |i, j| Some(self.battles[i * self.n + j]))
    }

    /// Fraction of i's non-tie battles against j that i won.
    pub fn win_fraction_matrix(&self, order: &[usize], names: &[String]) -> Matrix {
        Self::matrix(order, names, |i, j| {
            let (w, l) = (self.wins[i * self.n + j], self.wins[j * self.n + i]);
            (w + l > 0.0).then(|| w / (w + l))
        })
    }

    fn matrix(
        order: &[usize],
        names: &[String],
        f: impl Fn(usize, usize) -> Option<f64>,
    ) -> Matrix {
        let mut values = Vec::with_capacity(order.len() * order.len());
        for &i in order {
            for &j in order {
                values.push(if i == j { None } else { f(i, j) });
            }
        }
        Matrix {
            models: order.iter().map(|&i| names[i].clone()).collect(),
            values,
        }
    }
}

/// P(row beats column) = 1 / (1 + 10^((Rj − Ri)/400)), from ratings on the 400 scale.
pub fn predicted_win_rate_matrix(models: &[String], ratings: &[f64]) -> Matrix {
    let n = models.len();
    let mut values = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            values.push(
                (i != j).then(|| 1.0 / (1.0 + 10f64.powf((ratings[j] - ratings[i]) / 400.0))),
            );
        }
    }
    Matrix {
        models: models.to_vec(),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_fraction_excludes_ties() {
        let names: Vec<String> = ["x", "y"].iter().map(|s| (*s).to_string()).collect();
        let t = PairTallies::from_battles(
            2,
            [
                Battle::new(0, 1, Winner::ModelA),
                Battle::new(1, 0, Winner::ModelB),
                Battle::new(1, 0, Winner::ModelA),
                Battle::new(0, 1, Winner::Tie),
            ],
        );
        let wf = t.win_fraction_matrix(&[0, 1], &names);
        assert_eq!(wf.get(0, 1), Some(2.0 / 3.0));
        assert_eq!(wf.get(1, 0), Some(1.0 / 3.0));
        assert_eq!(wf.get(0, 0), None);
        let c = t.count_matrix(&[1, 0], &names);
        assert_eq!(c.models, vec!["y".to_string(), "x".to_string()]);
        assert_eq!(c.get(0, 1), Some(4.0));
    }

    #[test]
    fn predicted_rates_are_complementary() {
        let m = predicted_win_rate_matrix(&["a".into(), "b".into()], &[1400.0, 1000.0]);
        assert!((m.get(0, 1).unwrap() - 10.0 / 11.0).abs() < 1e-12);
        assert!((m.get(0, 1).unwrap() + m.get(1, 0).unwrap() - 1.0).abs() < 1e-12);
    }
}
