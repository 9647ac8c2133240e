//! The worker's votes as the ratings read them, kept between requests and refreshed by what
//! is new.
//!
//! They come from the slim ratings store (`stores::RATINGS`): one packed blob of rating rows
//! per batch of votes written (an import batch, or one vote), never the records' JSON. The
//! cache remembers which blobs it has read; a refresh reads only the keys it has not seen,
//! and many small blobs (one per vote) are merged into one now and then
//! ([`VoteCache::compact`]), so a reload reads a few large blobs.

use std::collections::HashMap;
use std::rc::Rc;

use arena_core::ratings::packed::{VoteId, pack, sort_after, sort_by_time_then_id, unpack};
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
    /// Names these rows for [`arena_core::ratings::Rankings`]: it stays the same while votes
    /// are only appended (in order, the name tables growing), and changes when the rows are
    /// read afresh or reordered.
    pub generation: u64,
    /// What the last load spent reading blobs from storage and decoding them (unpacking and
    /// ordering the rows), in milliseconds; zero when it read nothing.
    pub storage_ms: f64,
    pub decode_ms: f64,
    pub rows: Rc<RatingRows>,
    /// The id of each row, in row order.
    pub ids: Vec<VoteId>,
    /// The blobs read, ascending, and how many rows each holds.
    keys: Vec<u64>,
    sizes: HashMap<u64, usize>,
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
        let t = js_sys::Date::now();
        let keys = store.rating_keys().await?;
        let listing_ms = js_sys::Date::now() - t;
        let (mut c, how) = Self::load_keys(previous, store, db, keys).await?;
        c.storage_ms += listing_ms;
        Ok((c, how))
    }

    async fn load_keys(
        previous: Option<VoteCache>,
        store: &impl Store,
        db: &str,
        keys: Vec<u64>,
    ) -> Result<(VoteCache, Loaded), StoreError> {
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
            c.storage_ms = 0.0;
            c.decode_ms = 0.0;
            return Ok((c, Loaded::New(0)));
        }
        let t0 = js_sys::Date::now();
        let blobs = store.rating_blobs(&new).await?;
        let t1 = js_sys::Date::now();
        if blobs.iter().any(Option::is_none) {
            let keys = store.rating_keys().await?;
            return Ok((Self::read(store, db, keys).await?, Loaded::All));
        }
        let mut rows = Rc::try_unwrap(c.rows).unwrap_or_else(|shared| (*shared).clone());
        let sorted = rows.len();
        for (key, blob) in new.iter().zip(blobs.into_iter().flatten()) {
            c.sizes.insert(*key, append(&mut rows, &mut c.ids, &blob)?);
        }
        if !sort_after(&mut rows, &mut c.ids, sorted) {
            c.generation = next_generation();
        }
        let n = new.len();
        c.keys.extend(new);
        c.keys.sort_unstable();
        c.rows = Rc::new(rows);
        c.storage_ms = t1 - t0;
        c.decode_ms = js_sys::Date::now() - t1;
        Ok((c, Loaded::New(n)))
    }

    async fn read(store: &impl Store, db: &str, keys: Vec<u64>) -> Result<VoteCache, StoreError> {
        let mut keys = keys;
        let t0 = js_sys::Date::now();
        // A blob merged away between listing and reading: list again (the merged blob is new).
        let blobs = loop {
            let blobs = store.rating_blobs(&keys).await?;
            if blobs.iter().all(Option::is_some) {
                break blobs;
            }
            keys = store.rating_keys().await?;
        };
        let t1 = js_sys::Date::now();
        let mut rows = RatingRows::new(true);
        let mut ids = Vec::new();
        let mut sizes = HashMap::with_capacity(keys.len());
        for (key, blob) in keys.iter().zip(blobs.into_iter().flatten()) {
            sizes.insert(*key, append(&mut rows, &mut ids, &blob)?);
        }
        sort_by_time_then_id(&mut rows, &mut ids);
        Ok(VoteCache {
            db: db.to_string(),
            version: 0,
            generation: next_generation(),
            storage_ms: t1 - t0,
            decode_ms: js_sys::Date::now() - t1,
            rows: Rc::new(rows),
            ids,
            keys,
            sizes,
        })
    }

    /// How many blobs the cache has read.
    pub fn blobs(&self) -> usize {
        self.keys.len()
    }

    /// Which blobs to merge, when more than [`COMPACT_AFTER`] were read: the small ones (under
    /// an eighth of the largest), so the large blob of an import is not rewritten for every
    /// 32 votes; all of them when they are alike (many pulled pages, say).
    pub fn compaction(&self) -> Option<Vec<u64>> {
        if self.keys.len() <= COMPACT_AFTER {
            return None;
        }
        let size = |k: &u64| self.sizes.get(k).copied().unwrap_or(0);
        let largest = self.keys.iter().map(size).max().unwrap_or(0);
        let small: Vec<u64> = self
            .keys
            .iter()
            .copied()
            .filter(|k| size(k) * 8 < largest)
            .collect();
        Some(if small.len() > 1 {
            small
        } else {
            self.keys.clone()
        })
    }

    /// Notes that the blobs `replaced` are now the one blob `key` (the rows are the same).
    pub fn compacted(&mut self, replaced: &[u64], key: u64) {
        let rows: usize = replaced.iter().filter_map(|k| self.sizes.remove(k)).sum();
        self.keys.retain(|k| replaced.binary_search(k).is_err());
        self.keys.push(key);
        self.keys.sort_unstable();
        self.keys.dedup();
        self.sizes.insert(key, rows);
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

/// Merges the blobs under `keys` (read back from the store) into one, sorted by time then id,
/// under a new key; `None`, changing nothing, when one of them is gone (merged elsewhere) or
/// there is nothing to merge.
pub async fn merge_blobs(store: &impl Store, keys: &[u64]) -> Result<Option<u64>, StoreError> {
    if keys.len() < 2 {
        return Ok(None);
    }
    let mut rows = RatingRows::new(true);
    let mut ids = Vec::new();
    for blob in store.rating_blobs(keys).await? {
        let Some(blob) = blob else {
            return Ok(None);
        };
        append(&mut rows, &mut ids, &blob)?;
    }
    sort_by_time_then_id(&mut rows, &mut ids);
    store.compact_ratings(keys, pack(&rows, &ids)).await
}

/// A number no cache in this worker had before.
fn next_generation() -> u64 {
    thread_local!(static LAST: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    LAST.with(|g| {
        g.set(g.get() + 1);
        g.get()
    })
}

/// Unpacks `blob` onto `rows` and `ids`; returns how many rows it held.
fn append(rows: &mut RatingRows, ids: &mut Vec<VoteId>, blob: &[u8]) -> Result<usize, StoreError> {
    let (more, more_ids) = unpack(blob).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let n = more.len();
    if rows.is_empty() {
        // The first blob is taken as it is, not re-interned name by name.
        *rows = more;
    } else {
        rows.extend(&more);
    }
    ids.extend(more_ids);
    Ok(n)
}
