//! The worker's side: answers [`Request`]s. Runs only inside the worker module.

use std::cell::RefCell;
use std::rc::Rc;

use arena_core::formats::export::{ExportCount, ExportFormat, export_records};
use arena_core::formats::{FormatError, RecordReader};
use arena_core::ratings::rows::RatingRows;
use arena_core::ratings::synthetic::synthetic_battles;
use arena_core::ratings::{CiMethod, LeaderboardOptions, Rankings, compute_leaderboard};
use arena_core::store::{ImportReport, Store};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, File, MessageEvent};

use super::cache::{VoteCache, merge_blobs};
use super::file_read::FileRead;
use super::protocol::{BadLine, ImportFailure, ImportPhase, Imported, Request, Response};
use crate::store::IdbStore;

/// Records written per IndexedDB transaction.
const BATCH: usize = 2_000;
/// A batch also ends once this many bytes of the file are in it, so a file of long
/// conversations never holds thousands of them (several copies each, until the transaction
/// commits) at once.
const BATCH_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// Progress is reported every this many records.
const PROGRESS_EVERY: usize = 5_000;
/// Bad records listed in an import report (all are counted).
const BAD_LISTED: usize = 5;

#[derive(Default)]
struct State {
    store: Option<(String, Rc<IdbStore>)>,
    /// Votes read for a `votes_version`, kept for filter changes and new votes.
    votes: Option<VoteCache>,
    /// Their rankings, brought up to date by the votes appended since.
    rankings: Rankings,
    /// The newest leaderboard request: older ones still waiting are skipped.
    latest_leaderboard: u64,
    /// Whether a request is reading the votes; others wait for it (`waiting`) instead of
    /// reading them a second time.
    loading: bool,
    waiting: Vec<futures_channel::oneshot::Sender<()>>,
}

type Shared = Rc<RefCell<State>>;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

fn post(response: &Response) {
    match serde_json::to_string(response) {
        Ok(text) => {
            let _ = scope().post_message(&JsValue::from_str(&text));
        }
        Err(e) => web_sys::console::error_1(&format!("worker: unserialisable answer: {e}").into()),
    }
}

/// Posts `response` with `file` beside it (as `{ msg, file }`, the shape requests use).
fn post_with_file(response: &Response, file: &Blob) {
    match serde_json::to_string(response) {
        Ok(text) => {
            let msg = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&msg, &"msg".into(), &JsValue::from_str(&text));
            let _ = js_sys::Reflect::set(&msg, &"file".into(), file);
            let _ = scope().post_message(&msg);
        }
        Err(e) => web_sys::console::error_1(&format!("worker: unserialisable answer: {e}").into()),
    }
}

/// Starts answering messages; called by the worker binary's `main`.
pub fn run() {
    let state: Shared = Rc::new(RefCell::new(State::default()));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let text = js_sys::Reflect::get(&data, &"msg".into())
            .ok()
            .and_then(|v| v.as_string());
        let file = js_sys::Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|v| v.dyn_into::<File>().ok());
        let Some(request) = text.and_then(|t| serde_json::from_str::<Request>(&t).ok()) else {
            web_sys::console::error_1(&"worker: a message that is not a request".into());
            return;
        };
        let state = state.clone();
        wasm_bindgen_futures::spawn_local(async move { handle(&state, request, file).await });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its page keeps it; so does the handler.
    on_message.forget();
    post(&Response::Ready);
}

async fn handle(state: &Shared, request: Request, file: Option<File>) {
    match request {
        Request::Leaderboard {
            id,
            db,
            votes_version,
            options,
        } => {
            state.borrow_mut().latest_leaderboard = id;
            leaderboard(state, id, &db, votes_version, &options).await;
            compact(state).await;
        }
        Request::Ratings {
            id,
            db,
            votes_version,
        } => match votes(state, &db, votes_version).await {
            Ok(votes) => {
                let rows = ratings(state, &votes.rows, votes.generation);
                post(&Response::Ratings { id, rows });
                compact(state).await;
            }
            Err(message) => post(&Response::Failed { id, message }),
        },
        Request::Export { id, db, format } => match export(state, &db, format).await {
            Ok((count, file)) => post_with_file(
                &Response::Exported {
                    id,
                    result: Ok(count),
                },
                &file,
            ),
            Err(message) => post(&Response::Exported {
                id,
                result: Err(message),
            }),
        },
        Request::Import {
            id,
            db,
            skip_bad_lines,
        } => {
            let Some(file) = file else {
                post(&Response::Failed {
                    id,
                    message: "no file came with the import request".into(),
                });
                return;
            };
            match open(state, &db).await {
                Ok(store) => {
                    // The cached votes stay: the next request reads the import's blobs only.
                    let result = import(id, &store, file, skip_bad_lines).await;
                    post(&Response::Imported { id, result });
                }
                Err(message) => post(&Response::Failed { id, message }),
            }
        }
        Request::Bench {
            id,
            battles,
            models,
            rounds,
            runs,
        } => bench(id, battles, models, rounds, runs),
    }
}

async fn open(state: &Shared, db: &str) -> Result<Rc<IdbStore>, String> {
    if let Some((name, store)) = &state.borrow().store
        && name == db
    {
        return Ok(store.clone());
    }
    let store = Rc::new(IdbStore::open(db).await.map_err(|e| e.to_string())?);
    state.borrow_mut().store = Some((db.to_string(), store.clone()));
    Ok(store)
}

/// The votes a request ranks: the rows, their generation (see `VoteCache::generation`), and
/// what this request spent reading them (zero when they were cached).
struct Votes {
    rows: Rc<RatingRows>,
    generation: u64,
    storage_ms: f64,
    decode_ms: f64,
}

/// The votes of `db` for `votes_version`. A new version (a vote was cast, or an import
/// wrote) reads only the ids, then fetches just the votes not seen yet; a new database, or
/// many new votes, reads them all.
async fn votes(state: &Shared, db: &str, votes_version: u64) -> Result<Votes, String> {
    loop {
        let cached = state
            .borrow()
            .votes
            .as_ref()
            .filter(|c| c.db == db && c.version == votes_version)
            .map(|c| Votes {
                rows: c.rows.clone(),
                generation: c.generation,
                storage_ms: 0.0,
                decode_ms: 0.0,
            });
        if let Some(v) = cached {
            return Ok(v);
        }
        if !state.borrow().loading {
            break;
        }
        let (tx, rx) = futures_channel::oneshot::channel();
        state.borrow_mut().waiting.push(tx);
        let _ = rx.await;
    }
    state.borrow_mut().loading = true;
    let loaded = async {
        let store = open(state, db).await?;
        let previous = state.borrow_mut().votes.take().filter(|c| c.db == db);
        VoteCache::load(previous, store.as_ref(), db)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    done_loading(state);
    let (mut cache, _) = loaded?;
    cache.version = votes_version;
    let v = Votes {
        rows: cache.rows.clone(),
        generation: cache.generation,
        storage_ms: cache.storage_ms,
        decode_ms: cache.decode_ms,
    };
    state.borrow_mut().votes = Some(cache);
    Ok(v)
}

/// Ends a votes read or merge (`loading`) and wakes the requests that waited for it.
fn done_loading(state: &Shared) {
    let waiting = {
        let mut s = state.borrow_mut();
        s.loading = false;
        std::mem::take(&mut s.waiting)
    };
    for w in waiting {
        let _ = w.send(());
    }
}

/// After an answer is sent: merges the cached votes' small rating blobs into one, so the next
/// page load reads a few blobs (see `VoteCache::compaction`). Requests for the votes already
/// cached are answered meanwhile; a request for newer votes waits for the merge.
async fn compact(state: &Shared) {
    let Some((store, keys)) = state.borrow().votes.as_ref().and_then(|c| {
        let store = state
            .borrow()
            .store
            .as_ref()
            .filter(|(n, _)| *n == c.db)?
            .1
            .clone();
        Some((store, c.compaction()?))
    }) else {
        return;
    };
    if state.borrow().loading {
        return;
    }
    // Reads wait for the merge (`votes`), so they find the cache's keys up to date rather than
    // gone and read everything again.
    state.borrow_mut().loading = true;
    let merged = merge_blobs(store.as_ref(), &keys).await;
    match merged {
        Ok(Some(key)) => {
            if let Some(c) = state.borrow_mut().votes.as_mut() {
                c.compacted(&keys, key);
            }
        }
        Ok(None) => {}
        Err(e) => web_sys::console::warn_1(&format!("worker: merging rating blobs: {e}").into()),
    }
    done_loading(state);
}

/// The rows efficient pairing reads: default options; none when the votes cannot be ranked.
fn ratings(
    state: &Shared,
    votes: &RatingRows,
    generation: u64,
) -> Vec<arena_core::ratings::LeaderboardRow> {
    if votes.is_empty() {
        return Vec::new();
    }
    state
        .borrow_mut()
        .rankings
        .leaderboard(votes, generation, &LeaderboardOptions::default())
        .map_or_else(|_| Vec::new(), |lb| lb.rows)
}

/// Every stored vote (read afresh: an export is exact) as a file in `format`.
async fn export(
    state: &Shared,
    db: &str,
    format: ExportFormat,
) -> Result<(ExportCount, Blob), String> {
    let store = open(state, db).await?;
    let votes = store.votes().await.map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    let count = export_records(format, &votes, &mut bytes)
        .map_err(|e| format!("The export could not be written: {e}"))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = BlobPropertyBag::new();
    options.set_type(format.mime());
    let file = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| format!("The export could not be written: {e:?}"))?;
    Ok((count, file))
}

async fn leaderboard(
    state: &Shared,
    id: u64,
    db: &str,
    votes_version: u64,
    options: &LeaderboardOptions,
) {
    let t0 = now();
    let Votes {
        rows: votes,
        generation,
        storage_ms,
        decode_ms,
    } = match votes(state, db, votes_version).await {
        Ok(v) => v,
        Err(message) => {
            post(&Response::Failed { id, message });
            return;
        }
    };
    let load_ms = now() - t0;
    // A newer request came in while the votes were read: it will answer instead.
    if state.borrow().latest_leaderboard != id {
        post(&Response::Failed {
            id,
            message: "superseded by a newer request".into(),
        });
        return;
    }
    let t1 = now();
    let result = if votes.is_empty() {
        Err("no votes stored".to_string())
    } else {
        state
            .borrow_mut()
            .rankings
            .leaderboard(&votes, generation, options)
            .map(Box::new)
            .map_err(|e| e.to_string())
    };
    post(&Response::Leaderboard {
        id,
        stored: votes.len(),
        result,
        load_ms,
        compute_ms: now() - t1,
        storage_ms,
        decode_ms,
    });
}

fn bad_line(e: &FormatError) -> BadLine {
    let line = e.line();
    let text = e.to_string();
    let message = text
        .strip_prefix(&format!("line {line}: "))
        .unwrap_or(&text)
        .to_string();
    BadLine { line, message }
}

fn reader(
    file: &File,
) -> Result<(RecordReader<FileRead>, Rc<std::cell::Cell<f64>>), ImportFailure> {
    let read = FileRead::new(file.clone()).map_err(|e| ImportFailure::Read(e.to_string()))?;
    let pos = read.position();
    let records = RecordReader::detect(read).map_err(|e| ImportFailure::Read(e.to_string()))?;
    Ok((records, pos))
}

/// Imports `file`: unless bad lines are skipped, a first pass reads the whole file and stops
/// at the first bad record, so a bad file imports nothing; then batches are written, each in
/// its own transaction.
async fn import(
    id: u64,
    store: &IdbStore,
    file: File,
    skip_bad_lines: bool,
) -> Result<Imported, ImportFailure> {
    let total = file.size();
    let progress = |phase, bytes: f64, records| {
        post(&Response::Progress {
            id,
            phase,
            bytes,
            total,
            records,
        });
    };
    if !skip_bad_lines {
        let (records, pos) = reader(&file)?;
        let mut n = 0;
        for r in records {
            if let Err(e) = r {
                return Err(ImportFailure::BadLine(bad_line(&e)));
            }
            n += 1;
            if n % PROGRESS_EVERY == 0 {
                progress(ImportPhase::Checking, pos.get(), n);
            }
        }
        if n == 0 {
            return Err(ImportFailure::Empty);
        }
    }
    let (records, pos) = reader(&file)?;
    let before = store.rating_keys().await.unwrap_or_default();
    let mut done = Imported {
        report: ImportReport::default(),
        read: 0,
        bad: Vec::new(),
        bad_total: 0,
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut records = records.peekable();
    while records.peek().is_some() {
        let start = pos.get();
        for r in records.by_ref() {
            match r {
                Ok(v) => {
                    done.read += 1;
                    batch.push(v);
                    if batch.len() == BATCH || pos.get() - start >= BATCH_BYTES {
                        break;
                    }
                }
                Err(e) => {
                    done.bad_total += 1;
                    if done.bad.len() < BAD_LISTED {
                        done.bad.push(bad_line(&e));
                    }
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        match store.import_votes(&batch).await {
            Ok(r) => done.report.add(r),
            Err(e) => {
                merge_new_blobs(store, &before).await;
                return Err(ImportFailure::Storage {
                    message: e.to_string(),
                    kept: done.report,
                });
            }
        }
        batch.clear();
        progress(ImportPhase::Writing, pos.get(), done.read);
    }
    if done.read == 0 {
        return Err(ImportFailure::Empty);
    }
    merge_new_blobs(store, &before).await;
    Ok(done)
}

/// Merges the rating blobs an import wrote (one per batch) into one, so the Leaderboard reads
/// one blob for the import rather than hundreds. A failure only leaves the blobs as they are.
async fn merge_new_blobs(store: &IdbStore, before: &[u64]) {
    let Ok(after) = store.rating_keys().await else {
        return;
    };
    let new: Vec<u64> = after
        .into_iter()
        .filter(|k| before.binary_search(k).is_err())
        .collect();
    if let Err(e) = merge_blobs(store, &new).await {
        web_sys::console::warn_1(&format!("worker: merging the import's rating blobs: {e}").into());
    }
}

fn bench(id: u64, battles: usize, models: usize, rounds: usize, runs: usize) {
    let t0 = now();
    let records = synthetic_battles(battles, models.max(2), 7);
    let generate_ms = now() - t0;
    let options = LeaderboardOptions {
        ci: CiMethod::Bootstrap { rounds },
        ..LeaderboardOptions::default()
    };
    let mut compute_ms = Vec::with_capacity(runs);
    let mut n = 0;
    for _ in 0..runs.max(1) {
        let t = now();
        let lb = compute_leaderboard(&records, &options);
        compute_ms.push(now() - t);
        n = lb.map_or(0, |l| l.rows.len());
    }
    post(&Response::Bench {
        id,
        generate_ms,
        compute_ms,
        models: n,
    });
}
