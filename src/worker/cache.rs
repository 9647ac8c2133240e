//! The worker's votes, kept between requests and refreshed by what is new.
//!
//! Reading and decoding every vote from IndexedDB takes about 1.1 s for 100,000 votes, and
//! the shared worker is asked for ratings after every vote (efficient pairing). A new
//! version therefore reads only the ids (no record is decoded) and fetches the votes not
//! seen yet; a new database, or many new votes (an import), reads them all at once.

use std::collections::HashSet;
use std::rc::Rc;

use arena_core::ratings::rows::RatingRows;
use arena_core::store::{Store, StoreError};

/// More new votes than this are read with all the others (one `getAll`), not one by one.
pub const ONE_BY_ONE: usize = 256;

/// The votes of one database as the ratings read them: rating rows
/// (`arena_core::ratings::rows`, style counts kept; no record is held), oldest first — by
/// time, then id, the order of [`Store::votes`] — with their ids, to tell which stored votes
/// are new.
#[derive(Debug)]
pub struct VoteCache {
    pub db: String,
    /// The caller's version of the votes (the page's write counter).
    pub version: u64,
    pub rows: Rc<RatingRows>,
    /// The id of each row, in row order.
    pub ids: Vec<String>,
    seen: HashSet<String>,
}

/// How [`VoteCache::load`] got its votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// Every vote was read.
    All,
    /// Only this many new votes were read.
    New(usize),
}

impl VoteCache {
    /// The votes of `db`: `previous` brought up to date when it is of the same database,
    /// else all of them read afresh.
    pub async fn load(
        previous: Option<VoteCache>,
        store: &impl Store,
        db: &str,
    ) -> Result<(VoteCache, Loaded), StoreError> {
        match previous.filter(|c| c.db == db) {
            Some(c) => c.refresh(store).await,
            None => Ok((Self::read_all(store, db).await?, Loaded::All)),
        }
    }

    async fn read_all(store: &impl Store, db: &str) -> Result<VoteCache, StoreError> {
        // Each vote becomes a row as it is decoded; only its id is kept besides.
        let mut rows = RatingRows::new(true);
        let ids = store
            .votes_mapped(|v| {
                rows.push_record(&v);
                v.id
            })
            .await?;
        Ok(VoteCache {
            db: db.to_string(),
            version: 0,
            seen: ids.iter().cloned().collect(),
            ids,
            rows: Rc::new(rows),
        })
    }

    async fn refresh(mut self, store: &impl Store) -> Result<(VoteCache, Loaded), StoreError> {
        let new: Vec<String> = store
            .vote_ids()
            .await?
            .into_iter()
            .filter(|id| !self.seen.contains(id))
            .collect();
        if new.len() > ONE_BY_ONE {
            return Ok((Self::read_all(store, &self.db).await?, Loaded::All));
        }
        let n = new.len();
        if n > 0 {
            let mut rows = Rc::try_unwrap(self.rows).unwrap_or_else(|shared| (*shared).clone());
            for id in new {
                if let Some(v) = store.vote(&id).await? {
                    rows.push_record(&v);
                    self.ids.push(v.id);
                    self.seen.insert(id);
                }
            }
            // Back in store order: by time, then id (new votes are mostly the newest).
            let key = |i: usize| (rows.rows[i].tstamp, &self.ids[i]);
            let sorted = (1..rows.len()).all(|i| {
                let (t0, a) = key(i - 1);
                let (t1, b) = key(i);
                t0.total_cmp(&t1).then_with(|| a.cmp(b)).is_le()
            });
            if !sorted {
                let mut order: Vec<usize> = (0..rows.len()).collect();
                order.sort_by(|&i, &j| {
                    let ((ti, a), (tj, b)) = (key(i), key(j));
                    ti.total_cmp(&tj).then_with(|| a.cmp(b))
                });
                rows.rows = order.iter().map(|&i| rows.rows[i]).collect();
                rows.style = order.iter().map(|&i| rows.style[i]).collect();
                self.ids = order.iter().map(|&i| self.ids[i].clone()).collect();
            }
            self.rows = Rc::new(rows);
        }
        Ok((self, Loaded::New(n)))
    }

    /// The rows resolved to names (models, judge) and verdicts, in order: what two caches of
    /// the same votes agree on whatever order they interned the names in.
    pub fn resolved(&self) -> Vec<(String, String, String, String)> {
        let r = &self.rows;
        r.rows
            .iter()
            .zip(&self.ids)
            .map(|(row, id)| {
                (
                    id.clone(),
                    r.models.name(row.a).to_string(),
                    r.models.name(row.b).to_string(),
                    format!(
                        "{:?} {} {}",
                        row.winner,
                        row.tstamp,
                        r.judges.name(row.judge)
                    ),
                )
            })
            .collect()
    }
}
