//! The client side of sync protocol v1 (DESIGN.md §5), without I/O: what a push sends, how
//! the server's answers are read, what a failure means for the queue, and how long to wait
//! before trying again. The browser adapter (`src/state/sync.rs`) only moves bytes.
//!
//! Votes are immutable and keyed by id, so syncing is two one-way streams: the votes cast in
//! this browser go up (a resend is a harmless `duplicate`), every vote the server holds comes
//! down by cursor (a vote already stored is a harmless duplicate of the import).

use serde::{Deserialize, Serialize};

use crate::VoteRecord;

/// Votes per push: half the server's limit of 1,000, so a batch is quick to resend.
pub const PUSH_VOTES: usize = 500;
/// Bytes per push body: half the server's 8 MiB limit.
pub const PUSH_BYTES: usize = 4 * 1024 * 1024;
/// Votes per pull page (the server's maximum).
pub const PULL_LIMIT: usize = 1000;
/// The longest a pull or push may take before it counts as a network failure.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;
/// How often a synced client asks for new votes when nothing else wakes it.
pub const POLL_MS: u32 = 15_000;

/// Where a client syncs: the server's base URL and how far it has read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncTarget {
    /// Base URL as the judge or the config gave it, normalised by [`normalise_url`].
    pub url: String,
    /// The server's opaque cursor after the last page stored here; empty before the first.
    #[serde(default)]
    pub cursor: String,
}

/// Checks and normalises a server base URL: `http` or `https`, no credentials, no query or
/// fragment (a token belongs in the `Authorization` header, never in a URL), no trailing `/`.
pub fn normalise_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        r
    } else {
        return Err("the sync server's address must start with http:// or https://".into());
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err("the sync server's address has no host".into());
    }
    if authority.contains('@') {
        return Err(
            "the sync server's address must not hold a user name or password; \
             put the token in the token field"
                .into(),
        );
    }
    if url.contains('?') || url.contains('#') {
        return Err(
            "the sync server's address must not have a query or fragment; \
             put the token in the token field"
                .into(),
        );
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `base` joined with an API path such as `/v1/votes`.
pub fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// The record as it is pushed: without its conversations unless the arena's config says to
/// send them (`sync_conversations`).
pub fn outgoing(vote: &VoteRecord, conversations: bool) -> VoteRecord {
    let mut v = vote.clone();
    if !conversations {
        v.conversation_a.clear();
        v.conversation_b.clear();
    }
    v
}

/// One push request: the body and the ids it carries, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushBatch {
    pub ids: Vec<String>,
    pub body: String,
}

/// Splits votes into push bodies of at most [`PUSH_VOTES`] records and [`PUSH_BYTES`] bytes.
/// A vote whose conversations alone would break the byte limit is sent without them: the vote
/// itself still counts, and the server would refuse it whole.
pub fn push_batches(votes: &[VoteRecord], conversations: bool) -> Vec<PushBatch> {
    const OPEN: &str = "{\"votes\":[";
    const CLOSE: &str = "]}";
    let mut out = Vec::new();
    let mut ids = Vec::new();
    let mut body = String::from(OPEN);
    for vote in votes {
        let mut json = encode(&outgoing(vote, conversations));
        if json.len() + OPEN.len() + CLOSE.len() > PUSH_BYTES {
            json = encode(&outgoing(vote, false));
        }
        let full =
            ids.len() == PUSH_VOTES || body.len() + json.len() + 1 + CLOSE.len() > PUSH_BYTES;
        if full && !ids.is_empty() {
            body.push_str(CLOSE);
            out.push(PushBatch {
                ids: std::mem::take(&mut ids),
                body: std::mem::replace(&mut body, String::from(OPEN)),
            });
        }
        if !ids.is_empty() {
            body.push(',');
        }
        body.push_str(&json);
        ids.push(vote.id.clone());
    }
    if !ids.is_empty() {
        body.push_str(CLOSE);
        out.push(PushBatch { ids, body });
    }
    out
}

fn encode(v: &VoteRecord) -> String {
    // A `VoteRecord` is plain data: serialising it cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// A record the server refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rejected {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub error: String,
}

/// The server's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PushAnswer {
    pub accepted: usize,
    pub duplicate: usize,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
}

/// A page of pulled votes, each already checked as a [`VoteRecord`].
#[derive(Debug, Clone, PartialEq)]
pub struct PullPage {
    pub votes: Vec<VoteRecord>,
    /// Records on the page that were not valid votes; skipped, never stored.
    pub unreadable: usize,
    pub next: String,
    pub has_more: bool,
}

#[derive(Deserialize)]
struct RawPull {
    votes: Vec<serde_json::Value>,
    next: String,
    has_more: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

/// Why a request did not do its job, and so what the queue does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer at all (offline, server down, or CORS not allowing this page): retry later.
    Unreachable(String),
    /// A transient refusal (408, 429, 5xx): retry with backoff.
    Busy(String),
    /// 401 or 403: the token is wrong or may not do this. Nothing is retried until the judge
    /// changes the settings.
    Token(String),
    /// 400 naming bad records: those are taken out of the queue (they can never be accepted),
    /// the rest are sent again at once.
    Rejected(Vec<Rejected>),
    /// Any other refusal or an answer that is not protocol v1: retried with backoff, shown.
    Protocol(String),
}

impl Failure {
    /// Whether the client should try again on its own (after a backoff delay).
    pub fn retries(&self) -> bool {
        !matches!(self, Failure::Token(_))
    }

    /// The sentence shown to the judge.
    pub fn reason(&self) -> String {
        match self {
            Failure::Unreachable(m) => format!("server unreachable: {m}"),
            Failure::Busy(m) => format!("server busy: {m}"),
            Failure::Token(m) => format!("token refused: {m}"),
            Failure::Rejected(r) => format!("{} votes refused by the server", r.len()),
            Failure::Protocol(m) => m.clone(),
        }
    }
}

fn message(body: &str) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error)
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "no message".into())
}

/// The failure an HTTP status other than 200 stands for.
fn refusal(status: u16, body: &str) -> Failure {
    let m = format!("HTTP {status}: {}", message(body));
    match status {
        401 | 403 => Failure::Token(m),
        408 | 429 | 500..=599 => Failure::Busy(m),
        _ => Failure::Protocol(m),
    }
}

/// Reads the answer to a push.
pub fn push_answer(status: u16, body: &str) -> Result<PushAnswer, Failure> {
    if status == 400
        && let Ok(b) = serde_json::from_str::<ErrorBody>(body)
        && !b.rejected.is_empty()
    {
        return Err(Failure::Rejected(b.rejected));
    }
    if status != 200 {
        return Err(refusal(status, body));
    }
    serde_json::from_str(body)
        .map_err(|e| Failure::Protocol(format!("the server's push answer is not protocol v1: {e}")))
}

/// Reads the answer to a pull. A record that is not a valid vote is counted and skipped, so one
/// bad record on the server never stops a client from reading the rest.
pub fn pull_answer(status: u16, body: &str) -> Result<PullPage, Failure> {
    if status != 200 {
        return Err(refusal(status, body));
    }
    let raw: RawPull = serde_json::from_str(body).map_err(|e| {
        Failure::Protocol(format!("the server's pull answer is not protocol v1: {e}"))
    })?;
    let mut votes = Vec::with_capacity(raw.votes.len());
    let mut unreadable = 0;
    for v in raw.votes {
        match serde_json::from_value::<VoteRecord>(v) {
            Ok(r) if !r.id.is_empty() => votes.push(r),
            _ => unreadable += 1,
        }
    }
    Ok(PullPage {
        votes,
        unreadable,
        next: raw.next,
        has_more: raw.has_more,
    })
}

/// Exponential backoff with jitter: the n-th consecutive failure waits between half and all of
/// `min(MAX, BASE · 2ⁿ)`, so clients that failed together do not retry together, and never
/// less than half the step, so a flapping server is not hammered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub const BASE_MS: u32 = 1_000;
    pub const MAX_MS: u32 = 60_000;

    /// The delay before the next try after one more failure; `random` is any uniform `u32`.
    pub fn fail(&mut self, random: u32) -> u32 {
        let step = Self::BASE_MS
            .saturating_mul(1u32 << self.failures.min(16))
            .min(Self::MAX_MS);
        self.failures = self.failures.saturating_add(1);
        let half = step / 2;
        half + random % (step - half + 1)
    }

    /// Back to the first step after a success (or when the judge asks to sync now).
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(self) -> u32 {
        self.failures
    }
}

/// What the `sync-status` indicator says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    /// No server set: the indicator is not shown.
    Off,
    /// A request is in flight.
    Syncing { pending: usize },
    /// Everything cast here is on the server and the last pull found nothing new.
    Synced,
    /// Votes waiting to be sent (between tries).
    Pending { pending: usize },
    /// The server could not be reached; votes wait in the queue.
    Offline { pending: usize },
    /// The server refused: the reason, and the votes still waiting.
    Error { reason: String, pending: usize },
}

impl SyncStatus {
    /// A short machine-readable state, for `data-state`.
    pub fn state(&self) -> &'static str {
        match self {
            SyncStatus::Off => "off",
            SyncStatus::Syncing { .. } => "syncing",
            SyncStatus::Synced => "synced",
            SyncStatus::Pending { .. } => "pending",
            SyncStatus::Offline { .. } => "offline",
            SyncStatus::Error { .. } => "error",
        }
    }

    /// Votes cast here and not yet acknowledged by the server.
    pub fn pending(&self) -> usize {
        match self {
            SyncStatus::Off | SyncStatus::Synced => 0,
            SyncStatus::Syncing { pending }
            | SyncStatus::Pending { pending }
            | SyncStatus::Offline { pending }
            | SyncStatus::Error { pending, .. } => *pending,
        }
    }

    /// The indicator's words.
    pub fn label(&self) -> String {
        let pending = self.pending();
        match self {
            SyncStatus::Off => "Not syncing".into(),
            SyncStatus::Syncing { .. } => "Syncing…".into(),
            SyncStatus::Synced => "Synced".into(),
            SyncStatus::Pending { .. } => format!("Pending {pending}"),
            SyncStatus::Offline { .. } if pending > 0 => format!("Offline · {pending} pending"),
            SyncStatus::Offline { .. } => "Offline".into(),
            SyncStatus::Error { reason, .. } => format!("Sync error: {reason}"),
        }
    }

    /// The indicator's words where space is short (a phone's header): the state and the count.
    pub fn short_label(&self) -> String {
        let pending = self.pending();
        match self {
            SyncStatus::Error { .. } => "Sync error".into(),
            SyncStatus::Offline { .. } if pending > 0 => format!("Offline · {pending}"),
            _ => self.label(),
        }
    }

    /// The status after a round in which `failure` happened (or none), with `pending` votes
    /// still queued.
    pub fn after(failure: Option<&Failure>, pending: usize) -> SyncStatus {
        match failure {
            None if pending == 0 => SyncStatus::Synced,
            None => SyncStatus::Pending { pending },
            Some(Failure::Unreachable(_)) => SyncStatus::Offline { pending },
            Some(f) => SyncStatus::Error {
                reason: f.reason(),
                pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Message, Winner};

    fn vote(id: &str, text: &str) -> VoteRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "model_a": "a", "model_b": "b", "winner": "model_a", "judge": "judge-1",
            "tstamp": 1.0,
            "conversation_a": [Message::user("q"), Message::assistant(text)],
            "conversation_b": [Message::user("q"), Message::assistant("other")],
        }))
        .unwrap()
    }

    #[test]
    fn urls_are_checked_and_never_carry_credentials() {
        assert_eq!(
            normalise_url(" https://votes.example/ ").unwrap(),
            "https://votes.example"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:8787/arena/").unwrap(),
            "http://127.0.0.1:8787/arena"
        );
        for bad in [
            "ftp://x",
            "votes.example",
            "https://",
            "https://u:p@x",
            "https://x/?token=1",
            "https://x/#t",
        ] {
            assert!(normalise_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            endpoint("http://h:1/base/", "/v1/votes"),
            "http://h:1/base/v1/votes"
        );
    }

    #[test]
    fn conversations_go_only_when_the_config_says_so() {
        let v = vote("v1", "answer");
        let bare = outgoing(&v, false);
        assert!(bare.conversation_a.is_empty() && bare.conversation_b.is_empty());
        assert_eq!(
            (bare.id.as_str(), bare.winner, bare.judge.as_str()),
            ("v1", Winner::ModelA, "judge-1")
        );
        assert_eq!(outgoing(&v, true), v);
    }

    #[test]
    fn batches_respect_both_limits_and_keep_every_vote_once_in_order() {
        let votes: Vec<_> = (0..1234).map(|i| vote(&format!("v{i}"), "short")).collect();
        let batches = push_batches(&votes, true);
        assert_eq!(
            batches.iter().map(|b| b.ids.len()).collect::<Vec<_>>(),
            [500, 500, 234]
        );
        let mut seen = Vec::new();
        for b in &batches {
            #[derive(Deserialize)]
            struct Body {
                votes: Vec<VoteRecord>,
            }
            let body: Body = serde_json::from_str(&b.body).unwrap();
            assert_eq!(
                body.votes.iter().map(|v| v.id.clone()).collect::<Vec<_>>(),
                b.ids
            );
            assert!(b.body.len() <= PUSH_BYTES);
            seen.extend(b.ids.clone());
        }
        assert_eq!(seen, votes.iter().map(|v| v.id.clone()).collect::<Vec<_>>());

        // 1 MiB answers: four do not fit one body; a 5 MiB answer goes without conversations.
        let big = "x".repeat(1 << 20);
        let mut votes: Vec<_> = (0..6).map(|i| vote(&format!("b{i}"), &big)).collect();
        votes.push(vote("huge", &"y".repeat(5 << 20)));
        let batches = push_batches(&votes, true);
        assert!(batches.iter().all(|b| b.body.len() <= PUSH_BYTES));
        assert_eq!(batches.iter().map(|b| b.ids.len()).sum::<usize>(), 7);
        assert!(batches.len() >= 2);
        let last: serde_json::Value = serde_json::from_str(&batches.last().unwrap().body).unwrap();
        let huge = last["votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == "huge")
            .unwrap();
        assert_eq!(huge["conversation_a"].as_array().map_or(0, Vec::len), 0);
        assert!(push_batches(&[], true).is_empty());
    }

    #[test]
    fn answers_map_to_what_the_queue_does() {
        let ok = push_answer(200, r#"{"accepted":2,"duplicate":1,"rejected":[]}"#).unwrap();
        assert_eq!((ok.accepted, ok.duplicate), (2, 1));
        let bad = r#"{"error":"1 bad records; nothing was stored","rejected":[{"id":"v9","error":"bad record: unknown variant"}]}"#;
        match push_answer(400, bad) {
            Err(Failure::Rejected(r)) => assert_eq!(r[0].id, "v9"),
            other => panic!("{other:?}"),
        }
        let token = push_answer(401, r#"{"error":"missing or wrong bearer token"}"#).unwrap_err();
        assert!(!token.retries());
        assert_eq!(
            token.reason(),
            "token refused: HTTP 401: missing or wrong bearer token"
        );
        for s in [408, 429, 500, 503] {
            assert!(matches!(push_answer(s, ""), Err(Failure::Busy(_))), "{s}");
        }
        assert!(
            matches!(push_answer(413, "{\"error\":\"too big\"}"), Err(Failure::Protocol(m)) if m.contains("413") && m.contains("too big"))
        );
        assert!(matches!(
            push_answer(200, "<html>"),
            Err(Failure::Protocol(_))
        ));
        assert!(matches!(
            push_answer(400, r#"{"error":"bad JSON body"}"#),
            Err(Failure::Protocol(_))
        ));
    }

    #[test]
    fn a_pull_page_keeps_good_votes_and_counts_bad_ones() {
        let good = serde_json::to_string(&vote("p1", "a")).unwrap();
        let body = format!(
            r#"{{"votes":[{good},{{"id":"p2","winner":"nobody"}},{{"model_a":"x"}}],"next":"41","has_more":true}}"#
        );
        let page = pull_answer(200, &body).unwrap();
        assert_eq!(page.votes.len(), 1);
        assert_eq!(page.votes[0], vote("p1", "a"));
        assert_eq!(
            (page.unreadable, page.next.as_str(), page.has_more),
            (2, "41", true)
        );
        assert!(matches!(
            pull_answer(200, r#"{"votes":[]}"#),
            Err(Failure::Protocol(_))
        ));
        assert!(matches!(pull_answer(401, ""), Err(Failure::Token(_))));
    }

    #[test]
    fn backoff_grows_with_jitter_is_capped_and_resets() {
        let mut b = Backoff::default();
        let lows: Vec<u32> = (0..8).map(|_| b.fail(0)).collect();
        assert_eq!(lows, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        let mut b = Backoff::default();
        let highs: Vec<u32> = (0..8).map(|_| b.fail(u32::MAX - 1)).collect();
        for (lo, hi) in lows.iter().zip(&highs) {
            assert!(hi >= lo && *hi <= lo * 2, "{lo} {hi}");
        }
        let mut b = Backoff::default();
        for _ in 0..100 {
            assert!(b.fail(u32::MAX) <= Backoff::MAX_MS);
        }
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.fail(0), 500);
        // Jitter spreads clients that failed at once.
        let spread: std::collections::HashSet<u32> = (0..50u32)
            .map(|r| Backoff { failures: 3 }.fail(r.wrapping_mul(2_654_435_761)))
            .collect();
        assert!(spread.len() > 40);
    }

    #[test]
    fn the_indicator_says_what_happened() {
        assert_eq!(SyncStatus::after(None, 0), SyncStatus::Synced);
        assert_eq!(SyncStatus::after(None, 3).label(), "Pending 3");
        let off = SyncStatus::after(Some(&Failure::Unreachable("Failed to fetch".into())), 2);
        assert_eq!(
            (off.state(), off.label().as_str()),
            ("offline", "Offline · 2 pending")
        );
        let e = SyncStatus::after(Some(&Failure::Token("HTTP 401: wrong".into())), 1);
        assert_eq!(e.state(), "error");
        assert_eq!(e.label(), "Sync error: token refused: HTTP 401: wrong");
        assert_eq!(e.short_label(), "Sync error");
        assert_eq!(off.short_label(), "Offline · 2");
        assert_eq!(SyncStatus::Synced.short_label(), "Synced");
        assert_eq!(e.pending(), 1);
    }
}
