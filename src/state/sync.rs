//! Sync with a shared server (`arena serve`, protocol v1): one background loop per app that
//! pushes the votes cast here from the IndexedDB queue (`Store::outbox`) and pulls every vote
//! the server holds by cursor into the votes store, where the leaderboard and efficient
//! pairing read them. What to send, how to read answers and how long to wait are
//! `arena_core::sync`; this file moves the bytes and keeps the `sync-status` indicator.
//!
//! The queue is in IndexedDB, written in the vote's own transaction, so a vote cast offline or
//! just before a reload is sent later; a resend is harmless (the server dedups by id). The
//! loop wakes on a new vote, the browser's `online` event, a focus of the page, a change of
//! settings, "Sync now", a backoff timer after a failure, or every `POLL_MS` otherwise.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use arena_core::store::{Store, StoreError};
use arena_core::sync::{
    Backoff, Failure, POLL_MS, PULL_LIMIT, REQUEST_TIMEOUT_MS, SyncStatus, SyncTarget, endpoint,
    normalise_url, pull_answer, push_answer, push_batches,
};
use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{
    ConfigResource, StoreResource, VotesChanged, use_config, use_store, use_votes_changed,
};
use crate::store::IdbStore;

/// Settings key of the judge's choice of server: a URL, or `""` for "do not sync" (absent:
/// the config's `sync_url`, if any).
const URL_SETTING: &str = "sync_url";
/// Settings key of the pull cursor, with the URL it belongs to.
const CURSOR_SETTING: &str = "sync_cursor";
/// Secrets key of the server's bearer token (the `secrets` store, like API keys: never
/// exported, never in a URL, sent only to the sync server).
const TOKEN_SECRET: &str = "arena-sync";

/// The app's sync: its status for the indicator and the handles the Data page uses.
#[derive(Clone, Copy)]
pub struct SyncCtl {
    pub status: RwSignal<SyncStatus>,
    /// Votes pulled from the server since the page loaded.
    pub pulled: RwSignal<usize>,
    wake: StoredValue<Rc<Wake>, LocalStorage>,
    backoff: StoredValue<Rc<Cell<Backoff>>, LocalStorage>,
}

impl std::fmt::Debug for SyncCtl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncCtl").finish_non_exhaustive()
    }
}

/// What the Data page shows and edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    /// The server in use (the judge's choice, else the config's), if any.
    pub url: Option<String>,
    /// Whether the URL is the config's (`arena.json`'s `sync_url`) rather than the judge's.
    pub from_config: bool,
    pub has_token: bool,
}

impl SyncCtl {
    /// Runs a round now, from the first backoff step.
    pub fn sync_now(self) {
        if let Some(b) = self.backoff.try_get_value() {
            b.set(Backoff::default());
        }
        if let Some(w) = self.wake.try_get_value() {
            w.kick();
        }
    }

    /// Stores the judge's server and token (`None` keeps the stored token) and syncs.
    pub async fn configure(
        self,
        store: &IdbStore,
        url: &str,
        token: Option<&str>,
    ) -> Result<(), String> {
        let url = normalise_url(url)?;
        store
            .put_setting(URL_SETTING, &serde_json::Value::String(url))
            .await
            .map_err(|e| e.to_string())?;
        if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
            store
                .put_secret(TOKEN_SECRET, t)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.sync_now();
        Ok(())
    }

    /// Stops syncing: forgets the judge's server and the token. Queued votes stay queued.
    pub async fn stop(self, store: &IdbStore) -> Result<(), String> {
        store
            .put_setting(URL_SETTING, &serde_json::Value::String(String::new()))
            .await
            .map_err(|e| e.to_string())?;
        store
            .delete_secret(TOKEN_SECRET)
            .await
            .map_err(|e| e.to_string())?;
        self.sync_now();
        Ok(())
    }
}

/// The server in use and whether a token is stored.
pub async fn sync_settings(store: &IdbStore, config_url: Option<&str>) -> SyncSettings {
    let (url, from_config) = server_url(store, config_url).await;
    SyncSettings {
        url,
        from_config,
        has_token: token(store).await.is_some(),
    }
}

/// The server in use: the judge's choice (`""`: none), else the config's; and whether it is
/// the config's.
async fn server_url(store: &IdbStore, config_url: Option<&str>) -> (Option<String>, bool) {
    match store.setting(URL_SETTING).await {
        Ok(Some(serde_json::Value::String(u))) => ((!u.is_empty()).then_some(u), false),
        _ => (
            config_url.and_then(|u| normalise_url(u).ok()),
            config_url.is_some(),
        ),
    }
}

/// The stored token, if any.
async fn token(store: &IdbStore) -> Option<String> {
    store
        .secret(TOKEN_SECRET)
        .await
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Starts the sync loop; call after `provide_store` and `provide_config`.
pub fn provide_sync() {
    let ctl = SyncCtl {
        status: RwSignal::new(SyncStatus::Off),
        pulled: RwSignal::new(0),
        wake: StoredValue::new_local(Rc::new(Wake::default())),
        backoff: StoredValue::new_local(Rc::new(Cell::new(Backoff::default()))),
    };
    provide_context(ctl);
    let votes = use_votes_changed();
    let own_bump = Rc::new(Cell::new(false));
    // A vote written anywhere in the app is pushed at once (bumps from this loop's own pulls
    // are skipped).
    let skip = own_bump.clone();
    Effect::new(move |_| {
        votes.0.track();
        if !skip.replace(false) {
            ctl.sync_now();
        }
    });
    // The app lives as long as the page, so the listeners are never removed.
    let _ = window_event_listener(leptos::ev::online, move |_| ctl.sync_now());
    let _ = window_event_listener(leptos::ev::focus, move |_| ctl.sync_now());
    let (store, config) = (use_store(), use_config());
    spawn_local(async move {
        loop {
            let wait = round(ctl, store, config, votes, &own_bump).await;
            let Some(wake) = ctl.wake.try_get_value() else {
                return; // the app is gone
            };
            wake.sleep(wait).await;
        }
    });
}

/// The app's sync handle.
pub fn use_sync() -> SyncCtl {
    expect_context()
}

/// One push-then-pull round; returns how long to sleep before the next (`None`: until woken).
async fn round(
    ctl: SyncCtl,
    store: StoreResource,
    config: ConfigResource,
    votes: VotesChanged,
    own_bump: &Cell<bool>,
) -> Option<u32> {
    let set = |s: SyncStatus| {
        if !ctl.status.is_disposed() {
            ctl.status.set(s);
        }
    };
    let store = match store.await {
        Ok(s) => s,
        Err(e) => {
            set(SyncStatus::Off);
            leptos::logging::warn!("sync is off: storage unavailable: {e}");
            return None;
        }
    };
    // An undecided config from another origin has no sync URL yet.
    let config = config.await.ok();
    let config_url = config.as_ref().and_then(|c| c.sync_url.clone());
    let conversations = config.as_ref().is_some_and(|c| c.sync_conversations);
    let Some(url) = server_url(&store, config_url.as_deref()).await.0 else {
        set(SyncStatus::Off);
        return None;
    };
    let pending = store.outbox_count().await.unwrap_or(0);
    let Some(token) = token(&store).await else {
        set(SyncStatus::Error {
            reason: "no token: enter the sync server's token on the Data page".into(),
            pending,
        });
        return None;
    };
    set(SyncStatus::Syncing { pending });
    let pushed = push(&store, &url, &token, conversations).await;
    // A refused push (a read-only token, say) still lets the judge see the shared votes; an
    // unreachable server would not answer a pull either.
    let pulled = match &pushed {
        Err(Failure::Unreachable(_)) => Ok(0),
        _ => pull(&store, &url, &token).await,
    };
    if let Ok(added) = pulled
        && added > 0
        && !ctl.pulled.is_disposed()
    {
        ctl.pulled.update(|n| *n += added);
        own_bump.set(true);
        votes.0.update(|n| *n += 1);
    }
    let failure = pushed.err().or(pulled.err());
    let pending = store.outbox_count().await.unwrap_or(pending);
    set(SyncStatus::after(failure.as_ref(), pending));
    let backoff = ctl.backoff.try_get_value()?;
    match failure {
        None => {
            backoff.set(Backoff::default());
            Some(POLL_MS)
        }
        Some(f) if f.retries() => {
            let mut b = backoff.get();
            let delay = b.fail(random_u32());
            backoff.set(b);
            Some(delay)
        }
        Some(_) => None,
    }
}

/// Sends the whole queue, batch by batch, dequeuing what the server acknowledged. Records the
/// server refuses for good (a 400 naming them) leave the queue, and the rest go again.
async fn push(
    store: &IdbStore,
    url: &str,
    token: &str,
    conversations: bool,
) -> Result<(), Failure> {
    let target = endpoint(url, "/v1/votes");
    let mut refused = Vec::new();
    // Each retry after a refusal has fewer votes, so this ends.
    loop {
        let queued = store.outbox().await.map_err(storage)?;
        let mut again = false;
        for batch in push_batches(&queued, conversations) {
            let (status, body) = request("POST", &target, token, Some(batch.body)).await?;
            match push_answer(status, &body) {
                Ok(_) => store.dequeue(&batch.ids).await.map_err(storage)?,
                Err(Failure::Rejected(r)) => {
                    let ids: Vec<String> = r.iter().map(|x| x.id.clone()).collect();
                    leptos::logging::warn!("the sync server refused {} votes", ids.len());
                    store.dequeue(&ids).await.map_err(storage)?;
                    refused.extend(r);
                    again = true;
                    break;
                }
                Err(f) => return Err(f),
            }
        }
        if !again {
            break;
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Failure::Rejected(refused))
    }
}

/// Pulls every page after the stored cursor into the votes store; returns the votes new here.
async fn pull(store: &IdbStore, url: &str, token: &str) -> Result<usize, Failure> {
    let mut cursor = match store.setting(CURSOR_SETTING).await {
        Ok(Some(v)) => serde_json::from_value::<SyncTarget>(v)
            .ok()
            .filter(|t| t.url == url)
            .map(|t| t.cursor)
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut added = 0;
    loop {
        let target = format!(
            "{}?after={}&limit={PULL_LIMIT}",
            endpoint(url, "/v1/votes"),
            js_sys::encode_uri_component(&cursor)
        );
        let (status, body) = request("GET", &target, token, None).await?;
        let page = pull_answer(status, &body)?;
        if page.unreadable > 0 {
            leptos::logging::warn!(
                "{} unreadable votes from the sync server skipped",
                page.unreadable
            );
        }
        added += store
            .import_votes(&page.votes)
            .await
            .map_err(storage)?
            .added;
        // The cursor is stored after the votes it covers, so a crash between them re-reads a
        // page (harmless duplicates), never skips one.
        cursor = page.next;
        let saved = SyncTarget {
            url: url.to_string(),
            cursor: cursor.clone(),
        };
        store
            .put_setting(
                CURSOR_SETTING,
                &serde_json::to_value(saved).unwrap_or_default(),
            )
            .await
            .map_err(storage)?;
        if !page.has_more {
            return Ok(added);
        }
    }
}

/// Takes the error by value to serve as `map_err(storage)`.
#[allow(clippy::needless_pass_by_value)]
fn storage(e: StoreError) -> Failure {
    Failure::Protocol(format!("storage: {e}"))
}

/// One request with the bearer token and a time limit; any failure to get an answer is
/// `Unreachable`.
async fn request(
    method: &str,
    url: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u16, String), Failure> {
    let offline = || {
        Failure::Unreachable(
            if window().navigator().on_line() {
                "no answer (the server is down, or does not allow this page's origin)"
            } else {
                "this browser is offline"
            }
            .into(),
        )
    };
    let abort = web_sys::AbortController::new().map_err(|_| offline())?;
    let signal = abort.signal();
    let timer = set_timeout_with_handle(
        move || abort.abort(),
        Duration::from_millis(u64::from(REQUEST_TIMEOUT_MS)),
    )
    .ok();
    let builder = match method {
        "POST" => gloo_net::http::Request::post(url),
        _ => gloo_net::http::Request::get(url),
    }
    .header("Authorization", &format!("Bearer {token}"))
    .abort_signal(Some(&signal));
    let sent = match body {
        Some(b) => match builder.header("Content-Type", "application/json").body(b) {
            Ok(r) => r.send().await,
            Err(_) => return Err(Failure::Protocol("could not build the request".into())),
        },
        None => builder.send().await,
    };
    let answer = match sent {
        Ok(r) => {
            let status = r.status();
            r.text().await.map(|t| (status, t)).map_err(|_| offline())
        }
        Err(_) => Err(offline()),
    };
    if let Some(t) = timer {
        t.clear();
    }
    answer
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    crate::browser::random::fill(&mut b);
    u32::from_le_bytes(b)
}

/// A sleep that a kick ends early; a kick while awake makes the next sleep return at once.
#[derive(Default)]
struct Wake {
    waiting: RefCell<Option<oneshot::Sender<()>>>,
    kicked: Cell<bool>,
}

impl Wake {
    fn kick(&self) {
        if !self.wake() {
            self.kicked.set(true);
        }
    }

    /// Ends the sleep in progress; whether there was one.
    fn wake(&self) -> bool {
        let sleeping = self.waiting.borrow_mut().take();
        sleeping.map(|tx| tx.send(())).is_some()
    }

    async fn sleep(self: Rc<Self>, ms: Option<u32>) {
        if self.kicked.replace(false) {
            return;
        }
        let (tx, rx) = oneshot::channel();
        *self.waiting.borrow_mut() = Some(tx);
        let timer = ms.and_then(|ms| {
            let me = self.clone();
            set_timeout_with_handle(
                move || {
                    me.wake();
                },
                Duration::from_millis(u64::from(ms)),
            )
            .ok()
        });
        let _ = rx.await;
        if let Some(t) = timer {
            t.clear();
        }
    }
}
