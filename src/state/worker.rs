//! The app's shared data worker: the Leaderboard page's rankings, ratings for efficient
//! pairing and exports, off the main thread, so the main bundle links neither the rating fit
//! nor the export writers.
//!
//! Started on the first request and kept for the app's life, so the votes it has read stay
//! read between pages (the Data page's import form still runs its own, ended with the page). Each request gets a fresh id and a one-shot
//! answer; a worker that fails answers every waiting request with the failure, and the next
//! request starts a new one.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

use arena_core::formats::export::{ExportCount, ExportFormat};
use arena_core::ratings::{LeaderboardOptions, LeaderboardRow};
use futures_channel::oneshot;
use leptos::prelude::*;
use web_sys::Blob;

use super::VotesChanged;
use crate::worker::WorkerClient;
use crate::worker::protocol::{Request, Response};

/// An answer, with the file that came beside it; or why there is none.
type Answer = Result<(Response, Option<Blob>), String>;

struct Inner {
    db: String,
    votes: VotesChanged,
    /// The running worker, and whether it has failed (it is replaced on the next request;
    /// not dropped at once, since the failure is reported from inside its own callback).
    client: RefCell<Option<(WorkerClient, Rc<Cell<bool>>)>>,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Answer>>>,
}

impl Inner {
    fn answer(&self, id: u64, answer: Answer) {
        if let Some(tx) = self.pending.borrow_mut().remove(&id) {
            let _ = tx.send(answer);
        }
    }

    fn fail_all(&self, message: &str) {
        let waiting: Vec<_> = self.pending.borrow_mut().drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(Err(message.to_string()));
        }
    }
}

/// Handle to the shared worker; `Copy`, so closures can take it freely.
#[derive(Debug, Clone, Copy)]
pub struct DataWorker(StoredValue<Rc<Inner>, LocalStorage>);

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataWorker")
            .field("db", &self.db)
            .field("pending", &self.pending.borrow().len())
            .finish_non_exhaustive()
    }
}

/// How long a battle waits for the ratings before it draws without them.
pub const RATINGS_TIMEOUT: Duration = Duration::from_secs(2);

/// Provides the shared worker for the database `db`, whose votes `votes` counts.
pub fn provide_data_worker(db: &str, votes: VotesChanged) {
    provide_context(DataWorker(StoredValue::new_local(Rc::new(Inner {
        db: db.to_string(),
        votes,
        client: RefCell::new(None),
        next_id: Cell::new(0),
        pending: RefCell::new(HashMap::new()),
    }))));
}

pub fn use_data_worker() -> DataWorker {
    expect_context()
}

impl DataWorker {
    /// Sends the request `make` builds from a fresh id and the database name; the receiver
    /// gets the answer, or an error if the worker fails, the app is gone, or `timeout`
    /// passes first.
    fn request(
        self,
        make: impl FnOnce(u64, String) -> Request,
        timeout: Option<Duration>,
    ) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        if let Some(inner) = self.0.try_get_value() {
            send(&inner, make, tx, timeout);
        } else {
            let _ = tx.send(Err("The app is closing.".into()));
        }
        rx
    }

    /// The page's write counter, which names the votes a request is about.
    fn votes_version(self) -> u64 {
        self.0
            .try_with_value(|i| i.votes.0.get_untracked())
            .unwrap_or_default()
    }

    /// The leaderboard rows of the stored votes (default options), for efficient pairing;
    /// an error if the worker cannot answer within [`RATINGS_TIMEOUT`].
    pub fn ratings(self) -> impl Future<Output = Result<Vec<LeaderboardRow>, String>> {
        let votes_version = self.votes_version();
        let answer = self.request(
            |id, db| Request::Ratings {
                id,
                db,
                votes_version,
            },
            Some(RATINGS_TIMEOUT),
        );
        async move {
            match received(answer).await? {
                (Response::Ratings { rows, .. }, _) => Ok(rows),
                (Response::Failed { message, .. }, _) => Err(message),
                _ => Err("The background worker sent a wrong answer.".into()),
            }
        }
    }

    /// The leaderboard of the stored votes under `options`: the worker's `Leaderboard`
    /// answer (or `Failed`). No time limit: the first read of a large arena takes a while.
    /// The worker keeps the votes it has read, so after one more vote it reads only that.
    pub fn leaderboard(
        self,
        options: LeaderboardOptions,
    ) -> impl Future<Output = Result<Response, String>> {
        let votes_version = self.votes_version();
        let answer = self.request(
            |id, db| Request::Leaderboard {
                id,
                db,
                votes_version,
                options,
            },
            None,
        );
        async move { received(answer).await.map(|(r, _)| r) }
    }

    /// Every stored vote as a file in `format`, and how many records it holds.
    pub fn export(
        self,
        format: ExportFormat,
    ) -> impl Future<Output = Result<(ExportCount, Blob), String>> {
        let answer = self.request(|id, db| Request::Export { id, db, format }, None);
        async move {
            match received(answer).await? {
                (
                    Response::Exported {
                        result: Ok(count), ..
                    },
                    Some(file),
                ) => Ok((count, file)),
                (
                    Response::Exported { result: Err(e), .. } | Response::Failed { message: e, .. },
                    _,
                ) => Err(e),
                _ => Err("The background worker sent a wrong answer.".into()),
            }
        }
    }
}

async fn received(answer: oneshot::Receiver<Answer>) -> Answer {
    answer
        .await
        .unwrap_or_else(|_| Err("The background worker went away.".into()))
}

fn send(
    inner: &Rc<Inner>,
    make: impl FnOnce(u64, String) -> Request,
    tx: oneshot::Sender<Answer>,
    timeout: Option<Duration>,
) {
    let id = inner.next_id.get() + 1;
    inner.next_id.set(id);
    inner.pending.borrow_mut().insert(id, tx);
    if let Err(e) = ensure_client(inner) {
        inner.answer(id, Err(e));
        return;
    }
    if let Some(after) = timeout {
        let weak = Rc::downgrade(inner);
        set_timeout(
            move || {
                if let Some(inner) = weak.upgrade() {
                    inner.answer(
                        id,
                        Err("The background worker did not answer in time.".into()),
                    );
                }
            },
            after,
        );
    }
    let request = make(id, inner.db.clone());
    if let Some((client, _)) = &*inner.client.borrow() {
        client.send(&request, None);
    }
}

/// Starts the worker unless one is running (replacing one that failed).
fn ensure_client(inner: &Rc<Inner>) -> Result<(), String> {
    let healthy = inner
        .client
        .borrow()
        .as_ref()
        .is_some_and(|(_, failed)| !failed.get());
    if healthy {
        return Ok(());
    }
    // Dropping the failed one terminates it; its callbacks are no longer running.
    inner.client.borrow_mut().take();
    let failed = Rc::new(Cell::new(false));
    let (on_answer, on_failure): (Weak<Inner>, Weak<Inner>) =
        (Rc::downgrade(inner), Rc::downgrade(inner));
    let flag = failed.clone();
    let client = WorkerClient::spawn_with_files(
        move |response, file| {
            if let (Some(inner), Some(id)) = (on_answer.upgrade(), response.id()) {
                inner.answer(id, Ok((response, file)));
            }
        },
        move |message| {
            flag.set(true);
            if let Some(inner) = on_failure.upgrade() {
                inner.fail_all(&message);
            }
        },
    )?;
    *inner.client.borrow_mut() = Some((client, failed));
    Ok(())
}
