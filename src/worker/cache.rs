//! The worker's votes, kept between requests and refreshed by what is new.
//!
//! Reading and decoding every vote from IndexedDB takes about 1.1 s for 100,000 votes, and
//! the shared worker is asked for ratings after every vote (efficient pairing). A new
//! version therefore reads only the ids (no record is decoded) and fetches the votes not
//! seen yet; a new database, or many new votes (an import), reads them all at once.

use std::collections::HashSet;
use std::rc::Rc;

use arena_core::VoteRecord;
use arena_core::ratings::slim::slim_for_ratings;
use arena_core::store::{Store, StoreError};

/// More new votes than this are read with all the others (one `getAll`), not one by one.
pub const ONE_BY_ONE: usize = 256;

/// The votes of one database as the ratings read them: slimmed
/// (`arena_core::ratings::slim`), oldest first — by time, then id, the order of
/// [`Store::votes`] — with their ids, to tell which stored votes are new.
#[derive(Debug)]
pub struct VoteCache {
    pub db: String,
    /// The caller's version of the votes (the page's write counter).
    pub version: u64,
    pub votes: Rc<Vec<VoteRecord>>,
    ids: HashSet<String>,
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
        let votes = store
            .votes_mapped(|mut v| {
                slim_for_ratings(&mut v);
                v
            })
            .await?;
        Ok(VoteCache {
            db: db.to_string(),
            version: 0,
            ids: votes.iter().map(|v| v.id.clone()).collect(),
            votes: Rc::new(votes),
        })
    }

    async fn refresh(mut self, store: &impl Store) -> Result<(VoteCache, Loaded), StoreError> {
        let new: Vec<String> = store
            .vote_ids()
            .await?
            .into_iter()
            .filter(|id| !self.ids.contains(id))
            .collect();
        if new.len() > ONE_BY_ONE {
            return Ok((Self::read_all(store, &self.db).await?, Loaded::All));
        }
        let n = new.len();
        if n > 0 {
            let mut votes = Rc::try_unwrap(self.votes).unwrap_or_else(|shared| (*shared).clone());
            for id in new {
                if let Some(mut v) = store.vote(&id).await? {
                    slim_for_ratings(&mut v);
                    votes.push(v);
                    self.ids.insert(id);
                }
            }
            // Mostly sorted already: the sort finds the runs.
            votes.sort_by(|a, b| a.tstamp.total_cmp(&b.tstamp).then_with(|| a.id.cmp(&b.id)));
            self.votes = Rc::new(votes);
        }
        Ok((self, Loaded::New(n)))
    }
}
