//! [`Store`] on the browser's IndexedDB, through `indexed_db_futures`.
//!
//! Schema versions and what each adds are defined once, in `arena_core::store::MIGRATIONS`;
//! the upgrade handler here only creates the stores that list says are missing, so a
//! database at any older version is brought forward without touching its data.

use arena_core::VoteRecord;
use arena_core::config::PromptSet;
use std::collections::HashSet;

use arena_core::config::Contestant;
use arena_core::formats::pool::with_id;
use arena_core::ratings::packed::{VoteId, unpack};
use arena_core::store::{
    AUTO_INCREMENT, Conversation, DB_VERSION, ImportReport, Store, StoreError, Written, pack_votes,
    stores, stores_to_create,
};
use indexed_db_futures::database::{Database, ObjectStoreName};
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::primitive::TryFromJs;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// The database name the app uses.
pub const DB_NAME: &str = "arena";

/// Settings key: the votes stored before the ratings store existed have their rows.
const RATINGS_FILLED: &str = "ratings_filled";

/// Stores whose records carry their own `id` (in-line keys); the rest use out-of-line keys.
const KEYED_BY_ID: [&str; 4] = [
    stores::VOTES,
    stores::CONVERSATIONS,
    stores::CONTESTANTS,
    stores::PROMPTS,
];

/// An open Arena database.
#[derive(Debug)]
pub struct IdbStore {
    db: Database,
}

/// A settings value as stored: a JSON string, so any `serde_json::Value` round-trips exactly
/// (serde-wasm-bindgen would turn integers into floats and drop `null`s in objects).
#[derive(Serialize, Deserialize)]
struct Stored {
    json: String,
}

impl IdbStore {
    /// Opens (creating or upgrading as needed) the database called `name`.
    pub async fn open(name: &str) -> Result<IdbStore, StoreError> {
        let db = Database::open(name)
            .with_version(DB_VERSION)
            .with_on_upgrade_needed(|event, db| {
                // IndexedDB versions are whole numbers stored as doubles.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let old = event.old_version() as u32;
                for store in stores_to_create(old) {
                    if AUTO_INCREMENT.contains(&store) {
                        db.create_object_store(store)
                            .with_auto_increment(true)
                            .build()?;
                    } else if KEYED_BY_ID.contains(&store) {
                        db.create_object_store(store)
                            .with_key_path("id".into())
                            .build()?;
                    } else {
                        db.create_object_store(store).build()?;
                    }
                }
                Ok(())
            })
            .await
            .map_err(open_error)?;
        let store = IdbStore { db };
        store.fill_ratings().await?;
        Ok(store)
    }

    /// Writes the rating rows of the votes stored before the ratings store existed (schema
    /// version 4), once: a settings flag says it is done. The check and the write are one
    /// read-write transaction, and IndexedDB runs those one at a time, so the page and a
    /// worker opening together fill it once; votes written since (which have their blobs)
    /// are left out by id.
    async fn fill_ratings(&self) -> Result<(), StoreError> {
        if self
            .get_json::<bool>(stores::SETTINGS, RATINGS_FILLED)
            .await?
            == Some(true)
        {
            return Ok(());
        }
        let tx = self.writing([stores::VOTES, stores::RATINGS, stores::SETTINGS])?;
        let settings = tx.object_store(stores::SETTINGS).map_err(error)?;
        let done: Option<Stored> = settings
            .get(RATINGS_FILLED)
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        if done.is_some() {
            return Ok(());
        }
        let ratings = tx.object_store(stores::RATINGS).map_err(error)?;
        let blobs: Vec<JsValue> = ratings
            .get_all::<JsValue>()
            .primitive()
            .map_err(error)?
            .await
            .map_err(error)?
            .collect::<Result<_, _>>()
            .map_err(error)?;
        let mut have = HashSet::new();
        for b in &blobs {
            // Only votes cast in this transaction's absence could be here, each a small inline
            // blob: every connection fills the store when it opens, before it writes.
            if b.is_instance_of::<web_sys::Blob>() {
                return Err(StoreError::Other(
                    "a large ratings blob before the ratings store was filled".into(),
                ));
            }
            let (_, ids) = unpack(&js_sys::Uint8Array::new(b).to_vec())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            have.extend(ids);
        }
        let votes = tx.object_store(stores::VOTES).map_err(error)?;
        let all: Vec<StoredVote> = votes
            .get_all()
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?
            .collect::<Result<_, _>>()
            .map_err(error)?;
        let missing = all
            .iter()
            .filter(|v| !have.contains(&VoteId::new(&v.id)))
            .map(|v| decode::<VoteRecord>(&v.json))
            .collect::<Result<Vec<_>, _>>()?;
        if !missing.is_empty() {
            add_blob(&ratings, &pack_votes(&missing)).await?;
        }
        settings
            .put(Stored {
                json: "true".into(),
            })
            .with_key(RATINGS_FILLED.to_string())
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        commit(tx).await
    }

    /// Object store names present in the open database.
    pub fn store_names(&self) -> Vec<String> {
        self.db.object_store_names().collect()
    }

    /// The database's schema version.
    pub fn version(&self) -> f64 {
        self.db.version()
    }

    /// Closes the connection (so a test can delete or reopen the database).
    pub fn close(self) {
        self.db.close();
    }

    /// A read-write transaction on `store`.
    fn writing<S: ObjectStoreName>(&self, store: S) -> Result<Transaction<'_>, StoreError> {
        self.db
            .transaction(store)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(error)
    }

    /// Writes `value` as JSON under `id` in a store keyed by `id` (in-line keys).
    async fn put_by_id<T: Serialize>(
        &self,
        store: &str,
        id: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let json = encode(value)?;
        let tx = self.writing(store)?;
        tx.object_store(store)
            .map_err(error)?
            .put(StoredById {
                id: id.to_string(),
                json,
            })
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        commit(tx).await
    }

    /// Every record of a store keyed by `id`, in key order.
    async fn all_by_id<T: for<'de> Deserialize<'de>>(
        &self,
        store: &str,
    ) -> Result<Vec<T>, StoreError> {
        let tx = self.db.transaction(store).build().map_err(error)?;
        let os = tx.object_store(store).map_err(error)?;
        let all: Vec<StoredById> = os
            .get_all()
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?
            .collect::<Result<_, _>>()
            .map_err(error)?;
        all.iter().map(|s| decode(&s.json)).collect()
    }

    async fn delete_key(&self, store: &str, key: &str) -> Result<(), StoreError> {
        let tx = self.writing(store)?;
        tx.object_store(store)
            .map_err(error)?
            .delete(key)
            .primitive()
            .map_err(error)?
            .await
            .map_err(error)?;
        commit(tx).await
    }

    /// The record under `key`, decoded from its `json` field: every store's objects have one
    /// (`Stored`, `StoredById`, `StoredVote`; the other fields are ignored here).
    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.db.transaction(store).build().map_err(error)?;
        let os = tx.object_store(store).map_err(error)?;
        let stored: Option<Stored> = os.get(key).serde().map_err(error)?.await.map_err(error)?;
        stored.map(|s| decode(&s.json)).transpose()
    }

    async fn put_json<T: Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let json = encode(value)?;
        let tx = self.writing(store)?;
        let os = tx.object_store(store).map_err(error)?;
        os.put(Stored { json })
            .with_key(key.to_string())
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        commit(tx).await
    }
}

/// A vote as stored: the record's JSON beside its id and timestamp, so the store can be
/// keyed and sorted without a lossy JS conversion of the record itself.
#[derive(Serialize, Deserialize)]
struct StoredVote {
    id: String,
    tstamp: f64,
    json: String,
}

/// A record keyed by its id, stored as JSON text (conversations, prompt sets, contestants).
#[derive(Serialize, Deserialize)]
struct StoredById {
    id: String,
    json: String,
}

impl Store for IdbStore {
    async fn record_vote(
        &self,
        vote: &VoteRecord,
        conversation: Option<&Conversation>,
    ) -> Result<Written, StoreError> {
        let json = encode(vote)?;
        let tx = self.writing([
            stores::VOTES,
            stores::CONVERSATIONS,
            stores::OUTBOX,
            stores::RATINGS,
        ])?;
        let votes = tx.object_store(stores::VOTES).map_err(error)?;
        let existing: Option<StoredVote> = votes
            .get(vote.id.as_str())
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        if existing.is_some() {
            // Dropping the transaction uncommitted rolls it back: nothing changes.
            return Ok(Written::Duplicate);
        }
        votes
            .add(StoredVote {
                id: vote.id.clone(),
                tstamp: vote.tstamp,
                json,
            })
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        tx.object_store(stores::OUTBOX)
            .map_err(error)?
            .put(Stored {
                json: "true".into(),
            })
            .with_key(vote.id.clone())
            .serde()
            .map_err(error)?
            .await
            .map_err(error)?;
        add_blob(
            &tx.object_store(stores::RATINGS).map_err(error)?,
            &pack_votes(std::slice::from_ref(vote)),
        )
        .await?;
        if let Some(c) = conversation {
            let mut c = c.clone();
            c.voted = true;
            let json = encode(&c)?;
            tx.object_store(stores::CONVERSATIONS)
                .map_err(error)?
                .put(StoredById { id: c.id, json })
                .serde()
                .map_err(error)?
                .await
                .map_err(error)?;
        }
        commit(tx).await?;
        Ok(Written::New)
    }

    async fn import_votes(&self, votes: &[VoteRecord]) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        let mut seen = HashSet::with_capacity(votes.len());
        let mut fresh = Vec::with_capacity(votes.len());
        for v in votes {
            let v = with_id(v.clone());
            if seen.insert(v.id.clone()) {
                fresh.push(v);
            } else {
                report.duplicates += 1;
            }
        }
        let tx = self.writing([stores::VOTES, stores::RATINGS])?;
        let os = tx.object_store(stores::VOTES).map_err(error)?;
        // Every lookup is issued before the first is awaited: one round trip, not one per vote.
        let lookups = fresh
            .iter()
            .map(|v| {
                os.get_key(v.id.as_str())
                    .with_key_type::<String>()
                    .primitive()
                    .map_err(error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut writes = Vec::with_capacity(fresh.len());
        let mut new = Vec::with_capacity(fresh.len());
        for (v, lookup) in fresh.into_iter().zip(lookups) {
            if lookup.await.map_err(error)?.is_some() {
                report.duplicates += 1;
            } else {
                new.push(v);
            }
        }
        for v in &new {
            let json = encode(v)?;
            writes.push(
                os.put(StoredVote {
                    id: v.id.clone(),
                    tstamp: v.tstamp,
                    json,
                })
                .serde()
                .map_err(error)?,
            );
        }
        for w in writes {
            w.await.map_err(error)?;
        }
        if !new.is_empty() {
            add_blob(
                &tx.object_store(stores::RATINGS).map_err(error)?,
                &pack_votes(&new),
            )
            .await?;
        }
        commit(tx).await?;
        report.added = new.len();
        Ok(report)
    }

    async fn vote(&self, id: &str) -> Result<Option<VoteRecord>, StoreError> {
        self.get_json(stores::VOTES, id).await
    }

    async fn votes_mapped<T>(
        &self,
        mut f: impl FnMut(VoteRecord) -> T,
    ) -> Result<Vec<T>, StoreError> {
        let tx = self.db.transaction(stores::VOTES).build().map_err(error)?;
        let os = tx.object_store(stores::VOTES).map_err(error)?;
        // Each stored object's two fields are read directly: going through serde for
        // `StoredVote` cost more than parsing the record's JSON itself.
        let (tstamp_key, json_key) = (JsValue::from_str("tstamp"), JsValue::from_str("json"));
        let all: Vec<JsValue> = os
            .get_all::<JsValue>()
            .primitive()
            .map_err(error)?
            .await
            .map_err(error)?
            .collect::<Result<_, _>>()
            .map_err(error)?;
        let mut all: Vec<(f64, String)> = all
            .iter()
            .map(|v| {
                let tstamp = js_sys::Reflect::get(v, &tstamp_key)
                    .ok()
                    .and_then(|t| t.as_f64());
                let json = js_sys::Reflect::get(v, &json_key)
                    .ok()
                    .and_then(|j| j.as_string());
                tstamp
                    .zip(json)
                    .ok_or_else(|| StoreError::Other("a stored vote has no record".into()))
            })
            .collect::<Result<_, _>>()?;
        // Stable sort: equal timestamps keep key order.
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Each JSON text is freed once decoded.
        all.into_iter()
            .map(|(_, json)| decode(&json).map(&mut f))
            .collect()
    }

    async fn vote_ids(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.transaction(stores::VOTES).build().map_err(error)?;
        keys_of(&tx.object_store(stores::VOTES).map_err(error)?).await
    }

    async fn vote_count(&self) -> Result<usize, StoreError> {
        let tx = self.db.transaction(stores::VOTES).build().map_err(error)?;
        count_of(&tx.object_store(stores::VOTES).map_err(error)?).await
    }

    async fn rating_keys(&self) -> Result<Vec<u64>, StoreError> {
        let tx = self
            .db
            .transaction(stores::RATINGS)
            .build()
            .map_err(error)?;
        let keys: Vec<f64> = keys_of(&tx.object_store(stores::RATINGS).map_err(error)?).await?;
        Ok(keys.into_iter().map(blob_key).collect())
    }

    async fn rating_blobs(&self, keys: &[u64]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let tx = self
            .db
            .transaction(stores::RATINGS)
            .build()
            .map_err(error)?;
        let os = tx.object_store(stores::RATINGS).map_err(error)?;
        #[allow(clippy::cast_precision_loss)]
        let reads = keys
            .iter()
            .map(|&k| os.get::<JsValue, _, _>(k as f64).primitive().map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        let mut values = Vec::with_capacity(keys.len());
        for r in reads {
            let v: Option<JsValue> = r.await.map_err(error)?;
            values.push(v);
        }
        drop(tx);
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            out.push(match v {
                Some(v) => Some(blob_bytes(v).await?),
                None => None,
            });
        }
        Ok(out)
    }

    async fn compact_ratings(
        &self,
        replaced: &[u64],
        merged: Vec<u8>,
    ) -> Result<Option<u64>, StoreError> {
        let tx = self.writing(stores::RATINGS)?;
        let os = tx.object_store(stores::RATINGS).map_err(error)?;
        let now: HashSet<u64> = keys_of::<f64>(&os)
            .await?
            .into_iter()
            .map(blob_key)
            .collect();
        if !replaced.iter().all(|k| now.contains(k)) {
            return Ok(None);
        }
        #[allow(clippy::cast_precision_loss)]
        let deletes = replaced
            .iter()
            .map(|&k| os.delete(k as f64).primitive().map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        for d in deletes {
            d.await.map_err(error)?;
        }
        let key = add_blob(&os, &merged).await?;
        commit(tx).await?;
        Ok(Some(key))
    }

    async fn outbox(&self) -> Result<Vec<VoteRecord>, StoreError> {
        let tx = self
            .db
            .transaction([stores::OUTBOX, stores::VOTES])
            .build()
            .map_err(error)?;
        let ids: Vec<String> = keys_of(&tx.object_store(stores::OUTBOX).map_err(error)?).await?;
        let votes = tx.object_store(stores::VOTES).map_err(error)?;
        // Every read is issued before the first is awaited, as in `import_votes`.
        let reads = ids
            .iter()
            .map(|id| votes.get(id.as_str()).serde().map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        let mut queued = Vec::with_capacity(ids.len());
        for read in reads {
            let stored: Option<StoredVote> = read.await.map_err(error)?;
            if let Some(s) = stored {
                queued.push((s.tstamp, decode::<VoteRecord>(&s.json)?));
            }
        }
        queued.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(queued.into_iter().map(|(_, v)| v).collect())
    }

    async fn outbox_count(&self) -> Result<usize, StoreError> {
        let tx = self.db.transaction(stores::OUTBOX).build().map_err(error)?;
        count_of(&tx.object_store(stores::OUTBOX).map_err(error)?).await
    }

    async fn dequeue(&self, ids: &[String]) -> Result<(), StoreError> {
        let tx = self.writing(stores::OUTBOX)?;
        let os = tx.object_store(stores::OUTBOX).map_err(error)?;
        let deletes = ids
            .iter()
            .map(|id| os.delete(id.as_str()).primitive().map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        for d in deletes {
            d.await.map_err(error)?;
        }
        commit(tx).await
    }

    async fn put_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        self.put_by_id(stores::CONVERSATIONS, &conversation.id, conversation)
            .await
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        self.get_json(stores::CONVERSATIONS, id).await
    }

    async fn put_prompt_set(&self, set: &PromptSet) -> Result<(), StoreError> {
        self.put_by_id(stores::PROMPTS, &set.id, set).await
    }

    async fn prompt_sets(&self) -> Result<Vec<PromptSet>, StoreError> {
        self.all_by_id(stores::PROMPTS).await
    }

    async fn delete_prompt_set(&self, id: &str) -> Result<(), StoreError> {
        self.delete_key(stores::PROMPTS, id).await
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.put_json(stores::SETTINGS, key, value).await
    }

    async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.get_json(stores::SETTINGS, key).await
    }

    async fn put_secret(&self, provider: &str, secret: &str) -> Result<(), StoreError> {
        self.put_json(stores::SECRETS, provider, &secret).await
    }

    async fn secret(&self, provider: &str) -> Result<Option<String>, StoreError> {
        self.get_json(stores::SECRETS, provider).await
    }

    async fn delete_secret(&self, provider: &str) -> Result<(), StoreError> {
        self.delete_key(stores::SECRETS, provider).await
    }

    async fn put_contestant(&self, contestant: &Contestant) -> Result<(), StoreError> {
        self.put_by_id(stores::CONTESTANTS, &contestant.id, contestant)
            .await
    }

    async fn contestants(&self) -> Result<Vec<Contestant>, StoreError> {
        self.all_by_id(stores::CONTESTANTS).await
    }

    async fn delete_contestant(&self, id: &str) -> Result<(), StoreError> {
        self.delete_key(stores::CONTESTANTS, id).await
    }
}

/// Commits `tx`. An aborted transaction reports its own error (a full quota, say) rather than
/// only that it was aborted.
async fn commit(tx: Transaction<'_>) -> Result<(), StoreError> {
    use indexed_db_futures::internals::SystemRepr;
    let sys: web_sys::IdbTransaction = (**tx.as_sys()).clone();
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(e) => Err(sys.error().map_or_else(
            || error(e),
            |d| {
                let d: &JsValue = d.as_ref();
                dom_error_js(d)
            },
        )),
    }
}

/// Every key of `os`, in key order.
async fn keys_of<K: TryFromJs>(os: &ObjectStore<'_>) -> Result<Vec<K>, StoreError> {
    os.get_all_keys::<K>()
        .primitive()
        .map_err(error)?
        .await
        .map_err(error)?
        .collect::<Result<_, _>>()
        .map_err(error)
}

/// How many records `os` holds.
async fn count_of(os: &ObjectStore<'_>) -> Result<usize, StoreError> {
    let n: u32 = os
        .count()
        .primitive()
        .map_err(error)?
        .await
        .map_err(error)?;
    Ok(n as usize)
}

/// Adds a rating blob to `os` (the ratings store) under a new key, which it returns.
async fn add_blob(os: &ObjectStore<'_>, bytes: &[u8]) -> Result<u64, StoreError> {
    let key: f64 = os
        .add(blob_value(bytes))
        .with_key_type::<f64>()
        .primitive()
        .map_err(error)?
        .await
        .map_err(error)?;
    Ok(blob_key(key))
}

/// Rating blobs larger than this are stored as `Blob`s (see [`blob_value`]).
const EXTERNAL_BYTES: usize = 64 * 1024;

/// The bytes of a stored rating blob: a `Uint8Array`, or a `Blob` (read outside any
/// transaction: awaiting it would end one).
async fn blob_bytes(v: JsValue) -> Result<Vec<u8>, StoreError> {
    match v.dyn_into::<web_sys::Blob>() {
        Ok(blob) => {
            let buf = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
                .await
                .map_err(|e| StoreError::Other(format!("reading a ratings blob: {e:?}")))?;
            Ok(js_sys::Uint8Array::new(&buf).to_vec())
        }
        Err(v) => Ok(js_sys::Uint8Array::new(&v).to_vec()),
    }
}

/// A rating blob as IndexedDB stores it: a `Uint8Array` (structured clone copies the bytes).
///
/// Above [`EXTERNAL_BYTES`] it is a `Blob`, which IndexedDB keeps in a file of its own: a value
/// kept inline is read back whenever its neighbours' keys are, and listing the keys of a store
/// holding an 85 MB value after a write took 2 s on disk.
fn blob_value(bytes: &[u8]) -> JsValue {
    let array = js_sys::Uint8Array::from(bytes);
    if bytes.len() <= EXTERNAL_BYTES {
        return array.into();
    }
    let parts = js_sys::Array::of1(&array);
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_or_else(|_| array.into(), Into::into)
}

/// A generated key (1, 2, 3, … as a double) as the integer it is.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn blob_key(k: f64) -> u64 {
    k as u64
}

fn encode<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Maps IndexedDB's errors onto the app's; quota errors get their own variant so the page can
/// say what to do. Takes the error by value to serve as `map_err(error)`.
#[allow(clippy::needless_pass_by_value)]
fn error(e: IdbError) -> StoreError {
    if let IdbError::DomException(d) = &e {
        return dom_error(d);
    }
    StoreError::Other(e.to_string())
}

fn dom_error(d: &DomException) -> StoreError {
    dom_error_js(d.as_ref())
}

fn dom_error_js(js: &JsValue) -> StoreError {
    let (name, message) = js
        .dyn_ref::<web_sys::DomException>()
        .map(|x| (x.name(), x.message()))
        .unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" if message.is_empty() => {
            StoreError::QuotaExceeded("the browser's storage quota for this site is used up".into())
        }
        "QuotaExceededError" => StoreError::QuotaExceeded(message),
        "InvalidStateError" | "SecurityError" | "UnknownError" => StoreError::Unavailable(message),
        _ => StoreError::Other(format!("{name}: {message}")),
    }
}

fn open_error(e: OpenDbError) -> StoreError {
    match e {
        OpenDbError::Base(e) => error(e),
        other => StoreError::Unavailable(other.to_string()),
    }
}
