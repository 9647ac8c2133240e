//! Significant preference cycles: A beats B, B beats C and C beats A, each significantly.
//!
//! One rating per model hides such intransitivity. An edge i → j is significant when i's win
//! fraction against j (ties excluded) exceeds one half by more than `z` binomial standard
//! errors: (w − n/2) / sqrt(n/4) > z.

use serde::{Deserialize, Serialize};

use super::matrices::PairTallies;

/// One significant three-model cycle, `models[0]` beats `models[1]` beats `models[2]` beats
/// `models[0]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    pub models: [String; 3],
    /// Win fraction of each edge (0 → 1, 1 → 2, 2 → 0).
    pub win_fractions: [f64; 3],
    /// The weakest edge's z-score.
    pub min_z: f64,
}

fn edge_z(t: &PairTallies, i: usize, j: usize) -> (f64, f64) {
    let (w, l) = (t.wins[i * t.n + j], t.wins[j * t.n + i]);
    let n = w + l;
    if n == 0.0 {
        return (0.0, f64::NEG_INFINITY);
    }
    (w / n, (w - n / 2.0) / (n / 4.0).sqrt())
}

/// All significant 3-cycles, strongest first (by weakest edge), at most `limit`.
pub fn find_cycles(t: &PairTallies, names: &[String], z: f64, limit: usize) -> Vec<Cycle> {
    let n = t.n;
    let mut out = Vec::new();
    let beats = |i: usize, j: usize| edge_z(t, i, j).1 > z;
    for i in 0..n {
        for j in (i + 1)..n {
            for k in (j + 1)..n {
                // The two possible orientations of a triangle.
                for (x, y, w) in [(i, j, k), (i, k, j)] {
                    if beats(x, y) && beats(y, w) && beats(w, x) {
                        let e = [edge_z(t, x, y), edge_z(t, y, w), edge_z(t, w, x)];
                        out.push(Cycle {
                            models: [names[x].clone(), names[y].clone(), names[w].clone()],
                            win_fractions: [e[0].0, e[1].0, e[2].0],
                            min_z: e[0].1.min(e[1].1).min(e[2].1),
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| b.min_z.total_cmp(&a.min_z).then(a.models.cmp(&b.models)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::super::cells::Battle;
    use super::*;
    use crate::record::Winner;

    fn many(a: usize, b: usize, wins: usize, losses: usize) -> Vec<Battle> {
        let mut v = vec![Battle::new(a, b, Winner::ModelA); wins];
        v.extend(vec![Battle::new(a, b, Winner::ModelB); losses]);
        v
    }

    #[test]
    fn rock_paper_scissors_is_found_and_transitive_data_is_not() {
        let names: Vec<String> = ["rock", "paper", "scissors"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let mut b = many(1, 0, 80, 20); // paper beats rock
        b.extend(many(2, 1, 80, 20)); // scissors beat paper
        b.extend(many(0, 2, 80, 20)); // rock beats scissors
        let t = PairTallies::from_battles(3, b);
        let c = find_cycles(&t, &names, 1.96, 10);
        assert_eq!(c.len(), 1);
        assert!((c[0].win_fractions[0] - 0.8).abs() < 1e-12);
        let mut b = many(0, 1, 80, 20);
        b.extend(many(1, 2, 80, 20));
        b.extend(many(0, 2, 80, 20));
        assert!(find_cycles(&PairTallies::from_battles(3, b), &names, 1.96, 10).is_empty());
        // A cycle that is not significant is not reported.
        let mut b = many(1, 0, 6, 4);
        b.extend(many(2, 1, 6, 4));
        b.extend(many(0, 2, 6, 4));
        assert!(find_cycles(&PairTallies::from_battles(3, b), &names, 1.96, 10).is_empty());
    }
}
