//! The HTTP layer of `arena serve`: protocol v1 routes, bearer tokens, CORS, size and rate
//! limits, request logs (method, path, status, time; never bodies, queries or tokens).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use arena_core::VoteRecord;
use arena_core::ratings::rows::RatingRows;
use arena_core::ratings::{LeaderboardOptions, compute_leaderboard_rows};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;

use super::Settings;
use super::store::{NewVote, Store};

/// At most this many records per push (DESIGN.md §5).
pub const MAX_VOTES_PER_REQUEST: usize = 1000;
/// At most this many bytes per request body (DESIGN.md §5).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The longest vote id accepted.
const MAX_ID_LEN: usize = 128;
/// The longest short field (model names, judge, question and arena ids, language, each
/// category and flag); conversations may use the rest of the request.
const MAX_FIELD_LEN: usize = 1024;
const DEFAULT_PULL_LIMIT: i64 = 500;
const MAX_PULL_LIMIT: i64 = 1000;

#[derive(Clone)]
struct AppState {
    store: Store,
    write_token: Arc<[u8]>,
    read_token: Option<Arc<[u8]>>,
    limiter: Arc<Limiter>,
    trusted_proxies: Arc<[IpAddr]>,
    /// The last leaderboard served and the highest cursor it covers: votes are never
    /// rewritten and cursors commit in order, so the same highest cursor means the same votes.
    leaderboard: Arc<Mutex<Option<CachedLeaderboard>>>,
}

/// A leaderboard's JSON and the highest cursor of the votes it ranks.
type CachedLeaderboard = (i64, Arc<str>);

/// An error answer: a status and a message, as `{"error": message}`.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

fn db_error(e: &anyhow::Error) -> ApiError {
    tracing::error!(error = %e, "database error");
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "database unavailable".into(),
    )
}

pub fn router(store: Store, s: &Settings) -> Result<Router> {
    let state = AppState {
        store,
        write_token: s.write_token.as_bytes().into(),
        read_token: s.read_token.as_ref().map(|t| t.as_bytes().into()),
        limiter: Arc::new(Limiter::new(s.rate_limit)),
        trusted_proxies: s.trusted_proxies.clone().into(),
        leaderboard: Arc::new(Mutex::new(None)),
    };
    let api = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/votes", get(pull).post(push))
        .route("/v1/leaderboard", get(leaderboard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Handler time includes reading the body, so a client that stalls mid-body gets 408.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            s.request_timeout,
        ))
        // The timeout's own answer has no body; say why, as every other error does.
        .layer(middleware::map_response(timed_out_message(
            s.request_timeout,
        )))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let api = if s.allow_origins.is_empty() {
        api
    } else {
        let origins = s
            .allow_origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim_end_matches('/')))
            .collect::<Result<Vec<_>, _>>()?;
        // No credentials: the API takes bearer tokens, never cookies.
        api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        )
    };
    let app = api.with_state(state);
    let app = match &s.dist {
        Some(dir) => app.fallback_service(ServeDir::new(dir)),
        None => app,
    };
    Ok(app.layer(middleware::from_fn(log_request)))
}

/// Gives the request timeout's 408 a message (`{"error": …}`).
fn timed_out_message(
    limit: std::time::Duration,
) -> impl Fn(Response) -> std::future::Ready<Response> + Clone {
    move |r: Response| {
        std::future::ready(if r.status() == StatusCode::REQUEST_TIMEOUT {
            ApiError(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request took longer than {} s, its body included",
                    limit.as_secs()
                ),
            )
            .into_response()
        } else {
            r
        })
    }
}

async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    // The path only: queries are not logged, and tokens travel in a header that is not either.
    let path = req.uri().path().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let res = next.run(req).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        ms = start.elapsed().as_secs_f64() * 1e3,
        peer = ?peer,
        "request"
    );
    res
}

/// A token bucket per client address.
#[derive(Debug)]
struct Limiter {
    rate: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiter {
    fn new(rate: f64) -> Limiter {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let burst = self.rate * 2.0;
        let mut b = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if b.len() > 100_000 {
            // Forget idle clients so the table cannot grow without bound.
            b.retain(|_, (_, t)| now.duration_since(*t).as_secs() < 60);
        }
        let (tokens, last) = b.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The address a request is rate-limited by: the peer's, or behind a trusted proxy the last
/// `X-Forwarded-For` entry that is not a trusted proxy (entries to its left could be forged
/// by the client; a malformed entry stops the walk at the last address known good).
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let mut ip = peer;
    if !trusted.contains(&peer) {
        return ip;
    }
    let values: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for entry in values.iter().rev().flat_map(|v| v.rsplit(',')) {
        match entry.trim().parse::<IpAddr>() {
            Ok(a) if trusted.contains(&a) => ip = a,
            Ok(a) => return a,
            Err(_) => return ip,
        }
    }
    ip
}

async fn rate_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(c.0.ip(), req.headers(), &st.trusted_proxies));
    if let Some(ip) = ip
        && !st.limiter.allow(ip)
    {
        let mut r =
            ApiError(StatusCode::TOO_MANY_REQUESTS, "too many requests".into()).into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

/// Whether the request carries one of `tokens` as its bearer token (constant-time compare).
fn bearer_is(headers: &HeaderMap, tokens: &[&[u8]]) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    let mut ok = subtle::Choice::from(0);
    for t in tokens {
        ok |= given.ct_eq(t);
    }
    ok.into()
}

fn require_write(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if bearer_is(headers, &[&st.write_token]) {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

fn require_read(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let mut tokens: Vec<&[u8]> = vec![&st.write_token];
    if let Some(r) = &st.read_token {
        tokens.push(r);
    }
    if bearer_is(headers, &tokens) {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

fn unauthorized() -> ApiError {
    ApiError(
        StatusCode::UNAUTHORIZED,
        "missing or wrong bearer token".into(),
    )
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[derive(Debug, Deserialize)]
struct PushBody {
    votes: Vec<serde_json::Value>,
}

/// Checks one pushed record; the error names what is wrong, never echoing the input.
fn check_record(v: serde_json::Value) -> Result<NewVote, (String, String)> {
    let id = v
        .get("id")
        .and_then(serde_json::Value::as_str)
        .map(|s| s.chars().take(MAX_ID_LEN).collect::<String>())
        .unwrap_or_default();
    let record: VoteRecord =
        serde_json::from_value(v).map_err(|e| (id.clone(), format!("bad record: {e}")))?;
    if record.id.is_empty() {
        return Err((id, "a vote needs an id".into()));
    }
    if record.id.len() > MAX_ID_LEN {
        return Err((id, format!("the id is longer than {MAX_ID_LEN} bytes")));
    }
    if record.id.chars().any(char::is_control) {
        return Err((id, "the id has control characters".into()));
    }
    let short = [
        ("model_a", &record.model_a),
        ("model_b", &record.model_b),
        ("judge", &record.judge),
        ("question_id", &record.question_id),
        ("arena_id", &record.arena_id),
        ("language", &record.language),
        ("app_version", &record.app_version),
    ];
    for (name, value) in short {
        if value.len() > MAX_FIELD_LEN {
            return Err((id, format!("{name} is longer than {MAX_FIELD_LEN} bytes")));
        }
    }
    if record
        .categories
        .iter()
        .chain(&record.flags)
        .any(|c| c.len() > MAX_FIELD_LEN)
    {
        return Err((
            id,
            format!("a category or flag is longer than {MAX_FIELD_LEN} bytes"),
        ));
    }
    let body = serde_json::to_string(&record).map_err(|e| (id.clone(), e.to_string()))?;
    Ok(NewVote {
        id: record.id,
        body,
    })
}

/// `POST /v1/votes`. A batch is stored whole or not at all: one bad record rejects the request
/// with 400 and lists every bad record, so `rejected` of a 200 answer is always empty.
async fn push(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_write(&st, &headers)?;
    let body = body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(status, format!("the body is over {MAX_BODY_BYTES} bytes"))
        } else {
            ApiError(status, e.body_text())
        }
    })?;
    let parsed: PushBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))?;
    if parsed.votes.len() > MAX_VOTES_PER_REQUEST {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_VOTES_PER_REQUEST} votes per request"),
        ));
    }
    let mut good = Vec::with_capacity(parsed.votes.len());
    let mut rejected = Vec::new();
    for v in parsed.votes {
        match check_record(v) {
            Ok(n) => good.push(n),
            Err((id, error)) => rejected.push(serde_json::json!({ "id": id, "error": error })),
        }
    }
    if !rejected.is_empty() {
        let n = rejected.len();
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({
                "error": format!("{n} bad records; nothing was stored"),
                "rejected": rejected,
            })),
        )
            .into_response());
    }
    let done = st.store.insert(&good).await.map_err(|e| db_error(&e))?;
    Ok(Json(serde_json::json!({
        "accepted": done.accepted,
        "duplicate": done.duplicate,
        "rejected": [],
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct PullQuery {
    after: Option<String>,
    limit: Option<i64>,
}

/// `GET /v1/votes?after=CURSOR&limit=N`.
async fn pull(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    require_read(&st, &headers)?;
    let Query(q) = q.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError(StatusCode::BAD_REQUEST, "bad cursor".into()))?,
    };
    let limit = q.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1 to {MAX_PULL_LIMIT}"),
        ));
    }
    let mut rows = st
        .store
        .page(after, limit + 1)
        .await
        .map_err(|e| db_error(&e))?;
    let limit = usize::try_from(limit).unwrap_or(0);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = rows.last().map_or(after, |r| r.0);
    // Bodies are stored as JSON written by this server, so they are spliced in as they are.
    let mut out = String::with_capacity(rows.iter().map(|r| r.1.len() + 1).sum::<usize>() + 64);
    out.push_str("{\"votes\":[");
    for (i, (_, body)) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(body);
    }
    let _ = write!(out, "],\"next\":\"{next}\",\"has_more\":{has_more}}}");
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(out),
    )
        .into_response())
}

/// `GET /v1/leaderboard`: the same computation, options and JSON as
/// `arena leaderboard --format json` on the stored votes.
async fn leaderboard(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    require_read(&st, &headers)?;
    let last = st.store.last_seq().await.map_err(|e| db_error(&e))?;
    let cached = st
        .leaderboard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if let Some((seq, text)) = cached
        && seq == last
    {
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            text.to_string(),
        )
            .into_response());
    }
    // Each stored vote becomes a rating row as it is decoded (no record is kept).
    let mut records = RatingRows::new(false);
    let mut after = 0;
    while after < last {
        let rows = st
            .store
            .page(after, 10_000)
            .await
            .map_err(|e| db_error(&e))?;
        let Some(end) = rows.last() else { break };
        after = end.0;
        for (seq, body) in rows {
            if seq > last {
                break;
            }
            let r: VoteRecord = serde_json::from_str(&body).map_err(|e| {
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("stored vote: {e}"),
                )
            })?;
            records.push_record(&r);
        }
    }
    let text = tokio::task::spawn_blocking(move || {
        compute_leaderboard_rows(&records, &LeaderboardOptions::default())
            .map(|lb| crate::output::json(&lb))
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let text: Arc<str> = text.into();
    *st.leaderboard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((last, text.clone()));
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        text.to_string(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1"), ip("10.0.0.2")];
        let peer = ip("10.0.0.1");
        // Not trusted: the header is the client's word and is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff(&["198.51.100.7"]), &proxy),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(peer, &xff(&["198.51.100.7"]), &[]), peer);
        // Trusted: the last entry that is not a proxy; a forged left part does not count.
        assert_eq!(
            client_ip(peer, &xff(&["1.2.3.4, 198.51.100.7"]), &proxy),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(peer, &xff(&["198.51.100.7, 10.0.0.2"]), &proxy),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(peer, &xff(&["1.2.3.4", "2001:db8::1"]), &proxy),
            ip("2001:db8::1")
        );
        // No header, or garbage: the last address known good.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &proxy), peer);
        assert_eq!(client_ip(peer, &xff(&["1.2.3.4, nonsense"]), &proxy), peer);
        assert_eq!(
            client_ip(peer, &xff(&["junk, 10.0.0.2"]), &proxy),
            ip("10.0.0.2")
        );
    }
}
