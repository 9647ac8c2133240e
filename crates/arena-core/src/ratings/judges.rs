//! Per-judge figures: how many votes, how often the judge agrees with the fitted model, and
//! an outlier test.
//!
//! The outlier test compares the judge's decisive votes with what the fitted model predicts:
//! with p = P(a wins) from the ratings, a decisive vote has log-likelihood ℓ = ln p or
//! ln(1 − p). Under the model, E[ℓ] = p ln p + (1 − p) ln(1 − p) and
//! Var[ℓ] = p(1 − p)(ln p − ln(1 − p))². The judge's z-score is
//! (Σℓ − ΣE[ℓ]) / sqrt(ΣVar[ℓ]); a judge with at least [`OUTLIER_MIN_VOTES`] decisive votes
//! and z below −[`OUTLIER_Z`] votes against the consensus far more than chance allows.

use serde::{Deserialize, Serialize};

use super::bt::sigmoid;
use crate::record::Winner;

/// z-score beyond which a judge is an outlier.
pub const OUTLIER_Z: f64 = 3.0;
/// Decisive votes a judge needs before the outlier test applies.
pub const OUTLIER_MIN_VOTES: u64 = 10;

/// Figures for one judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeStats {
    pub judge: String,
    pub votes: u64,
    /// Votes that were not ties.
    pub decisive: u64,
    /// Fraction of decisive votes for the model the ratings favour (a toss-up counts half).
    pub agreement: Option<f64>,
    pub z_score: Option<f64>,
    pub outlier: bool,
}

/// One vote for judge statistics: the judge (an index into the judges' names), both models
/// (indices into the ratings), the verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgedVote {
    pub judge: u32,
    pub a: usize,
    pub b: usize,
    pub winner: Winner,
}

#[derive(Default)]
struct Acc {
    votes: u64,
    decisive: u64,
    agree: f64,
    ll: f64,
    mean: f64,
    var: f64,
}

/// Per ordered pair (a, b): agreement if a wins, ln p(a wins), ln p(b wins), E[ℓ], Var[ℓ].
fn pair_table(theta: &[f64]) -> Vec<[f64; 5]> {
    let n = theta.len();
    let mut t = vec![[0.0; 5]; n * n];
    for a in 0..n {
        for b in 0..n {
            let p = sigmoid(theta[a] - theta[b]).clamp(1e-15, 1.0 - 1e-15);
            let (lp, lq) = (p.ln(), (1.0 - p).ln());
            let agree = if p > 0.5 {
                1.0
            } else if p < 0.5 {
                0.0
            } else {
                0.5
            };
            t[a * n + b] = [
                agree,
                lp,
                lq,
                p * lp + (1.0 - p) * lq,
                p * (1.0 - p) * (lp - lq).powi(2),
            ];
        }
    }
    t
}

/// Figures for each judge with a vote, sorted by votes (most first), then name. `theta` are
/// the fitted natural-scale ratings; `judges` names the votes' judge indices.
///
/// # Panics
/// When a vote's judge is not an index into `judges`.
pub fn judge_stats(
    theta: &[f64],
    judges: &[&str],
    votes: impl IntoIterator<Item = JudgedVote>,
) -> Vec<JudgeStats> {
    let n = theta.len();
    let table = pair_table(theta);
    // By index, not by name: a public dataset has a judge per user, and hashing each vote's
    // judge name was a third of the ranking.
    let mut acc: Vec<Acc> = std::iter::repeat_with(Acc::default)
        .take(judges.len())
        .collect();
    for v in votes {
        let e = &mut acc[v.judge as usize];
        e.votes += 1;
        let row = &table[v.a * n + v.b];
        let (agree, ll) = match v.winner {
            Winner::ModelA => (row[0], row[1]),
            Winner::ModelB => (1.0 - row[0], row[2]),
            Winner::Tie | Winner::TieBothBad => continue,
        };
        e.decisive += 1;
        e.agree += agree;
        e.ll += ll;
        e.mean += row[3];
        e.var += row[4];
    }
    let mut out: Vec<JudgeStats> = judges
        .iter()
        .zip(acc)
        .filter(|(_, a)| a.votes > 0)
        .map(|(judge, a)| {
            let z = (a.decisive > 0 && a.var > 0.0).then(|| (a.ll - a.mean) / a.var.sqrt());
            JudgeStats {
                judge: (*judge).to_string(),
                votes: a.votes,
                decisive: a.decisive,
                agreement: (a.decisive > 0).then(|| a.agree / a.decisive as f64),
                z_score: z,
                outlier: a.decisive >= OUTLIER_MIN_VOTES && z.is_some_and(|z| z < -OUTLIER_Z),
            }
        })
        .collect();
    out.sort_by(|a, b| b.votes.cmp(&a.votes).then_with(|| a.judge.cmp(&b.judge)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contrarian_judge_is_an_outlier_and_a_consensus_judge_is_not() {
        // The model says a beats b with p = σ(1.5) ≈ 0.82.
        let theta = [1.5, 0.0];
        let mut votes = Vec::new();
        for i in 0..100 {
            let winner = if i % 5 == 0 {
                Winner::ModelB
            } else {
                Winner::ModelA
            };
            votes.push(JudgedVote {
                judge: 0,
                a: 0,
                b: 1,
                winner,
            });
            votes.push(JudgedVote {
                judge: 1,
                a: 0,
                b: 1,
                winner: Winner::ModelB,
            });
        }
        votes.push(JudgedVote {
            judge: 0,
            a: 1,
            b: 0,
            winner: Winner::Tie,
        });
        let s = judge_stats(&theta, &["fair", "troll"], votes);
        let fair = s.iter().find(|j| j.judge == "fair").unwrap();
        let troll = s.iter().find(|j| j.judge == "troll").unwrap();
        assert_eq!((fair.votes, fair.decisive), (101, 100));
        assert!((fair.agreement.unwrap() - 0.8).abs() < 1e-12);
        assert!(!fair.outlier && fair.z_score.unwrap().abs() < 2.0);
        assert!((troll.agreement.unwrap()).abs() < 1e-12);
        assert!(troll.outlier);
    }
}
