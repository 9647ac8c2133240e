//! Battles reduced to counts of distinct (model_a, model_b, outcome) cells.
//!
//! The Bradley–Terry likelihood depends on the battles only through these counts, so every
//! solver in this module works on cells, never on raw battles: a million battles among a
//! hundred models are at most 100 · 99 / 2 · 3 cells.

use std::collections::HashMap;

use crate::record::Winner;

/// One battle between two models, by index into a model list.
///
/// The indices are `u32` so a battle takes 12 bytes: passes over a million battles are
/// bound by memory traffic, and this halves it (model counts never approach 2³²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Battle {
    pub a: u32,
    pub b: u32,
    pub winner: Winner,
}

impl Battle {
    /// A battle between models `a` and `b` (indices below 2³²).
    ///
    /// # Panics
    /// When an index does not fit in `u32`.
    pub fn new(a: usize, b: usize, winner: Winner) -> Battle {
        let idx = |i: usize| u32::try_from(i).expect("model index below 2^32");
        Battle {
            a: idx(a),
            b: idx(b),
            winner,
        }
    }

    /// The two model indices.
    pub fn models(self) -> (usize, usize) {
        (self.a as usize, self.b as usize)
    }
}

/// A distinct (model a, model b, outcome) combination and how often it occurred.
///
/// Cells are stored in canonical orientation (`a < b`); `y` is the score of `a`
/// (1 win, 0.5 tie of either kind, 0 loss).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub a: usize,
    pub b: usize,
    pub y: f64,
}

/// All cells of a set of battles, with their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Cells {
    pub n_models: usize,
    pub cells: Vec<Cell>,
    /// How many battles fell into each cell (same order as `cells`).
    pub counts: Vec<f64>,
}

/// A verdict's index in battle counts by ordered pair: 0 = a wins, 1 = b wins, 2 = a tie.
pub fn verdict(w: Winner) -> usize {
    match w {
        Winner::ModelA => 0,
        Winner::ModelB => 1,
        Winner::Tie | Winner::TieBothBad => 2,
    }
}

impl Cells {
    /// Groups battles into cells. Self-battles (`a == b`) carry no information and are
    /// skipped. Cells come out sorted by (a, b, y), so the result does not depend on the
    /// order of the battles.
    pub fn from_battles(n_models: usize, battles: impl IntoIterator<Item = Battle>) -> Cells {
        // Outcome slot: 0 = a wins, 1 = tie, 2 = b wins (canonical orientation).
        let slot = |b: &Battle| -> (usize, usize, usize) {
            let s = match b.winner {
                Winner::ModelA => 0,
                Winner::Tie | Winner::TieBothBad => 1,
                Winner::ModelB => 2,
            };
            let (a, c) = b.models();
            if a < c { (a, c, s) } else { (c, a, 2 - s) }
        };
        if n_models <= 1024 {
            // Counted by ordered pair and verdict, without a branch per battle (random
            // orientations and verdicts mispredict), then folded to canonical cells. The
            // diagonal (self-battles) is never read.
            let mut dense = vec![0u32; n_models * n_models * 3];
            for b in battles {
                let (i, j) = b.models();
                dense[(i * n_models + j) * 3 + verdict(b.winner)] += 1;
            }
            return Cells::from_counts(n_models, |i, j, v| dense[(i * n_models + j) * 3 + v]);
        }
        let mut map: HashMap<(usize, usize, usize), f64> = HashMap::new();
        for b in battles {
            if b.a == b.b {
                continue;
            }
            *map.entry(slot(&b)).or_insert(0.0) += 1.0;
        }
        let mut keyed: Vec<((usize, usize, usize), f64)> = map.into_iter().collect();
        keyed.sort_by_key(|(k, _)| *k);
        Cells::from_keyed(n_models, &keyed)
    }

    /// Cells from battle counts by ordered pair and verdict (`at(i, j, v)`: battles of `i`
    /// as model a against `j`, verdict `v` of [`verdict`]); the same cells, in the same order,
    /// as [`Cells::from_battles`] of those battles.
    pub fn from_counts(n_models: usize, at: impl Fn(usize, usize, usize) -> u32) -> Cells {
        let mut keyed: Vec<((usize, usize, usize), f64)> = Vec::new();
        for i in 0..n_models {
            for j in (i + 1)..n_models {
                let by_slot = [
                    at(i, j, 0) + at(j, i, 1),
                    at(i, j, 2) + at(j, i, 2),
                    at(i, j, 1) + at(j, i, 0),
                ];
                for (s, c) in by_slot.into_iter().enumerate() {
                    if c > 0 {
                        keyed.push(((i, j, s), f64::from(c)));
                    }
                }
            }
        }
        Cells::from_keyed(n_models, &keyed)
    }

    fn from_keyed(n_models: usize, keyed: &[((usize, usize, usize), f64)]) -> Cells {
        let cells = keyed
            .iter()
            .map(|&((a, b, s), _)| Cell {
                a,
                b,
                y: [1.0, 0.5, 0.0][s],
            })
            .collect();
        let counts = keyed.iter().map(|&(_, c)| c).collect();
        Cells {
            n_models,
            cells,
            counts,
        }
    }

    /// Total number of battles.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Battles between each unordered pair, per cell (the cell's pair total).
    pub fn pair_totals(&self) -> Vec<f64> {
        let mut per_pair: HashMap<(usize, usize), f64> = HashMap::new();
        for (c, n) in self.cells.iter().zip(&self.counts) {
            *per_pair.entry((c.a, c.b)).or_insert(0.0) += n;
        }
        self.cells.iter().map(|c| per_pair[&(c.a, c.b)]).collect()
    }

    /// arena-rank's `reweighted` cell weights: 1 / max(battles of the pair, 50).
    pub fn reweight_weights(&self) -> Vec<f64> {
        self.pair_totals()
            .into_iter()
            .map(|t| 1.0 / t.max(50.0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(a: usize, b: usize, winner: Winner) -> Battle {
        Battle::new(a, b, winner)
    }

    #[test]
    fn battles_collapse_into_canonical_cells() {
        let cells = Cells::from_battles(
            3,
            [
                b(0, 1, Winner::ModelA),
                b(1, 0, Winner::ModelB), // same as 0 beats 1
                b(2, 0, Winner::Tie),
                b(0, 2, Winner::TieBothBad), // both ties share a cell
                b(1, 2, Winner::ModelB),
                b(1, 1, Winner::ModelA), // self-battle: skipped
            ],
        );
        assert_eq!(
            cells.cells,
            vec![
                Cell { a: 0, b: 1, y: 1.0 },
                Cell { a: 0, b: 2, y: 0.5 },
                Cell { a: 1, b: 2, y: 0.0 },
            ]
        );
        assert_eq!(cells.counts, vec![2.0, 2.0, 1.0]);
        assert!((cells.total() - 5.0).abs() < 1e-12);
    }

    #[test]
    fn sparse_and_dense_paths_agree() {
        let battles: Vec<Battle> = (0..500)
            .map(|k| b(k % 7, (k * 3 + 1) % 7, Winner::ALL[k % 4]))
            .collect();
        let dense = Cells::from_battles(7, battles.clone());
        let sparse = Cells::from_battles(
            2000,
            battles
                .iter()
                .map(|x| b(x.models().0, x.models().1, x.winner))
                .collect::<Vec<_>>(),
        );
        assert_eq!(dense.cells, sparse.cells);
        assert_eq!(dense.counts, sparse.counts);
    }

    #[test]
    fn reweighting_floors_at_fifty() {
        let mut battles = vec![b(0, 1, Winner::ModelA); 80];
        battles.extend(vec![b(0, 1, Winner::ModelB); 20]);
        battles.extend(vec![b(1, 2, Winner::ModelA); 10]);
        let cells = Cells::from_battles(3, battles);
        let w = cells.reweight_weights();
        assert_eq!(w, vec![0.01, 0.01, 0.02]);
    }
}
