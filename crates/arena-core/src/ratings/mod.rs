//! Ratings: online Elo, Bradley–Terry with sandwich or bootstrap intervals, style control,
//! matrices, preference cycles and per-judge figures — all from a slice of vote records.
//!
//! The entry point is [`compute_leaderboard`]; the building blocks are public for callers
//! that need only a part (the browser worker, the benchmarks, the reference tests).

// Numerical code: the single-letter names (n, g, h, p, w, …) are the ones of the formulas in
// the docs, which reads better than long names here.
#![allow(clippy::many_single_char_names)]

pub mod bt;
pub mod cells;
pub mod ci;
pub mod cycles;
pub mod elo;
mod intern;
pub mod judges;
pub(crate) mod linalg;
pub mod matrices;
pub mod packed;
pub mod ranking;
pub mod rows;
pub mod style;
pub mod synthetic;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::record::{VoteRecord, Winner};
use rows::RatingRows;
use style::StyleCounts;

pub use bt::{BtFit, BtSolver, fit_bt};
pub use cells::{Battle, Cell, Cells};
pub use cycles::Cycle;
pub use elo::{EloParams, online_elo};
pub use judges::JudgeStats;
pub use matrices::Matrix;
pub use ranking::{Ranking, Rankings};

/// Rating points per natural log-odds unit: 400 / ln 10.
pub const SCALE: f64 = 400.0 / std::f64::consts::LN_10;
/// Mean rating when no anchor applies.
pub const INIT_RATING: f64 = 1000.0;
/// The model the public board pins, and its rating, when present.
pub const DEFAULT_ANCHOR: (&str, f64) = ("mixtral-8x7b-instruct-v0.1", 1114.0);
/// Normal quantile for 95 % intervals.
pub const Z_95: f64 = 1.96;
/// Default number of bootstrap rounds.
pub const DEFAULT_BOOTSTRAP_ROUNDS: usize = 100;

/// How the confidence intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum CiMethod {
    /// The sandwich (robust) estimator; instant.
    Sandwich,
    /// Seeded bootstrap over the cells with this many rounds; 2.5 % / 97.5 % quantiles.
    Bootstrap { rounds: usize },
}

/// A model pinned to a rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    pub model: String,
    pub rating: f64,
}

impl Anchor {
    /// Parses `MODEL=RATING` (the model name may itself contain `=`; the last one splits).
    pub fn parse(s: &str) -> Result<Anchor, RatingsError> {
        let (model, rating) = s
            .rsplit_once('=')
            .ok_or_else(|| RatingsError::BadAnchor(s.to_string()))?;
        let rating: f64 = rating
            .trim()
            .parse()
            .map_err(|_| RatingsError::BadAnchor(s.to_string()))?;
        if model.trim().is_empty() || !rating.is_finite() {
            return Err(RatingsError::BadAnchor(s.to_string()));
        }
        Ok(Anchor {
            model: model.trim().to_string(),
            rating,
        })
    }
}

/// Which votes count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterOptions {
    /// A category name as [`Category::parse`] reads it; `None` for all battles.
    pub category: Option<String>,
    /// Count battles flagged as identity leaks (excluded by default).
    pub include_flagged: bool,
    /// Count non-anonymous battles (`anony: false`; excluded by default, as FastChat does).
    pub include_named: bool,
    /// Down-sample prompts repeated beyond the 99.99th percentile (on by default).
    pub dedup: bool,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            category: None,
            include_flagged: false,
            include_named: false,
            dedup: true,
        }
    }
}

/// Everything [`compute_leaderboard`] can be asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardOptions {
    pub ci: CiMethod,
    /// Seed of the bootstrap and of dedup's sampling.
    pub seed: u64,
    /// arena-rank's reweighting: each cell weighted 1 / max(pair battles, 50).
    pub reweight: bool,
    /// Pin this model to this rating; `None` pins `mixtral-8x7b-instruct-v0.1` at 1114 when it
    /// is present (see [`LeaderboardOptions::auto_anchor`]) and otherwise centres on 1000.
    pub anchor: Option<Anchor>,
    /// Apply [`DEFAULT_ANCHOR`] when no anchor is given and that model is present.
    pub auto_anchor: bool,
    /// Fit with style control and report its coefficients.
    pub style_control: bool,
    pub filter: FilterOptions,
    /// Significance (z) for preference cycles.
    pub cycle_z: f64,
    /// At most this many cycles are reported.
    pub max_cycles: usize,
}

impl Default for LeaderboardOptions {
    fn default() -> Self {
        LeaderboardOptions {
            ci: CiMethod::Sandwich,
            seed: 42,
            reweight: false,
            anchor: None,
            auto_anchor: true,
            style_control: false,
            filter: FilterOptions::default(),
            cycle_z: Z_95,
            max_cycles: 100,
        }
    }
}

/// One row of the leaderboard (the CLI's columns, plus the raw tallies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    /// 1 + the number of models whose lower bound exceeds this model's upper bound.
    pub rank_ub: usize,
    pub model: String,
    pub rating: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub online_elo: f64,
    pub battles: u64,
    pub wins: u64,
    pub losses: u64,
    pub ties: u64,
    /// wins / (wins + losses), ties excluded; `None` with no decisive battle.
    pub win_rate: Option<f64>,
}

/// Style-control coefficients (natural scale, per standard deviation of the feature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleCoefficient {
    pub feature: String,
    pub coefficient: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// What was counted and what was left out, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSummary {
    pub records: usize,
    pub used: usize,
    pub after_reveal: usize,
    pub flagged: usize,
    pub named: usize,
    pub other_category: usize,
    pub deduplicated: usize,
}

/// A full leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leaderboard {
    /// Sorted by rating, best first. Matrices use the same model order.
    pub rows: Vec<LeaderboardRow>,
    pub ci: CiMethod,
    /// The anchor applied, if any.
    pub anchor: Option<Anchor>,
    pub style_coefficients: Option<Vec<StyleCoefficient>>,
    pub battle_counts: Matrix,
    pub win_fraction: Matrix,
    pub predicted_win_rate: Matrix,
    pub cycles: Vec<Cycle>,
    pub judges: Vec<JudgeStats>,
    pub summary: FilterSummary,
    /// False when a fit hit its iteration limit (e.g. an unbeaten model).
    pub converged: bool,
}

/// Why a leaderboard could not be computed.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum RatingsError {
    #[error("no battles left to rate (of {records} records, none passed the filters)")]
    NoBattles { records: usize },
    #[error("anchor must be MODEL=RATING, got {0:?}")]
    BadAnchor(String),
    #[error("anchor model {0:?} has no battles")]
    AnchorMissing(String),
    #[error("the Hessian is singular: the comparison graph may be disconnected")]
    Singular,
}

/// Applies the filters and dedup; returns the records that are rated (self-battles left out),
/// in input order.
///
/// # Panics
/// With 2³² records or more.
pub fn select<'a>(
    records: &'a [VoteRecord],
    filter: &FilterOptions,
    seed: u64,
) -> (Vec<&'a VoteRecord>, FilterSummary) {
    let rows = RatingRows::from_records(records, false);
    let mut ranking = Ranking::new(filter, seed);
    ranking
        .update(&rows)
        .expect("a fresh ranking takes any rows");
    (
        ranking.kept().map(|i| &records[i]).collect(),
        ranking.summary().clone(),
    )
}

/// A rated vote as the style fit reads it. (`u32` indices: one per rated vote.)
#[derive(Debug, Clone, Copy)]
struct Row {
    a: u32,
    b: u32,
    winner: Winner,
}

/// A model index as a row holds it.
fn model_index(i: usize) -> u32 {
    u32::try_from(i).expect("model index below 2^32")
}

/// Model names (sorted), and each record's (a, b) model indices in input order.
fn index_models(records: &[&VoteRecord]) -> (Vec<String>, Vec<(usize, usize)>) {
    let mut models = intern::Interner::default();
    let raw: Vec<(usize, usize)> = records
        .iter()
        .map(|r| (models.id(&r.model_a), models.id(&r.model_b)))
        .collect();
    let (sorted, rank) = models.into_sorted();
    (
        sorted.into_iter().map(str::to_string).collect(),
        raw.into_iter().map(|(a, b)| (rank[a], rank[b])).collect(),
    )
}

/// Positions of `items` in time order (stable by `tstamp`).
fn time_order<T>(items: &[T], tstamp: impl Fn(&T) -> f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    if !items.is_sorted_by(|x, y| tstamp(x) <= tstamp(y)) {
        order.sort_by(|&i, &j| tstamp(&items[i]).total_cmp(&tstamp(&items[j])));
    }
    order
}

/// Model names (sorted) and the battles, by index, in time order (stable by `tstamp`).
pub fn index_battles(records: &[&VoteRecord]) -> (Vec<String>, Vec<Battle>) {
    let (names, ab) = index_models(records);
    let battles = time_order(records, |r| r.tstamp)
        .into_iter()
        .map(|i| Battle::new(ab[i].0, ab[i].1, records[i].winner))
        .collect();
    (names, battles)
}

/// Computes the whole leaderboard from vote records (through their [`RatingRows`]).
pub fn compute_leaderboard(
    records: &[VoteRecord],
    opts: &LeaderboardOptions,
) -> Result<Leaderboard, RatingsError> {
    compute_leaderboard_rows(&RatingRows::from_records(records, opts.style_control), opts)
}

/// Computes the whole leaderboard from rating rows. Style control needs rows made with
/// their style counts ([`RatingRows::new`]`(true)`); without them it is fitted as if every
/// answer were plain text of no length.
///
/// # Panics
/// With 2³² rows or more.
pub fn compute_leaderboard_rows(
    all: &RatingRows,
    opts: &LeaderboardOptions,
) -> Result<Leaderboard, RatingsError> {
    let mut ranking = Ranking::new(&opts.filter, opts.seed);
    ranking.update(all).expect("a fresh ranking takes any rows");
    ranking.leaderboard(all, opts)
}

/// The rated votes' style counts (a and b) and the votes, for style control.
type StyleInput<'a> = (&'a [(StyleCounts, StyleCounts)], &'a [Row]);

/// What the fits read of the rated votes, models indexed by sorted name.
struct Rated<'a> {
    names: &'a [String],
    /// Online Elo of the rated votes in time order.
    elo: Vec<f64>,
    cells: Cells,
    tallies: matrices::PairTallies,
    summary: FilterSummary,
}

/// Everything after the votes are tallied: the fits, intervals, tables and judges' figures,
/// for at least one rated vote. `rated_votes` are the rated votes in input order; `style` their style counts and the votes
/// themselves, when style control is on.
#[allow(clippy::too_many_lines)] // one linear pipeline, read top to bottom
fn finish(
    rated: Rated<'_>,
    rated_votes: impl Iterator<Item = judges::JudgedVote>,
    judge_names: &[&str],
    style: Option<StyleInput<'_>>,
    opts: &LeaderboardOptions,
) -> Result<Leaderboard, RatingsError> {
    let Rated {
        names,
        elo,
        cells,
        tallies,
        summary,
    } = rated;
    debug_assert!(!names.is_empty(), "finish: no rated votes");
    let n = names.len();
    let weights = opts.reweight.then(|| cells.reweight_weights());

    // θ (natural, mean zero), and per-model interval offsets on θ.
    let (theta, lower, upper, style_coefficients, converged) = if let Some((sides, votes)) = style {
        fit_with_style(sides, votes, n, opts)
    } else {
        let fit = fit_bt(
            &cells,
            &cells.counts,
            weights.as_deref(),
            None,
            BtSolver::default(),
        );
        let (lo, hi) = match opts.ci {
            CiMethod::Sandwich => {
                let se = ci::sandwich_std_errors(&cells, &fit.theta, weights.as_deref())
                    .ok_or(RatingsError::Singular)?;
                (
                    fit.theta
                        .iter()
                        .zip(&se)
                        .map(|(t, s)| t - Z_95 * s)
                        .collect(),
                    fit.theta
                        .iter()
                        .zip(&se)
                        .map(|(t, s)| t + Z_95 * s)
                        .collect(),
                )
            }
            CiMethod::Bootstrap { rounds } => {
                let draws = ci::bootstrap_counts(&cells, rounds, opts.seed);
                let thetas = ci::bootstrap_thetas(&cells, &draws, weights.as_deref(), &fit.theta);
                bootstrap_bounds(&thetas, n)
            }
        };
        (fit.theta, lo, hi, None, fit.converged)
    };

    // Shift to the 400 scale: mean 1000, or the anchor.
    let anchor = match &opts.anchor {
        Some(a) => Some(a.clone()),
        None if opts.auto_anchor && names.iter().any(|m| m == DEFAULT_ANCHOR.0) => Some(Anchor {
            model: DEFAULT_ANCHOR.0.to_string(),
            rating: DEFAULT_ANCHOR.1,
        }),
        None => None,
    };
    let offset = match &anchor {
        Some(a) => {
            let i = names
                .iter()
                .position(|m| *m == a.model)
                .ok_or_else(|| RatingsError::AnchorMissing(a.model.clone()))?;
            a.rating - SCALE * theta[i]
        }
        None => INIT_RATING,
    };
    let rating: Vec<f64> = theta.iter().map(|t| offset + SCALE * t).collect();
    let lo: Vec<f64> = lower.iter().map(|t| offset + SCALE * t).collect();
    let hi: Vec<f64> = upper.iter().map(|t| offset + SCALE * t).collect();

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| {
        rating[j]
            .total_cmp(&rating[i])
            .then(names[i].cmp(&names[j]))
    });
    let rows = order
        .iter()
        .map(|&i| {
            let wins: f64 = (0..n).map(|j| tallies.wins[i * n + j]).sum();
            let losses: f64 = (0..n).map(|j| tallies.wins[j * n + i]).sum();
            let all: f64 = (0..n).map(|j| tallies.battles[i * n + j]).sum();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let as_u = |x: f64| x.round() as u64;
            LeaderboardRow {
                rank_ub: 1 + (0..n).filter(|&j| lo[j] > hi[i]).count(),
                model: names[i].clone(),
                rating: rating[i],
                ci_lower: lo[i],
                ci_upper: hi[i],
                online_elo: elo[i],
                battles: as_u(all),
                wins: as_u(wins),
                losses: as_u(losses),
                ties: as_u(all - wins - losses),
                win_rate: (wins + losses > 0.0).then(|| wins / (wins + losses)),
            }
        })
        .collect();
    let ordered_names: Vec<String> = order.iter().map(|&i| names[i].clone()).collect();
    let ordered_ratings: Vec<f64> = order.iter().map(|&i| rating[i]).collect();
    let judges = judges::judge_stats(&theta, judge_names, rated_votes);
    Ok(Leaderboard {
        rows,
        ci: opts.ci,
        anchor,
        style_coefficients,
        battle_counts: tallies.count_matrix(&order, names),
        win_fraction: tallies.win_fraction_matrix(&order, names),
        predicted_win_rate: matrices::predicted_win_rate_matrix(&ordered_names, &ordered_ratings),
        cycles: cycles::find_cycles(&tallies, names, opts.cycle_z, opts.max_cycles),
        judges,
        summary,
        converged,
    })
}

/// 2.5 % and 97.5 % quantiles per model of the bootstrap fits.
pub fn bootstrap_bounds(thetas: &[Vec<f64>], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lo = Vec::with_capacity(n);
    let mut hi = Vec::with_capacity(n);
    let mut col = Vec::with_capacity(thetas.len());
    for i in 0..n {
        col.clear();
        col.extend(thetas.iter().map(|t| t[i]));
        lo.push(ci::quantile(&col, 0.025));
        hi.push(ci::quantile(&col, 0.975));
    }
    (lo, hi)
}

type StyleResult = (
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Option<Vec<StyleCoefficient>>,
    bool,
);

fn fit_with_style(
    sides: &[(StyleCounts, StyleCounts)],
    kept: &[Row],
    n: usize,
    opts: &LeaderboardOptions,
) -> StyleResult {
    let features = style::style_features(sides);
    let battles: Vec<style::StyleBattle> = kept
        .iter()
        .zip(&features)
        .map(|(r, f)| style::StyleBattle {
            a: r.a as usize,
            b: r.b as usize,
            y: r.winner.score_a(),
            features: *f,
        })
        .collect();
    let fit = style::fit_style(n, &battles, None, None);
    let mean = fit.theta.iter().sum::<f64>() / n as f64;
    let theta: Vec<f64> = fit.theta.iter().map(|t| t - mean).collect();
    let (lo, hi, coef_lo, coef_hi): (Vec<f64>, Vec<f64>, [f64; 4], [f64; 4]) = match opts.ci {
        CiMethod::Sandwich => (
            theta
                .iter()
                .zip(&fit.theta_se)
                .map(|(t, s)| t - Z_95 * s)
                .collect(),
            theta
                .iter()
                .zip(&fit.theta_se)
                .map(|(t, s)| t + Z_95 * s)
                .collect(),
            std::array::from_fn(|k| fit.coefficients[k] - Z_95 * fit.coefficient_se[k]),
            std::array::from_fn(|k| fit.coefficients[k] + Z_95 * fit.coefficient_se[k]),
        ),
        CiMethod::Bootstrap { rounds } => {
            // Resample battles (each battle is its own cell here: features differ).
            let ones = vec![1.0; battles.len()];
            let mut rng = <ci::BootstrapRng as rand::SeedableRng>::seed_from_u64(opts.seed);
            let mut start = fit.theta.clone();
            start.extend_from_slice(&fit.coefficients);
            let sampler = ci::Multinomial::new(&ones);
            let mut thetas = Vec::with_capacity(rounds);
            let mut coefs: Vec<[f64; 4]> = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let w = sampler.draw(&mut rng);
                let f = style::fit_style(n, &battles, Some(&w), Some(&start));
                let m = f.theta.iter().sum::<f64>() / n as f64;
                thetas.push(f.theta.iter().map(|t| t - m).collect::<Vec<f64>>());
                coefs.push(f.coefficients);
            }
            let (lo, hi) = bootstrap_bounds(&thetas, n);
            let col = |k: usize| coefs.iter().map(|c| c[k]).collect::<Vec<f64>>();
            (
                lo,
                hi,
                std::array::from_fn(|k| ci::quantile(&col(k), 0.025)),
                std::array::from_fn(|k| ci::quantile(&col(k), 0.975)),
            )
        }
    };
    let coefficients = (0..4)
        .map(|k| StyleCoefficient {
            feature: style::STYLE_FEATURES[k].to_string(),
            coefficient: fit.coefficients[k],
            ci_lower: coef_lo[k],
            ci_upper: coef_hi[k],
        })
        .collect();
    (theta, lo, hi, Some(coefficients), fit.converged)
}

/// The record path this module had before rating rows: kept as the oracle the rows are
/// checked against.
#[cfg(test)]
pub(crate) mod oracle {
    use super::*;
    use crate::categories::Category;
    use crate::dedup::{DedupKey, dedup_keep_keys};
    use crate::integrity::{is_flagged_leak, voted_after_reveal};

    /// A kept record as this path reduced it.
    #[derive(Debug, Clone, Copy)]
    struct ORow {
        a: u32,
        b: u32,
        winner: Winner,
        tstamp: f64,
        judge: u32,
    }

    /// The leaderboard as computed from the records themselves.
    pub(crate) fn compute_leaderboard(
        records: &[VoteRecord],
        opts: &LeaderboardOptions,
    ) -> Result<Leaderboard, RatingsError> {
        let (kept, rows, names, judges, summary) = gather(records, &opts.filter, opts.seed);
        if rows.is_empty() {
            return Err(RatingsError::NoBattles {
                records: records.len(),
            });
        }
        // The tallies from the battles themselves, as the path before rankings did.
        let n = names.len();
        let battles: Vec<Battle> = time_order(&rows, |r| r.tstamp)
            .into_iter()
            .map(|i| Battle::new(rows[i].a as usize, rows[i].b as usize, rows[i].winner))
            .collect();
        let rated = Rated {
            names: &names,
            elo: online_elo(n, battles.iter().copied(), EloParams::default()),
            cells: Cells::from_battles(n, battles.iter().copied()),
            tallies: matrices::PairTallies::from_battles(n, battles.iter().copied()),
            summary,
        };
        let rated_votes = rows.iter().map(|r| judges::JudgedVote {
            judge: r.judge,
            a: r.a as usize,
            b: r.b as usize,
            winner: r.winner,
        });
        let sides: Vec<_>;
        let votes: Vec<Row>;
        let style = if opts.style_control {
            sides = kept.iter().map(|r| style::record_style_counts(r)).collect();
            votes = rows
                .iter()
                .map(|r| Row {
                    a: r.a,
                    b: r.b,
                    winner: r.winner,
                })
                .collect();
            Some((sides.as_slice(), votes.as_slice()))
        } else {
            None
        };
        finish(rated, rated_votes, judges.names(), style, opts)
    }

    fn gather<'a>(
        records: &'a [VoteRecord],
        filter: &FilterOptions,
        seed: u64,
    ) -> (
        Vec<&'a VoteRecord>,
        Vec<ORow>,
        Vec<String>,
        super::intern::Interner<'a>,
        FilterSummary,
    ) {
        let mut s = FilterSummary {
            records: records.len(),
            ..FilterSummary::default()
        };
        let category = filter.category.as_deref().map(Category::parse);
        let mut kept = Vec::with_capacity(records.len());
        let mut rows = Vec::with_capacity(records.len());
        let mut keys = Vec::with_capacity(if filter.dedup { records.len() } else { 0 });
        let mut models = super::intern::Interner::default();
        let mut judges = super::intern::Interner::default();
        for r in records {
            if voted_after_reveal(r) {
                s.after_reveal += 1;
            } else if !filter.include_flagged && is_flagged_leak(r) {
                s.flagged += 1;
            } else if !filter.include_named && !r.anony {
                s.named += 1;
            } else if category.as_ref().is_some_and(|c| !c.matches(r)) {
                s.other_category += 1;
            } else {
                kept.push(r);
                rows.push(ORow {
                    a: model_index(models.id(&r.model_a)),
                    b: model_index(models.id(&r.model_b)),
                    winner: r.winner,
                    tstamp: r.tstamp,
                    judge: u32::try_from(judges.id(&r.judge)).expect("judge index below 2^32"),
                });
                if filter.dedup {
                    keys.push(DedupKey::of(r));
                }
            }
        }
        if filter.dedup {
            let keep = dedup_keep_keys(&keys, seed);
            let before = kept.len();
            let mut k = keep.iter();
            kept.retain(|_| *k.next().unwrap_or(&true));
            let mut k = keep.iter();
            rows.retain(|_| *k.next().unwrap_or(&true));
            s.deduplicated = before - kept.len();
        }
        s.used = kept.len();
        // A model against itself carries no information: such records pass the filters (and
        // count in `used`) but are not rated.
        if rows.iter().any(|r| r.a == r.b) {
            let mut self_battle = rows.iter().map(|r| r.a == r.b);
            kept.retain(|_| !self_battle.next().unwrap_or(false));
            rows.retain(|r| r.a != r.b);
        }
        // Sorted names of the models the rated rows use (a model seen only against itself has
        // none).
        let mut used = vec![false; models.names().len()];
        for r in &rows {
            used[r.a as usize] = true;
            used[r.b as usize] = true;
        }
        let (sorted, rank) = models.into_sorted();
        let mut original = vec![0; rank.len()];
        for (orig, &r) in rank.iter().enumerate() {
            original[r] = orig;
        }
        let mut remap = vec![usize::MAX; used.len()];
        let mut names = Vec::with_capacity(sorted.len());
        for (name, orig) in sorted.into_iter().zip(original) {
            if used[orig] {
                remap[orig] = names.len();
                names.push(name.to_string());
            }
        }
        for r in &mut rows {
            r.a = model_index(remap[r.a as usize]);
            r.b = model_index(remap[r.b as usize]);
        }
        (kept, rows, names, judges, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::{AFTER_REVEAL, IDENTITY_LEAK};

    fn vote(a: &str, b: &str, winner: Winner, t: f64) -> VoteRecord {
        let mut r: VoteRecord =
            serde_json::from_str(r#"{"model_a":"x","model_b":"y","winner":"tie"}"#).unwrap();
        r.model_a = a.into();
        r.model_b = b.into();
        r.winner = winner;
        r.tstamp = t;
        r
    }

    fn board(records: &[VoteRecord]) -> Leaderboard {
        compute_leaderboard(records, &LeaderboardOptions::default()).unwrap()
    }

    #[test]
    fn filtered_and_self_battles_are_left_out_and_counted() {
        let mut records = Vec::new();
        for i in 0..30 {
            let t = f64::from(i);
            records.push(vote("m-b", "m-a", Winner::ModelA, t));
            records.push(vote("m-a", "m-c", Winner::ModelB, t));
            records.push(vote("m-c", "m-b", Winner::Tie, t));
        }
        let clean = board(&records);
        let mut noisy = records.clone();
        let mut after = vote("m-a", "m-b", Winner::ModelA, 5.0);
        after.flags.push(AFTER_REVEAL.into());
        let mut leak = vote("m-a", "m-b", Winner::ModelA, 6.0);
        leak.flags.push(IDENTITY_LEAK.into());
        let mut named = vote("m-a", "m-b", Winner::ModelA, 7.0);
        named.anony = false;
        // A model seen only against itself, and a self-battle of a real model.
        noisy.extend([
            after,
            leak,
            named,
            vote("lonely", "lonely", Winner::ModelA, 8.0),
            vote("m-a", "m-a", Winner::ModelB, 9.0),
        ]);
        let lb = board(&noisy);
        let models: Vec<&str> = lb.rows.iter().map(|r| r.model.as_str()).collect();
        assert_eq!(models.len(), 3, "{models:?}");
        assert!(!models.contains(&"lonely"));
        for (x, y) in lb.rows.iter().zip(&clean.rows) {
            assert_eq!(x.model, y.model);
            assert!((x.rating - y.rating).abs() < 1e-9);
            assert!((x.online_elo - y.online_elo).abs() < 1e-9);
            assert_eq!(x.battles, y.battles);
        }
        let s = &lb.summary;
        assert_eq!(
            (s.records, s.after_reveal, s.flagged, s.named),
            (95, 1, 1, 1)
        );
        // The two self-battles pass the filters; they are dropped when rating.
        assert_eq!(s.used, 92);
        let counted: f64 = lb.battle_counts.values.iter().flatten().sum();
        assert!((counted - 180.0).abs() < 1e-9, "{counted}");
    }

    #[test]
    fn record_order_does_not_matter_when_time_stamps_order_the_votes() {
        let mut records = synthetic::synthetic_battles(2_000, 6, 5);
        for (i, r) in records.iter_mut().enumerate() {
            r.judge = ["", "alice", "bob"][i % 7 % 3].into();
        }
        let sorted = board(&records);
        records.reverse();
        let reversed = board(&records);
        assert_eq!(sorted.rows, reversed.rows);
        assert_eq!(sorted.judges.len(), 3);
        let votes: u64 = sorted.judges.iter().map(|j| j.votes).sum();
        assert_eq!(votes, 2_000);
        let mut judges: Vec<_> = sorted.judges.clone();
        judges.sort_by(|a, b| a.judge.cmp(&b.judge));
        let mut theirs = reversed.judges.clone();
        theirs.sort_by(|a, b| a.judge.cmp(&b.judge));
        for (x, y) in judges.iter().zip(&theirs) {
            assert_eq!(
                (x.judge.as_str(), x.votes, x.decisive),
                (y.judge.as_str(), y.votes, y.decisive)
            );
        }
    }
}
