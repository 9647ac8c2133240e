//! The storage contract the app writes through, and an in-memory implementation.
//!
//! The browser implements [`Store`] on IndexedDB (`src/store/idb.rs` in the app); tests and
//! native tools use [`MemoryStore`]. Both keep the same invariants:
//!
//! - a vote and the conversation it closes are written together or not at all
//!   ([`Store::record_vote`]);
//! - a vote id is written once: writing an existing id again is reported as a duplicate and
//!   changes nothing (votes are never rewritten);
//! - secrets (API keys) live in their own store and are never returned by any listing of the
//!   other stores;
//! - every stored vote's rating row is in exactly one rating blob, written in the vote's own
//!   transaction, so the ratings never decode a record.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::Contestant;
use crate::config::PromptSet;
use crate::formats::pool::with_id;
use crate::ratings::packed::{VoteId, pack};
use crate::ratings::rows::RatingRows;
use crate::record::{Message, VoteRecord};

/// Current schema version of the browser database. Each version's migration is listed in
/// [`MIGRATIONS`].
pub const DB_VERSION: u32 = 4;

/// Object store names, shared by every implementation.
pub mod stores {
    pub const VOTES: &str = "votes";
    pub const CONVERSATIONS: &str = "conversations";
    pub const CONTESTANTS: &str = "contestants";
    pub const PROMPTS: &str = "prompts";
    pub const SETTINGS: &str = "settings";
    pub const SECRETS: &str = "secrets";
    /// Ids of votes cast here that no sync server has acknowledged yet (out-of-line keys).
    pub const OUTBOX: &str = "outbox";
    /// Packed rating rows (`ratings::packed`), one blob per batch of votes written
    /// (auto-increment keys).
    pub const RATINGS: &str = "ratings";
}

/// Stores whose keys the database generates (1, 2, 3, …).
pub const AUTO_INCREMENT: [&str; 1] = [stores::RATINGS];

/// The votes' rating rows as one packed blob (style counts and ids kept), as the stores
/// write it for each batch of new votes.
pub fn pack_votes(votes: &[VoteRecord]) -> Vec<u8> {
    let ids: Vec<VoteId> = votes.iter().map(|v| VoteId::new(&v.id)).collect();
    pack(&RatingRows::from_records(votes, true), &ids)
}

/// What each schema version adds. Version 1 was the first release's layout (votes and
/// settings); version 2 split conversations, contestants, prompts and secrets into stores of
/// their own and indexed votes by time; version 3 added the sync queue; version 4 the slim
/// ratings store (filled from the votes on first open, see `Store::rating_keys`).
pub const MIGRATIONS: [(u32, &[&str]); 4] = [
    (1, &[stores::VOTES, stores::SETTINGS]),
    (
        2,
        &[
            stores::CONVERSATIONS,
            stores::CONTESTANTS,
            stores::PROMPTS,
            stores::SECRETS,
        ],
    ),
    (3, &[stores::OUTBOX]),
    (4, &[stores::RATINGS]),
];

/// The object stores a database at `old` must create to reach [`DB_VERSION`], in order.
pub fn stores_to_create(old: u32) -> Vec<&'static str> {
    MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > old && *v <= DB_VERSION)
        .flat_map(|(_, s)| s.iter().copied())
        .collect()
}

/// A battle in progress or finished: what the judge saw, persisted as it streams so a reload
/// restores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Battle id; the vote that closes it carries the same id.
    pub id: String,
    pub contestant_a: String,
    pub contestant_b: String,
    pub messages_a: Vec<Message>,
    pub messages_b: Vec<Message>,
    /// Milliseconds since the Unix epoch of the last change.
    pub updated_ms: f64,
    /// Whether a vote closed this battle.
    pub voted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "storage is full: {0}. Free space or export and clear old votes; nothing stored was lost"
    )]
    QuotaExceeded(String),
    #[error("the browser refused storage access: {0}")]
    Unavailable(String),
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Other(String),
}

/// Whether a write added something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New,
    Duplicate,
}

/// What a bulk import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Votes new to the store.
    pub added: usize,
    /// Votes whose id was already stored (or repeated within the batch); left as they were.
    pub duplicates: usize,
}

impl ImportReport {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: ImportReport) {
        self.added += other.added;
        self.duplicates += other.duplicates;
    }
}

/// The app's storage. Futures are not `Send`: the browser is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Writes a vote, its rating row ([`Store::rating_blobs`]), queues it for sync
    /// ([`Store::outbox`]) and marks its conversation voted, atomically. A vote id already present is left as it is and reported as
    /// [`Written::Duplicate`].
    async fn record_vote(
        &self,
        vote: &VoteRecord,
        conversation: Option<&Conversation>,
    ) -> Result<Written, StoreError>;
    /// Writes a batch of imported votes, and one blob of their rating rows, in one
    /// transaction: all of the batch or none of it.
    /// A record without an id gets the name-based id of its content
    /// ([`crate::formats::pool::with_id`]), so importing the same file twice adds nothing; an
    /// id already stored (or seen earlier in the batch) is counted as a duplicate and left as
    /// it is.
    async fn import_votes(&self, votes: &[VoteRecord]) -> Result<ImportReport, StoreError>;
    async fn vote(&self, id: &str) -> Result<Option<VoteRecord>, StoreError>;
    /// All votes, oldest first.
    async fn votes(&self) -> Result<Vec<VoteRecord>, StoreError> {
        self.votes_mapped(|v| v).await
    }
    /// All votes, oldest first, each passed through `f` as it is decoded, so a reader that
    /// keeps only part of each vote (the ratings' rows) never holds them all whole.
    async fn votes_mapped<T>(&self, f: impl FnMut(VoteRecord) -> T) -> Result<Vec<T>, StoreError>;
    async fn vote_count(&self) -> Result<usize, StoreError>;
    /// The ids of all votes, in key order. No record is decoded, so a reader that keeps the
    /// votes it has read fetches only the new ones ([`Store::vote`]) after a write.
    async fn vote_ids(&self) -> Result<Vec<String>, StoreError>;

    /// The votes cast here that no sync server has acknowledged yet, oldest first. Votes only
    /// enter the queue through [`Store::record_vote`]: imported and pulled votes are not sent.
    async fn outbox(&self) -> Result<Vec<VoteRecord>, StoreError>;
    async fn outbox_count(&self) -> Result<usize, StoreError>;
    /// Takes acknowledged (or refused for good) votes out of the queue; unknown ids are ignored.
    async fn dequeue(&self, ids: &[String]) -> Result<(), StoreError>;

    /// The keys of the rating blobs, ascending. Every stored vote's row is in exactly one blob;
    /// blobs are only added, except when [`Store::compact_ratings`] merges some into one.
    async fn rating_keys(&self) -> Result<Vec<u64>, StoreError>;
    /// The blobs under `keys`, in that order (`None` where a key is gone: merged meanwhile).
    async fn rating_blobs(&self, keys: &[u64]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    /// Replaces the blobs under `replaced` by `merged` (their rows packed as one), under a new
    /// key, which it returns; `None`, changing nothing, when any of them is already gone (a
    /// reader elsewhere merged first).
    async fn compact_ratings(
        &self,
        replaced: &[u64],
        merged: Vec<u8>,
    ) -> Result<Option<u64>, StoreError>;

    async fn put_conversation(&self, conversation: &Conversation) -> Result<(), StoreError>;
    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError>;

    /// Writes (or replaces) a user prompt set.
    async fn put_prompt_set(&self, set: &PromptSet) -> Result<(), StoreError>;
    /// The user's prompt sets, by id.
    async fn prompt_sets(&self) -> Result<Vec<PromptSet>, StoreError>;
    async fn delete_prompt_set(&self, id: &str) -> Result<(), StoreError>;

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError>;
    async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;

    async fn put_secret(&self, provider: &str, secret: &str) -> Result<(), StoreError>;
    async fn secret(&self, provider: &str) -> Result<Option<String>, StoreError>;
    async fn delete_secret(&self, provider: &str) -> Result<(), StoreError>;

    /// Adds or replaces (by id) one of the judge's own contestants.
    async fn put_contestant(&self, contestant: &Contestant) -> Result<(), StoreError>;
    /// The judge's own contestants, by id.
    async fn contestants(&self) -> Result<Vec<Contestant>, StoreError>;
    /// Removes a contestant; removing one that is not there is not an error.
    async fn delete_contestant(&self, id: &str) -> Result<(), StoreError>;
}

/// A [`Store`] in memory, for native tests and tools.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    votes: BTreeMap<String, (u64, VoteRecord)>,
    next_seq: u64,
    conversations: BTreeMap<String, Conversation>,
    prompt_sets: BTreeMap<String, PromptSet>,
    settings: BTreeMap<String, serde_json::Value>,
    secrets: BTreeMap<String, String>,
    outbox: BTreeSet<String>,
    ratings: BTreeMap<u64, Vec<u8>>,
    next_blob: u64,
    contestants: BTreeMap<String, Contestant>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Inner {
    fn add_blob(&mut self, blob: Vec<u8>) -> u64 {
        self.next_blob += 1;
        self.ratings.insert(self.next_blob, blob);
        self.next_blob
    }
}

impl Store for MemoryStore {
    async fn record_vote(
        &self,
        vote: &VoteRecord,
        conversation: Option<&Conversation>,
    ) -> Result<Written, StoreError> {
        let mut inner = self.inner.borrow_mut();
        if inner.votes.contains_key(&vote.id) {
            return Ok(Written::Duplicate);
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.votes.insert(vote.id.clone(), (seq, vote.clone()));
        inner.outbox.insert(vote.id.clone());
        inner.add_blob(pack_votes(std::slice::from_ref(vote)));
        if let Some(c) = conversation {
            let mut c = c.clone();
            c.voted = true;
            inner.conversations.insert(c.id.clone(), c);
        }
        Ok(Written::New)
    }

    async fn import_votes(&self, votes: &[VoteRecord]) -> Result<ImportReport, StoreError> {
        let mut inner = self.inner.borrow_mut();
        let mut report = ImportReport::default();
        let mut added = Vec::new();
        for v in votes {
            let v = with_id(v.clone());
            if inner.votes.contains_key(&v.id) {
                report.duplicates += 1;
                continue;
            }
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.votes.insert(v.id.clone(), (seq, v.clone()));
            added.push(v);
            report.added += 1;
        }
        if !added.is_empty() {
            inner.add_blob(pack_votes(&added));
        }
        Ok(report)
    }

    async fn vote(&self, id: &str) -> Result<Option<VoteRecord>, StoreError> {
        Ok(self.inner.borrow().votes.get(id).map(|(_, v)| v.clone()))
    }

    async fn votes_mapped<T>(&self, f: impl FnMut(VoteRecord) -> T) -> Result<Vec<T>, StoreError> {
        let inner = self.inner.borrow();
        let mut all: Vec<_> = inner.votes.values().collect();
        all.sort_by(|a, b| a.1.tstamp.total_cmp(&b.1.tstamp).then(a.0.cmp(&b.0)));
        Ok(all.into_iter().map(|(_, v)| v.clone()).map(f).collect())
    }

    async fn vote_count(&self) -> Result<usize, StoreError> {
        Ok(self.inner.borrow().votes.len())
    }

    async fn vote_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.inner.borrow().votes.keys().cloned().collect())
    }

    async fn rating_keys(&self) -> Result<Vec<u64>, StoreError> {
        Ok(self.inner.borrow().ratings.keys().copied().collect())
    }

    async fn rating_blobs(&self, keys: &[u64]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let inner = self.inner.borrow();
        Ok(keys.iter().map(|k| inner.ratings.get(k).cloned()).collect())
    }

    async fn compact_ratings(
        &self,
        replaced: &[u64],
        merged: Vec<u8>,
    ) -> Result<Option<u64>, StoreError> {
        let mut inner = self.inner.borrow_mut();
        if !replaced.iter().all(|k| inner.ratings.contains_key(k)) {
            return Ok(None);
        }
        for k in replaced {
            inner.ratings.remove(k);
        }
        Ok(Some(inner.add_blob(merged)))
    }

    async fn outbox(&self) -> Result<Vec<VoteRecord>, StoreError> {
        let inner = self.inner.borrow();
        let mut queued: Vec<_> = inner
            .outbox
            .iter()
            .filter_map(|id| inner.votes.get(id))
            .collect();
        queued.sort_by(|a, b| a.1.tstamp.total_cmp(&b.1.tstamp).then(a.0.cmp(&b.0)));
        Ok(queued.into_iter().map(|(_, v)| v.clone()).collect())
    }

    async fn outbox_count(&self) -> Result<usize, StoreError> {
        Ok(self.inner.borrow().outbox.len())
    }

    async fn dequeue(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        for id in ids {
            inner.outbox.remove(id);
        }
        Ok(())
    }

    async fn put_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .conversations
            .insert(conversation.id.clone(), conversation.clone());
        Ok(())
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        Ok(self.inner.borrow().conversations.get(id).cloned())
    }

    async fn put_prompt_set(&self, set: &PromptSet) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .prompt_sets
            .insert(set.id.clone(), set.clone());
        Ok(())
    }

    async fn prompt_sets(&self) -> Result<Vec<PromptSet>, StoreError> {
        Ok(self.inner.borrow().prompt_sets.values().cloned().collect())
    }

    async fn delete_prompt_set(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().prompt_sets.remove(id);
        Ok(())
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .settings
            .insert(key.to_string(), value.clone());
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self.inner.borrow().settings.get(key).cloned())
    }

    async fn put_secret(&self, provider: &str, secret: &str) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .secrets
            .insert(provider.to_string(), secret.to_string());
        Ok(())
    }

    async fn secret(&self, provider: &str) -> Result<Option<String>, StoreError> {
        Ok(self.inner.borrow().secrets.get(provider).cloned())
    }

    async fn delete_secret(&self, provider: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().secrets.remove(provider);
        Ok(())
    }

    async fn put_contestant(&self, contestant: &Contestant) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .contestants
            .insert(contestant.id.clone(), contestant.clone());
        Ok(())
    }

    async fn contestants(&self) -> Result<Vec<Contestant>, StoreError> {
        Ok(self.inner.borrow().contestants.values().cloned().collect())
    }

    async fn delete_contestant(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().contestants.remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Winner;
    use futures_executor::block_on;

    pub(crate) fn vote(id: &str, t: f64) -> VoteRecord {
        VoteRecord {
            id: id.into(),
            schema: Some(crate::record::RECORD_SCHEMA),
            arena_id: "test".into(),
            question_id: id.into(),
            model_a: "a".into(),
            model_b: "b".into(),
            winner: Winner::ModelA,
            judge: "j".into(),
            conversation_a: vec![Message::user("hi"), Message::assistant("A")],
            conversation_b: vec![Message::user("hi"), Message::assistant("B")],
            turn: 1,
            anony: true,
            language: "English".into(),
            tstamp: t,
            conv_metadata: None,
            dedup_tag: None,
            category_tag: None,
            categories: vec![],
            flags: vec![],
            app_version: "test".into(),
        }
    }

    #[test]
    fn votes_cast_here_are_queued_until_dequeued_and_imports_never_are() {
        let store = MemoryStore::new();
        block_on(async {
            store.record_vote(&vote("late", 2.0), None).await.unwrap();
            store.record_vote(&vote("early", 1.0), None).await.unwrap();
            // A second write of the same vote queues nothing new.
            store.record_vote(&vote("early", 1.0), None).await.unwrap();
            store.import_votes(&[vote("imported", 0.5)]).await.unwrap();
            let queued: Vec<_> = store
                .outbox()
                .await
                .unwrap()
                .into_iter()
                .map(|v| v.id)
                .collect();
            assert_eq!(queued, ["early", "late"]);
            assert_eq!(store.outbox_count().await.unwrap(), 2);
            store
                .dequeue(&["early".into(), "unknown".into()])
                .await
                .unwrap();
            let queued: Vec<_> = store
                .outbox()
                .await
                .unwrap()
                .into_iter()
                .map(|v| v.id)
                .collect();
            assert_eq!(queued, ["late"]);
            // Dequeued votes stay stored.
            assert_eq!(store.vote_count().await.unwrap(), 3);
        });
    }

    #[test]
    fn every_vote_is_in_one_rating_blob_and_compaction_keeps_it_so() {
        use crate::ratings::packed::unpack;
        let store = MemoryStore::new();
        block_on(async {
            store.record_vote(&vote("v1", 1.0), None).await.unwrap();
            store.record_vote(&vote("v1", 1.0), None).await.unwrap();
            store.record_vote(&vote("v2", 2.0), None).await.unwrap();
            store
                .import_votes(&[vote("i1", 0.5), vote("v2", 2.0), vote("i2", 3.0)])
                .await
                .unwrap();
            store.import_votes(&[vote("i1", 0.5)]).await.unwrap();
            let keys = store.rating_keys().await.unwrap();
            assert_eq!(
                keys.len(),
                3,
                "two votes and one import wrote blobs; repeats none"
            );
            let ids = |blobs: Vec<Option<Vec<u8>>>| {
                let mut ids: Vec<String> = blobs
                    .into_iter()
                    .flat_map(|b| unpack(&b.unwrap()).unwrap().1)
                    .map(|id| id.text())
                    .collect();
                ids.sort();
                ids
            };
            let all = ids(store.rating_blobs(&keys).await.unwrap());
            assert_eq!(all, ["i1", "i2", "v1", "v2"]);
            let first_two = keys[..2].to_vec();
            let merged = pack_votes(&[vote("v1", 1.0), vote("v2", 2.0)]);
            let new = store
                .compact_ratings(&first_two, merged.clone())
                .await
                .unwrap();
            let keys_now = store.rating_keys().await.unwrap();
            assert_eq!(keys_now, [keys[2], new.unwrap()]);
            assert_eq!(ids(store.rating_blobs(&keys_now).await.unwrap()), all);
            // A second compaction of blobs already merged changes nothing.
            assert_eq!(
                store.compact_ratings(&first_two, merged).await.unwrap(),
                None
            );
            assert_eq!(store.rating_keys().await.unwrap(), keys_now);
            assert_eq!(store.rating_blobs(&first_two).await.unwrap(), [None, None]);
        });
    }

    #[test]
    fn migrations_from_each_version_create_exactly_the_missing_stores() {
        assert_eq!(stores_to_create(0).len(), 8);
        assert_eq!(
            stores_to_create(1),
            vec![
                "conversations",
                "contestants",
                "prompts",
                "secrets",
                "outbox",
                "ratings"
            ]
        );
        assert_eq!(stores_to_create(2), vec!["outbox", "ratings"]);
        assert_eq!(stores_to_create(3), vec!["ratings"]);
        assert!(stores_to_create(DB_VERSION).is_empty());
    }

    #[test]
    fn a_vote_id_is_written_once() {
        block_on(async {
            let s = MemoryStore::new();
            assert_eq!(s.record_vote(&vote("1", 1.0), None).await, Ok(Written::New));
            let mut changed = vote("1", 1.0);
            changed.winner = Winner::ModelB;
            assert_eq!(s.record_vote(&changed, None).await, Ok(Written::Duplicate));
            assert_eq!(s.vote("1").await.unwrap().unwrap().winner, Winner::ModelA);
            assert_eq!(s.vote_count().await.unwrap(), 1);
            s.record_vote(&vote("0", 9.0), None).await.unwrap();
            assert_eq!(s.vote_ids().await.unwrap(), ["0", "1"], "key order");
        });
    }

    #[test]
    fn votes_list_oldest_first_and_the_conversation_is_marked_voted() {
        block_on(async {
            let s = MemoryStore::new();
            let conv = Conversation {
                id: "2".into(),
                contestant_a: "a".into(),
                contestant_b: "b".into(),
                messages_a: vec![],
                messages_b: vec![],
                updated_ms: 0.0,
                voted: false,
            };
            s.put_conversation(&conv).await.unwrap();
            s.record_vote(&vote("2", 5.0), Some(&conv)).await.unwrap();
            s.record_vote(&vote("1", 3.0), None).await.unwrap();
            let ids: Vec<_> = s.votes().await.unwrap().into_iter().map(|v| v.id).collect();
            assert_eq!(ids, ["1", "2"]);
            assert!(s.conversation("2").await.unwrap().unwrap().voted);
        });
    }

    #[test]
    fn a_bulk_import_adds_new_ids_once_and_derives_missing_ones() {
        block_on(async {
            let s = MemoryStore::new();
            s.record_vote(&vote("1", 1.0), None).await.unwrap();
            let mut fastchat = vote("", 2.0);
            fastchat.question_id = "q".into();
            let batch = [
                vote("1", 1.0),
                vote("2", 3.0),
                vote("2", 3.0),
                fastchat.clone(),
            ];
            let r = s.import_votes(&batch).await.unwrap();
            assert_eq!(
                r,
                ImportReport {
                    added: 2,
                    duplicates: 2
                }
            );
            assert_eq!(s.vote_count().await.unwrap(), 3);
            // The id-less record was stored under its content id; importing it again adds
            // nothing.
            let again = s.import_votes(&[fastchat.clone()]).await.unwrap();
            assert_eq!(
                again,
                ImportReport {
                    added: 0,
                    duplicates: 1
                }
            );
            let stored = s.votes().await.unwrap();
            assert!(stored.iter().all(|v| !v.id.is_empty()));
            assert!(s.vote(&with_id(fastchat).id).await.unwrap().is_some());
        });
    }

    #[test]
    fn contestants_are_put_by_id_listed_and_deleted() {
        use crate::config::ContestantForm;
        block_on(async {
            let s = MemoryStore::new();
            let mk = |id: &str, name: &str| {
                ContestantForm {
                    name: name.into(),
                    model: "m".into(),
                    ..ContestantForm::default()
                }
                .validate(id)
                .unwrap()
            };
            s.put_contestant(&mk("b", "B")).await.unwrap();
            s.put_contestant(&mk("a", "A")).await.unwrap();
            s.put_contestant(&mk("b", "B edited")).await.unwrap();
            let all = s.contestants().await.unwrap();
            let names: Vec<_> = all.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["A", "B edited"]);
            s.delete_contestant("a").await.unwrap();
            s.delete_contestant("missing").await.unwrap();
            assert_eq!(s.contestants().await.unwrap().len(), 1);
        });
    }

    #[test]
    fn secrets_are_kept_apart_and_can_be_deleted() {
        block_on(async {
            let s = MemoryStore::new();
            s.put_secret("openai", "sk-test").await.unwrap();
            assert_eq!(s.setting("openai").await.unwrap(), None);
            assert_eq!(
                s.secret("openai").await.unwrap().as_deref(),
                Some("sk-test")
            );
            s.delete_secret("openai").await.unwrap();
            assert_eq!(s.secret("openai").await.unwrap(), None);
        });
    }
}
