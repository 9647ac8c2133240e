//! The worker's votes as the ratings read them, kept between requests and refreshed by what
//! is new.
//!
//! They come from the slim ratings store (`stores::RATINGS`): one packed blob of rating rows
//! per batch of votes written (an import batch, or one vote), never the records' JSON. The
//! cache remembers which blobs it has read; a refresh reads only the keys it has not seen,
//! and many small blobs (one per vote) are merged into one now and then
//! ([`VoteCache::compact`]), so a reload reads a few large blobs.

use std::rc::Rc;

use arena_core::ratings::packed::{VoteId, pack, sort_by_time_then_id, unpack};
use arena_core::ratings::rows::RatingRows;
use arena_core::store::{Store, StoreError};

/// More blobs than this are merged into one after a read.
pub const COMPACT_AFTER: usize = 32;

/// The votes of one database as rating rows (style counts kept), oldest first — by time,
/// then id, the order of [`Store::votes`] — with their ids.
#[derive(Debug)]
pub struct VoteCache {
    pub db: String,
    /// The caller's version of the votes (the page's write counter).
    pub version: u64,
    pub rows: Rc<RatingRows>,
    /// The id of each row, in row order.
    pub ids: Vec<VoteId>,
    /// The blobs read, ascending.
    keys: Vec<u64>,
}

/// How [`VoteCache::load`] got its votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// Every blob was read.
    All,
    /// Only this many new blobs were read.
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
        let keys = store.rating_keys().await?;
        let Some(mut c) = previous.filter(|c| c.db == db) else {
            return Ok((Self::read(store, db, keys).await?, Loaded::All));
        };
        // A blob read before that is gone was merged by a reader elsewhere: read afresh.
        if c.keys.iter().any(|k| keys.binary_search(k).is_err()) {
            return Ok((Self::read(store, db, keys).await?, Loaded::All));
        }
        let new: Vec<u64> = keys
            .into_iter()
            .filter(|k| c.keys.binary_search(k).is_err())
            .collect();
        if new.is_empty() {
            return Ok((c, Loaded::New(0)));
        }
        let blobs = store.rating_blobs(&new).await?;
        if blobs.iter().any(Option::is_none) {
            let keys = store.rating_keys().await?;
            return Ok((Self::read(store, db, keys).await?, Loaded::All));
        }
        let mut rows = Rc::try_unwrap(c.rows).unwrap_or_else(|shared| (*shared).clone());
        for blob in blobs.into_iter().flatten() {
            let (more, ids) = unpack(&blob).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            rows.extend(&more);
            c.ids.extend(ids);
        }
        sort_by_time_then_id(&mut rows, &mut c.ids);
        let n = new.len();
        c.keys.extend(new);
        c.keys.sort_unstable();
        c.rows = Rc::new(rows);
        Ok((c, Loaded::New(n)))
    }

    async fn read(store: &impl Store, db: &str, keys: Vec<u64>) -> Result<VoteCache, StoreError> {
        let mut keys = keys;
        // A blob merged away between listing and reading: list again (the merged blob is new).
        let blobs = loop {
            let blobs = store.rating_blobs(&keys).await?;
            if blobs.iter().all(Option::is_some) {
                break blobs;
            }
            keys = store.rating_keys().await?;
        };
        let mut rows = RatingRows::new(true);
        let mut ids = Vec::new();
        for blob in blobs.into_iter().flatten() {
            let (more, more_ids) = unpack(&blob).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if rows.is_empty() {
                rows = more;
            } else {
                rows.extend(&more);
            }
            ids.extend(more_ids);
        }
        sort_by_time_then_id(&mut rows, &mut ids);
        Ok(VoteCache {
            db: db.to_string(),
            version: 0,
            rows: Rc::new(rows),
            ids,
            keys,
        })
    }

    /// How many blobs the cache has read.
    pub fn blobs(&self) -> usize {
        self.keys.len()
    }

    /// When more than [`COMPACT_AFTER`] blobs were read: their keys and one blob of all the
    /// rows, for [`Store::compact_ratings`], so the next reader (a reload) reads one large
    /// blob instead of many small ones.
    pub fn compaction(&self) -> Option<(Vec<u64>, Vec<u8>)> {
        (self.keys.len() > COMPACT_AFTER).then(|| (self.keys.clone(), pack(&self.rows, &self.ids)))
    }

    /// Notes that the blobs `replaced` are now the one blob `key` (the rows are the same).
    pub fn compacted(&mut self, replaced: &[u64], key: u64) {
        self.keys.retain(|k| replaced.binary_search(k).is_err());
        self.keys.push(key);
        self.keys.sort_unstable();
        self.keys.dedup();
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
                    id.text(),
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
