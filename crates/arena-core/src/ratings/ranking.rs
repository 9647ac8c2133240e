//! A ranking kept up to date as votes are appended: what the fits read of the rated votes,
//! folded row by row, so one more vote costs its own row and a fit on the cells, not a pass
//! over a million rows.
//!
//! [`compute_leaderboard_rows`](super::compute_leaderboard_rows) is a fresh [`Ranking`] fed
//! every row, so the incremental and the one-off answers are the same computation, bit for
//! bit. What is folded: the filters' tallies, the dedup decisions, battle counts by ordered
//! pair and verdict (the cells and the pair tallies are exact sums of these), online Elo
//! while the votes come in time order, and per rated vote its judge, models and verdict (the
//! judges' figures read them under each new fit).

use rustc_hash::FxHashMap;

use super::cells::{Battle, Cells, verdict};
use super::elo::{EloParams, OnlineElo, online_elo};
use super::judges::JudgedVote;
use super::matrices::PairTallies;
use super::rows::{NO_PROMPT, RatingRow, RatingRows, flag};
use super::style::StyleCounts;
use super::{
    FilterOptions, FilterSummary, Leaderboard, LeaderboardOptions, Rated, RatingsError, Row,
    finish, time_order,
};
use crate::categories::{Category, RowCategory};
use crate::dedup::{DedupKey, dedup_keep_keys};
use crate::record::Winner;

/// Models up to this many are counted in a dense table (3 · n² counters).
const DENSE_MODELS: usize = 1024;

/// Battle counts by ordered pair of the rows' model indices and verdict.
#[derive(Debug, Clone)]
enum PairCounts {
    Dense { dim: usize, c: Vec<u32> },
    Sparse(FxHashMap<(u32, u32), [u32; 3]>),
}

impl PairCounts {
    fn add(&mut self, a: u32, b: u32, v: usize) {
        let need = a.max(b) as usize + 1;
        if let PairCounts::Dense { dim, c } = self
            && need > *dim
        {
            if need > DENSE_MODELS {
                let mut map = FxHashMap::default();
                for i in 0..*dim {
                    for j in 0..*dim {
                        let k = (i * *dim + j) * 3;
                        if c[k..k + 3].iter().any(|&x| x > 0) {
                            #[allow(clippy::cast_possible_truncation)] // below DENSE_MODELS
                            map.insert((i as u32, j as u32), [c[k], c[k + 1], c[k + 2]]);
                        }
                    }
                }
                *self = PairCounts::Sparse(map);
            } else {
                let new_dim = need.max(2 * *dim).clamp(16, DENSE_MODELS);
                let mut grown = vec![0u32; new_dim * new_dim * 3];
                for i in 0..*dim {
                    let (from, to) = (i * *dim * 3, i * new_dim * 3);
                    grown[to..to + *dim * 3].copy_from_slice(&c[from..from + *dim * 3]);
                }
                *self = PairCounts::Dense {
                    dim: new_dim,
                    c: grown,
                };
            }
        }
        match self {
            PairCounts::Dense { dim, c } => c[(a as usize * *dim + b as usize) * 3 + v] += 1,
            PairCounts::Sparse(map) => map.entry((a, b)).or_default()[v] += 1,
        }
    }

    fn get(&self, a: usize, b: usize, v: usize) -> u32 {
        match self {
            PairCounts::Dense { dim, c } => {
                if a < *dim && b < *dim {
                    c[(a * *dim + b) * 3 + v]
                } else {
                    0
                }
            }
            PairCounts::Sparse(map) => {
                #[allow(clippy::cast_possible_truncation)] // model indices are u32
                map.get(&(a as u32, b as u32)).map_or(0, |c| c[v])
            }
        }
    }
}

/// A rated vote as the judges' figures read it (model indices of the rows' table).
#[derive(Debug, Clone, Copy)]
struct Judged {
    judge: u32,
    a: u32,
    b: u32,
    winner: Winner,
}

/// The ranking of the rows folded so far, under one set of filters (and dedup seed); any
/// [`LeaderboardOptions`] with those filters can be answered from it.
///
/// Rows must only be appended: [`Ranking::update`] reads the rows after those it has seen,
/// and expects the earlier ones unchanged (same order, same name tables).
#[derive(Debug, Clone)]
pub struct Ranking {
    filter: FilterOptions,
    seed: u64,
    /// Rows folded.
    seen: usize,
    summary: FilterSummary,
    /// Row indices of the rated votes (kept, not self-battles), in row order.
    kept: Vec<u32>,
    /// The same votes' judge, models and verdict.
    judged: Vec<Judged>,
    counts: PairCounts,
    /// Models (the rows' indices) of the rated votes.
    used: Vec<bool>,
    elo: OnlineElo,
    /// Whether the rated votes came in time order: then `elo` is their online Elo.
    in_time_order: bool,
    last_tstamp: f64,
    /// Rows whose dedup decision depends on how often their prompt was seen (no FastChat
    /// `sampled` tag), in row order, and the decision.
    grouped: Vec<(u32, bool)>,
}

/// [`Ranking::update`] could not fold the new rows: they change a decision about earlier ones
/// (a prompt now repeated past the dedup cap), so the ranking must be built afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale;

impl Ranking {
    /// An empty ranking under `filter`, `seed` seeding dedup's sampling.
    pub fn new(filter: &FilterOptions, seed: u64) -> Self {
        Ranking {
            filter: filter.clone(),
            seed,
            seen: 0,
            summary: FilterSummary::default(),
            kept: Vec::new(),
            judged: Vec::new(),
            counts: PairCounts::Dense {
                dim: 0,
                c: Vec::new(),
            },
            used: Vec::new(),
            elo: OnlineElo::new(0, EloParams::default()),
            in_time_order: true,
            last_tstamp: f64::NEG_INFINITY,
            grouped: Vec::new(),
        }
    }

    /// Whether this ranking answers for `filter` and `seed`.
    pub fn is_for(&self, filter: &FilterOptions, seed: u64) -> bool {
        self.filter == *filter && self.seed == seed
    }

    /// How many rows are folded in.
    pub fn rows(&self) -> usize {
        self.seen
    }

    /// Folds in the rows of `all` after those seen so far. On [`Stale`] nothing is changed.
    ///
    /// # Panics
    /// When `all` has fewer rows than were folded, or more than 2³² rows.
    pub fn update(&mut self, all: &RatingRows) -> Result<(), Stale> {
        let from = self.seen;
        assert!(all.len() >= from, "Ranking::update: rows were removed");
        let filter = self.filter.clone();
        let category = filter
            .category
            .as_deref()
            .map(|c| RowCategory::new(&Category::parse(c), all));
        let passes = |r: &RatingRow| -> Result<(), Filtered> {
            if r.has(flag::AFTER_REVEAL) {
                Err(Filtered::AfterReveal)
            } else if !filter.include_flagged && r.has(flag::LEAK) {
                Err(Filtered::Flagged)
            } else if !filter.include_named && !r.has(flag::ANONY) {
                Err(Filtered::Named)
            } else if category.as_ref().is_some_and(|c| !c.matches(r)) {
                Err(Filtered::OtherCategory)
            } else {
                Ok(())
            }
        };
        let grouped = |r: &RatingRow| !r.has(flag::SAMPLED_KNOWN) && r.prompt != NO_PROMPT;
        // Dedup by prompt counts: decided over every such row at once (the cap is a
        // percentile of all counts), then checked against the earlier decisions.
        let mut fresh_groups: Vec<(u32, bool)> = Vec::new();
        if filter.dedup {
            for (i, r) in all.rows.iter().enumerate().skip(from) {
                if passes(r).is_ok() && grouped(r) {
                    fresh_groups.push((row_index(i), true));
                }
            }
            if !fresh_groups.is_empty() {
                let keys: Vec<DedupKey<'_>> = self
                    .grouped
                    .iter()
                    .chain(&fresh_groups)
                    .map(|&(i, _)| DedupKey {
                        sampled: None,
                        prompt: Some(all.prompts.name(all.rows[i as usize].prompt)),
                    })
                    .collect();
                let keep = dedup_keep_keys(&keys, self.seed);
                let (before, after) = keep.split_at(self.grouped.len());
                if self.grouped.iter().zip(before).any(|(g, k)| g.1 != *k) {
                    return Err(Stale);
                }
                for (g, k) in fresh_groups.iter_mut().zip(after) {
                    g.1 = *k;
                }
            }
        }
        let mut decisions = fresh_groups.iter();
        let mut s = std::mem::take(&mut self.summary);
        for (i, r) in all.rows.iter().enumerate().skip(from) {
            match passes(r) {
                Err(Filtered::AfterReveal) => s.after_reveal += 1,
                Err(Filtered::Flagged) => s.flagged += 1,
                Err(Filtered::Named) => s.named += 1,
                Err(Filtered::OtherCategory) => s.other_category += 1,
                Ok(()) => {
                    let keep = if !filter.dedup {
                        true
                    } else if r.has(flag::SAMPLED_KNOWN) {
                        r.has(flag::SAMPLED)
                    } else if grouped(r) {
                        decisions.next().is_some_and(|d| d.1)
                    } else {
                        true
                    };
                    if !keep {
                        s.deduplicated += 1;
                        continue;
                    }
                    s.used += 1;
                    // A model against itself carries no information: counted in `used`,
                    // not rated.
                    if r.a != r.b {
                        self.rate(i, r);
                    }
                }
            }
        }
        self.grouped.extend(fresh_groups);
        s.records = all.len();
        self.summary = s;
        self.seen = all.len();
        Ok(())
    }

    fn rate(&mut self, i: usize, r: &RatingRow) {
        self.kept.push(row_index(i));
        self.judged.push(Judged {
            judge: r.judge,
            a: r.a,
            b: r.b,
            winner: r.winner,
        });
        self.counts.add(r.a, r.b, verdict(r.winner));
        let need = r.a.max(r.b) as usize + 1;
        if self.used.len() < need {
            self.used.resize(need, false);
        }
        self.used[r.a as usize] = true;
        self.used[r.b as usize] = true;
        // `<=` as the one-off path's order check reads it (a NaN time is out of order).
        self.in_time_order = self.in_time_order && self.last_tstamp <= r.tstamp;
        self.last_tstamp = r.tstamp;
        if self.in_time_order {
            self.elo.grow(need);
            self.elo
                .step(Battle::new(r.a as usize, r.b as usize, r.winner));
        }
    }

    /// The rated votes' row indices, in row order.
    pub fn kept(&self) -> impl Iterator<Item = usize> + '_ {
        self.kept.iter().map(|&k| k as usize)
    }

    /// The filters' tallies of the rows folded.
    pub fn summary(&self) -> &FilterSummary {
        &self.summary
    }

    /// The leaderboard of the rows folded, under `opts` (whose filters and seed must be this
    /// ranking's), `all` being the rows folded.
    ///
    /// # Errors
    /// As [`compute_leaderboard_rows`](super::compute_leaderboard_rows).
    pub fn leaderboard(
        &self,
        all: &RatingRows,
        opts: &LeaderboardOptions,
    ) -> Result<Leaderboard, RatingsError> {
        debug_assert!(self.is_for(&opts.filter, opts.seed));
        if self.judged.is_empty() {
            return Err(RatingsError::NoBattles { records: all.len() });
        }
        // Models by name, as the one-off path indexes them.
        let mut order: Vec<usize> = (0..self.used.len()).filter(|&m| self.used[m]).collect();
        #[allow(clippy::cast_possible_truncation)] // model indices are u32
        order.sort_unstable_by_key(|&m| all.models.name(m as u32));
        let mut remap = vec![usize::MAX; self.used.len()];
        for (new, &m) in order.iter().enumerate() {
            remap[m] = new;
        }
        #[allow(clippy::cast_possible_truncation)]
        let names: Vec<String> = order
            .iter()
            .map(|&m| all.models.name(m as u32).to_string())
            .collect();
        let n = names.len();
        let battle = |j: &Judged| Battle::new(remap[j.a as usize], remap[j.b as usize], j.winner);
        let elo = if self.in_time_order {
            order.iter().map(|&m| self.elo.ratings[m]).collect()
        } else {
            let t = time_order(&self.kept, |&k| all.rows[k as usize].tstamp);
            online_elo(
                n,
                t.into_iter().map(|i| battle(&self.judged[i])),
                EloParams::default(),
            )
        };
        let at = |i: usize, j: usize, v: usize| self.counts.get(order[i], order[j], v);
        let rated = Rated {
            names: &names,
            elo,
            cells: Cells::from_counts(n, at),
            tallies: PairTallies::from_counts(n, at),
            summary: self.summary.clone(),
        };
        let judged = self.judged.iter().map(|j| JudgedVote {
            judge: j.judge,
            a: remap[j.a as usize],
            b: remap[j.b as usize],
            winner: j.winner,
        });
        let judge_names: Vec<&str> = all.judges.iter().collect();
        if !opts.style_control {
            return finish(rated, judged, &judge_names, None, opts);
        }
        let sides: Vec<(StyleCounts, StyleCounts)> = self
            .kept
            .iter()
            .map(|&k| {
                all.style
                    .get(k as usize)
                    .map_or_else(Default::default, |[a, b]| (*a, *b))
            })
            .collect();
        let votes: Vec<Row> = self
            .judged
            .iter()
            .map(|j| Row {
                a: super::model_index(remap[j.a as usize]),
                b: super::model_index(remap[j.b as usize]),
                winner: j.winner,
            })
            .collect();
        finish(rated, judged, &judge_names, Some((&sides, &votes)), opts)
    }
}

/// How many rankings [`Rankings`] keeps (one per filter): the Leaderboard page's and the
/// default one efficient pairing reads.
pub const KEPT_RANKINGS: usize = 2;

/// The rankings of rows that grow, one per filter, for a caller that ranks them again as
/// votes are appended (the browser worker).
#[derive(Debug, Default)]
pub struct Rankings {
    generation: u64,
    /// Most recently used first.
    kept: Vec<Ranking>,
    /// The last answer, for the rows it was computed on: asked again with no new rows (the
    /// Arena page's pairing, then the Leaderboard page, after one vote) it is not recomputed.
    last: Option<LastAnswer>,
}

#[derive(Debug)]
struct LastAnswer {
    generation: u64,
    rows: usize,
    opts: LeaderboardOptions,
    answer: Result<Leaderboard, RatingsError>,
}

impl Rankings {
    /// The leaderboard of `all` under `opts`, from the kept ranking of its filters brought up
    /// to date when there is one. `generation` names the rows: the same number as the last
    /// call's means `all` only grew since (rows appended, earlier ones and the name tables
    /// unchanged); a new number drops every kept ranking.
    ///
    /// # Errors
    /// As [`compute_leaderboard_rows`](super::compute_leaderboard_rows), whose answer this is.
    ///
    /// # Panics
    /// When `all` has more than 2³² rows.
    pub fn leaderboard(
        &mut self,
        all: &RatingRows,
        generation: u64,
        opts: &LeaderboardOptions,
    ) -> Result<Leaderboard, RatingsError> {
        if generation != self.generation {
            self.kept.clear();
            self.generation = generation;
        }
        if let Some(last) = &self.last
            && last.generation == generation
            && last.rows == all.len()
            && last.opts == *opts
        {
            return last.answer.clone();
        }
        let found = self
            .kept
            .iter()
            .position(|r| r.is_for(&opts.filter, opts.seed) && r.rows() <= all.len());
        let mut ranking = match found {
            Some(i) => self.kept.remove(i),
            None => Ranking::new(&opts.filter, opts.seed),
        };
        if ranking.update(all).is_err() {
            ranking = Ranking::new(&opts.filter, opts.seed);
            ranking.update(all).expect("a fresh ranking takes any rows");
        }
        let answer = ranking.leaderboard(all, opts);
        self.kept.insert(0, ranking);
        self.kept.truncate(KEPT_RANKINGS);
        self.last = Some(LastAnswer {
            generation,
            rows: all.len(),
            opts: opts.clone(),
            answer: answer.clone(),
        });
        answer
    }
}

/// Why a row is not counted.
#[derive(Debug, Clone, Copy)]
enum Filtered {
    AfterReveal,
    Flagged,
    Named,
    OtherCategory,
}

fn row_index(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 rows")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratings::compute_leaderboard_rows;
    use crate::ratings::rows::oracle_tests::{option_sets as options, varied_records};

    /// Feeds `records` in growing prefixes; after each, the kept ranking (or, when stale, a
    /// fresh one) must answer exactly as ranking the prefix from scratch. Returns how often
    /// it was stale.
    fn check_prefixes(records: &[crate::VoteRecord], cuts: &[usize]) -> usize {
        let mut stale = 0;
        for opts in options() {
            let mut ranking = Ranking::new(&opts.filter, opts.seed);
            for &cut in cuts {
                // Interning is by first appearance, so a prefix's name tables are a prefix of
                // the whole's: the rows grow as the worker's do.
                let rows = RatingRows::from_records(&records[..cut], true);
                if ranking.update(&rows) == Err(Stale) {
                    stale += 1;
                    ranking = Ranking::new(&opts.filter, opts.seed);
                    ranking.update(&rows).unwrap();
                }
                assert_eq!(ranking.rows(), cut);
                assert_eq!(
                    ranking.leaderboard(&rows, &opts),
                    compute_leaderboard_rows(&rows, &opts),
                    "{cut} rows, {opts:?}"
                );
            }
        }
        stale
    }

    #[test]
    fn votes_appended_in_time_order_rank_as_all_of_them_at_once() {
        let records = varied_records();
        assert!(records.is_sorted_by(|a, b| a.tstamp <= b.tstamp));
        let stale = check_prefixes(&records, &[0, 1, 2, 40, 41, 700, 1999, 2000, 2001, 3000]);
        // A flooded prompt seen again can change which of its earlier votes dedup keeps.
        assert!(
            stale > 0,
            "the dedup groups never changed an earlier decision"
        );
    }

    #[test]
    fn votes_appended_out_of_time_order_rank_as_all_of_them_at_once() {
        // Elo is then replayed in time order rather than folded.
        let mut records = varied_records();
        records.reverse();
        assert!(!records.is_sorted_by(|a, b| a.tstamp <= b.tstamp));
        check_prefixes(&records, &[5, 6, 1500, 3000]);
    }

    #[test]
    fn kept_rankings_answer_as_a_fresh_ranking_across_filters_and_generations() {
        let records = varied_records();
        let mut reversed = records.clone();
        reversed.reverse();
        let opts = options();
        let mut rankings = Rankings::default();
        let mut generation = 1;
        for (step, cut) in [10, 900, 901, 2500, 3000].into_iter().enumerate() {
            // From the fourth step on, the rows are rebuilt in another order (other name
            // tables too): a new generation.
            if step == 3 {
                generation += 1;
            }
            let source = if step < 3 { &records } else { &reversed };
            let rows = RatingRows::from_records(&source[..cut], true);
            // Three filters in turn, more than are kept.
            for o in [&opts[0], &opts[2], &opts[0], &opts[5], &opts[2]] {
                assert_eq!(
                    rankings.leaderboard(&rows, generation, o),
                    compute_leaderboard_rows(&rows, o),
                    "{cut} rows"
                );
            }
            assert_eq!(rankings.kept.len(), KEPT_RANKINGS);
        }
    }

    #[test]
    fn counts_grow_past_the_dense_table() {
        let mut counts = PairCounts::Dense {
            dim: 0,
            c: Vec::new(),
        };
        let pairs: Vec<(u32, u32, usize)> = (0..3000u32)
            .map(|k| (k % 1500, (k * 7 + 1) % 1500, (k % 3) as usize))
            .filter(|(a, b, _)| a != b)
            .collect();
        for &(a, b, v) in &pairs {
            counts.add(a, b, v);
        }
        assert!(matches!(counts, PairCounts::Sparse(_)));
        let mut want: FxHashMap<(u32, u32, usize), u32> = FxHashMap::default();
        for &(a, b, v) in &pairs {
            *want.entry((a, b, v)).or_default() += 1;
        }
        for (&(a, b, v), &c) in &want {
            assert_eq!(counts.get(a as usize, b as usize, v), c);
        }
        assert_eq!(counts.get(1, 1, 0), 0);
    }
}
