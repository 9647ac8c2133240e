//! A loopback server that imitates LLM providers closely enough to test Arena's clients.
//!
//! Each provider lives under its own prefix: the base URL to configure is
//! `http://ADDR/{flavor}{api_root}` (see [`Running::base_url`]), e.g.
//! `http://127.0.0.1:PORT/openrouter/api/v1` or `http://127.0.0.1:PORT/anthropic`. The model
//! name scripts the behaviour (see [`behaviour::Behaviour`]): `echo`, `slow-50`, `stall`,
//! `pause-3`, `midstream-error`, `rate-limit-3`, `bad-key`, `context-too-long`, `overloaded`,
//! `split`, `keepalive`, `reasoning`, `length`, `tokens-N`, joined with `+`.
//!
//! Control endpoints: `GET /__log` (every request seen, including preflights, with whether a
//! stream completed or the client went away mid-stream), `GET /__wait` (until a stream
//! reaches a state: held, aborted, ended), `POST /__release/<id>` (lets a stream held at a
//! `pause-N` go on), `POST /__reset`, `GET /__health`. With `pause-N` and `/__wait`, a test
//! synchronises with the stream instead of sampling it: it knows exactly what was sent while
//! the server holds the rest.
//!
//! **Architecture Invariant:** the server binds only to loopback addresses, and every stream
//! it holds open ends by itself after [`Config::max_stall`].

pub mod behaviour;
pub mod flavor;
pub mod wire;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::behaviour::Behaviour;
use crate::flavor::{Cors, FLAVORS, Flavor, Wire};
use crate::wire::{Ask, End, Refusal, Script};

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The one key every keyed route accepts.
    pub key: String,
    /// Origins the `ollama` route accepts (`OLLAMA_ORIGINS`).
    pub ollama_origins: Vec<String>,
    /// Tokens per second for a bare `slow`.
    pub default_tps: f64,
    /// Longest a `stall` holds a connection open.
    pub max_stall: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            key: "test-key".to_owned(),
            ollama_origins: flavor::default_ollama_origins(),
            default_tps: 20.0,
            max_stall: Duration::from_secs(120),
        }
    }
}

/// One request the server saw.
#[allow(clippy::struct_excessive_bools)] // independent facts about one request
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub id: u64,
    pub flavor: String,
    pub method: String,
    pub path: String,
    pub model: Option<String>,
    pub origin: Option<String>,
    /// Request header names, lower-case and sorted (values are never logged). For a
    /// preflight, the names in `Access-Control-Request-Headers`.
    pub header_names: Vec<String>,
    /// Whether a key came in the URL (`?key=`), which Arena must never do.
    pub key_in_url: bool,
    pub status: u16,
    pub stream: bool,
    pub tokens_sent: u64,
    /// Body writes handed to the connection: one per frame, or with `split` one per 1–3 byte
    /// piece (however the client's reads then group them).
    pub writes: u64,
    /// The whole stream was handed to the connection.
    pub completed: bool,
    /// The client went away before the stream ended.
    pub aborted: bool,
    /// The server holds the stream open and sends no more of the answer for now: at a
    /// `pause-N` until released, or in a `stall` (which may still send keep-alives).
    /// Everything before that point was handed to the connection.
    pub held: bool,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
}

#[derive(Debug)]
struct App {
    config: Config,
    log: Mutex<Vec<LogEntry>>,
    seq: AtomicU64,
    started: Instant,
    /// Bumped on every change to the log, so waiters look again.
    changes: watch::Sender<u64>,
    /// Streams held at a `pause-N`, by log id: sending lets the stream go on.
    holds: Mutex<HashMap<u64, oneshot::Sender<()>>>,
}

impl App {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn record(&self, mut entry: LogEntry) -> u64 {
        let id = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        entry.id = id;
        entry.started_ms = self.now_ms();
        tracing::debug!(id, flavor = %entry.flavor, path = %entry.path, status = entry.status, "request");
        self.log.lock().expect("log lock").push(entry);
        self.changed();
        id
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut LogEntry)) {
        let now = self.now_ms();
        let mut log = self.log.lock().expect("log lock");
        if let Some(e) = log.iter_mut().find(|e| e.id == id) {
            f(e);
            if e.completed || e.aborted {
                e.ended_ms.get_or_insert(now);
            }
        }
        drop(log);
        self.changed();
    }

    /// The first log entry (oldest first) that `pred` accepts, as soon as there is one.
    async fn wait_for(&self, pred: impl Fn(&LogEntry) -> bool) -> LogEntry {
        // Subscribe before looking, so a change between the look and the wait is not lost.
        let mut changes = self.changes.subscribe();
        loop {
            if let Some(e) = self.log.lock().expect("log lock").iter().find(|e| pred(e)) {
                return e.clone();
            }
            // The sender lives as long as `self`, so this never fails while we wait.
            let _ = changes.changed().await;
        }
    }

    /// Lets stream `id` go on from its pause; false if it is not held at one.
    fn release(&self, id: u64) -> bool {
        let Some(go) = self.holds.lock().expect("holds lock").remove(&id) else {
            return false;
        };
        // Not held any more from now on, so a wait for its next pause cannot see this one.
        self.update(id, |e| e.held = false);
        let _ = go.send(());
        true
    }

    /// Lets every paused stream go on; how many there were.
    fn release_all(&self) -> usize {
        let ids: Vec<u64> = self
            .holds
            .lock()
            .expect("holds lock")
            .keys()
            .copied()
            .collect();
        ids.into_iter().filter(|&id| self.release(id)).count()
    }
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    app: Arc<App>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL to give a client for a flavor, e.g. `base_url("gemini")`.
    ///
    /// # Panics
    /// On an unknown flavor id.
    pub fn base_url(&self, flavor: &str) -> String {
        let f = Flavor::by_id(flavor).unwrap_or_else(|| panic!("no flavor {flavor}"));
        format!("{}/{}{}", self.url(), f.id, f.api_root)
    }

    /// A copy of the request log.
    ///
    /// # Panics
    /// If a server task panicked while holding the log.
    pub fn log(&self) -> Vec<LogEntry> {
        self.app.log.lock().expect("log lock").clone()
    }

    /// Waits until the log holds an entry `pred` accepts (e.g. a stream that is `held` or
    /// `aborted`) and returns it; no polling, no time limit (wrap it in one).
    pub async fn wait_for(&self, pred: impl Fn(&LogEntry) -> bool) -> LogEntry {
        self.app.wait_for(pred).await
    }

    /// Lets stream `id` go on from the `pause-N` it is held at; false if it is not held at one.
    pub fn release(&self, id: u64) -> bool {
        self.app.release(id)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (loopback only) and serves on the current tokio runtime.
pub async fn spawn(addr: SocketAddr, config: Config) -> anyhow::Result<Running> {
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "arena-testserver binds only to loopback addresses, not {addr}"
    );
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = Arc::new(App {
        config,
        log: Mutex::new(Vec::new()),
        seq: AtomicU64::new(0),
        started: Instant::now(),
        changes: watch::Sender::new(0),
        holds: Mutex::new(HashMap::new()),
    });
    let router = Router::new().fallback(handle).with_state(app.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, app, task })
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn json_response(status: u16, headers: &[(&'static str, String)], body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (n, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(*n, v);
        }
    }
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

/// Headers a CORS-enabled provider adds to real responses.
fn add_cors(flavor: &Flavor, origin: Option<&str>, r: &mut Response) {
    if flavor.cors == Cors::Off {
        return;
    }
    let h = r.headers_mut();
    let allow = origin.unwrap_or("*");
    if let Ok(v) = HeaderValue::from_str(allow) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, retry-after-ms, x-request-id"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
}

fn preflight(app: &App, flavor: &Flavor, path: &str, headers: &HeaderMap) -> Response {
    let origin = header_str(headers, "origin");
    let mut asked: Vec<String> = header_str(headers, "access-control-request-headers")
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    asked.sort();
    let refused = match flavor.cors {
        Cors::AllowAny | Cors::Off => false,
        Cors::OnlyHeaders(allowed) => asked.iter().any(|h| !allowed.contains(&h.as_str())),
        Cors::OllamaOrigins | Cors::OllamaNoOrigins => {
            !flavor.origin_allowed(origin, &app.config.ollama_origins)
        }
    };
    let status = if refused { 403 } else { 204 };
    app.record(LogEntry {
        id: 0,
        flavor: flavor.id.to_owned(),
        method: "OPTIONS".to_owned(),
        path: path.to_owned(),
        model: None,
        origin: origin.map(str::to_owned),
        header_names: asked.clone(),
        key_in_url: false,
        status,
        stream: false,
        tokens_sent: 0,
        writes: 0,
        completed: true,
        aborted: false,
        held: false,
        started_ms: 0,
        ended_ms: None,
    });
    if refused {
        return plain(StatusCode::FORBIDDEN, "CORS preflight refused");
    }
    let mut r = plain(StatusCode::NO_CONTENT, "");
    if flavor.cors == Cors::Off {
        return r;
    }
    let allow_headers = match flavor.cors {
        Cors::OnlyHeaders(allowed) => allowed.join(", "),
        _ => asked.join(", "),
    };
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_str(origin.unwrap_or("*")).unwrap_or(HeaderValue::from_static("*")),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    if let Ok(v) = HeaderValue::from_str(&allow_headers) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    r
}

/// Which API call a path is, after the flavor's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Chat,
    Models,
    /// Gemini: the model is in the path; `stream` for `:streamGenerateContent`.
    GeminiGenerate {
        model: String,
        stream: bool,
    },
}

fn resolve(path: &str) -> Option<(&'static Flavor, Wire, Call)> {
    let rest = path.strip_prefix('/')?;
    let (id, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let flavor = Flavor::by_id(id)?;
    let rest = format!("/{rest}");
    let rest = rest.strip_prefix(flavor.api_root)?;
    let found = match (flavor.wire, rest) {
        (Wire::OpenAi, "/chat/completions") | (Wire::Ollama, "/v1/chat/completions") => {
            (Wire::OpenAi, Call::Chat)
        }
        (Wire::OpenAi, "/models") | (Wire::Ollama, "/v1/models") => (Wire::OpenAi, Call::Models),
        (Wire::Anthropic, "/v1/messages") => (Wire::Anthropic, Call::Chat),
        (Wire::Anthropic, "/v1/models") => (Wire::Anthropic, Call::Models),
        (Wire::Gemini, "/models") => (Wire::Gemini, Call::Models),
        (Wire::Gemini, r) => {
            let spec = r.strip_prefix("/models/")?;
            let (model, verb) = spec.rsplit_once(':')?;
            let stream = match verb {
                "streamGenerateContent" => true,
                "generateContent" => false,
                _ => return None,
            };
            (
                Wire::Gemini,
                Call::GeminiGenerate {
                    model: percent_decode(model),
                    stream,
                },
            )
        }
        (Wire::Ollama, "/api/chat") => (Wire::Ollama, Call::Chat),
        (Wire::Ollama, "/api/tags") => (Wire::Ollama, Call::Models),
        _ => return None,
    };
    Some((flavor, found.0, found.1))
}

/// Decodes `%XX` escapes in a path segment (invalid ones stay as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The key a request carried, by the provider's rules, and whether it came in the URL.
fn presented_key<'a>(
    wire: Wire,
    headers: &'a HeaderMap,
    query: &'a str,
) -> (Option<&'a str>, bool) {
    match wire {
        Wire::OpenAi | Wire::Ollama => (
            header_str(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")),
            false,
        ),
        Wire::Anthropic => (header_str(headers, "x-api-key"), false),
        Wire::Gemini => {
            if let Some(k) = header_str(headers, "x-goog-api-key") {
                return (Some(k), false);
            }
            let from_url = query.split('&').find_map(|kv| kv.strip_prefix("key="));
            (from_url, from_url.is_some())
        }
    }
}

fn last_user_text(wire: Wire, body: &Value) -> String {
    let last = |items: Option<&Vec<Value>>, role: &str| -> Option<Value> {
        items?
            .iter()
            .rev()
            .find(|m| m.get("role").and_then(Value::as_str) == Some(role))
            .cloned()
    };
    match wire {
        Wire::Gemini => last(body.get("contents").and_then(Value::as_array), "user")
            .and_then(|m| m.get("parts")?.as_array().cloned())
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<String>()
            })
            .unwrap_or_default(),
        _ => last(body.get("messages").and_then(Value::as_array), "user")
            .and_then(|m| match m.get("content")? {
                Value::String(s) => Some(s.clone()),
                Value::Array(blocks) => Some(
                    blocks
                        .iter()
                        .filter_map(|b| b.get("text").and_then(Value::as_str))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default(),
    }
}

/// Fields the strict (Mistral-like) schema accepts.
const STRICT_FIELDS: &[&str] = &[
    "model",
    "messages",
    "stream",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "random_seed",
    "response_format",
    "tools",
    "tool_choice",
    "presence_penalty",
    "frequency_penalty",
    "n",
    "safe_prompt",
];

#[allow(clippy::too_many_lines)]
async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let headers = parts.headers;

    if let Some(control) = path.strip_prefix("/__") {
        return control_endpoint(&app, &parts.method, control, &query).await;
    }
    let Some((flavor, wire, call)) = resolve(&path) else {
        return plain(StatusCode::NOT_FOUND, "no such route on arena-testserver");
    };
    if parts.method == Method::OPTIONS {
        return preflight(&app, flavor, &path, &headers);
    }
    let origin = header_str(&headers, "origin").map(str::to_owned);
    let mut entry = LogEntry {
        id: 0,
        flavor: flavor.id.to_owned(),
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        model: None,
        origin: origin.clone(),
        header_names: {
            let mut v: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
            v.sort();
            v
        },
        key_in_url: false,
        status: 200,
        stream: false,
        tokens_sent: 0,
        writes: 0,
        completed: true,
        aborted: false,
        held: false,
        started_ms: 0,
        ended_ms: None,
    };
    // Ollama refuses origins outside OLLAMA_ORIGINS outright.
    if !flavor.origin_allowed(origin.as_deref(), &app.config.ollama_origins) {
        entry.status = 403;
        app.record(entry);
        return plain(StatusCode::FORBIDDEN, "");
    }
    let refuse = |app: &App, mut entry: LogEntry, r: Refusal| {
        let (status, extra, body) = wire::refusal(wire, &r);
        entry.status = status;
        app.record(entry);
        let mut resp = json_response(status, &extra, &body);
        add_cors(flavor, origin.as_deref(), &mut resp);
        resp
    };

    let (key, key_in_url) = presented_key(wire, &headers, &query);
    entry.key_in_url = key_in_url;
    let key_ok = key == Some(app.config.key.as_str());
    if wire == Wire::Anthropic {
        if origin.is_some()
            && header_str(&headers, "anthropic-dangerous-direct-browser-access") != Some("true")
        {
            return refuse(&app, entry, Refusal::AnthropicCors);
        }
        if header_str(&headers, "anthropic-version").is_none() {
            return refuse(&app, entry, Refusal::AnthropicVersion);
        }
    }
    if flavor.needs_key && key.is_none() {
        return refuse(&app, entry, Refusal::MissingKey);
    }
    if flavor.needs_key && !key_ok {
        return refuse(&app, entry, Refusal::BadKey);
    }

    if call == Call::Models {
        app.record(entry);
        let mut r = json_response(200, &[], &wire::model_list(wire));
        add_cors(flavor, origin.as_deref(), &mut r);
        return r;
    }

    let Ok(bytes) = to_bytes(body, 8 << 20).await else {
        return refuse(&app, entry, Refusal::BadJson);
    };
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return refuse(&app, entry, Refusal::BadJson);
    };
    let model = match &call {
        Call::GeminiGenerate { model, .. } => model.clone(),
        _ => body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    };
    entry.model = Some(model.clone());
    let behaviour = Behaviour::from_model(&model, app.config.default_tps);

    if behaviour.bad_key {
        return refuse(&app, entry, Refusal::BadKey);
    }
    if let Some(retry_after) = behaviour.rate_limit {
        return refuse(&app, entry, Refusal::RateLimited { retry_after });
    }
    if behaviour.context_too_long {
        return refuse(&app, entry, Refusal::ContextTooLong);
    }
    if behaviour.overloaded {
        return refuse(&app, entry, Refusal::Overloaded);
    }
    if wire == Wire::Anthropic && body.get("max_tokens").is_none() {
        return refuse(&app, entry, Refusal::AnthropicMaxTokens);
    }
    if let Cors::OnlyHeaders(_) = flavor.cors
        && let Some(obj) = body.as_object()
        && let Some(extra) = obj.keys().find(|k| !STRICT_FIELDS.contains(&k.as_str()))
    {
        let field = extra.clone();
        return refuse(&app, entry, Refusal::ExtraField(field));
    }

    let stream = match (&call, wire) {
        (Call::GeminiGenerate { stream, .. }, _) => *stream,
        // Ollama streams unless told not to.
        (_, Wire::Ollama) => body.get("stream").and_then(Value::as_bool) != Some(false),
        _ => body.get("stream").and_then(Value::as_bool) == Some(true),
    };
    let gemini_sse = query.split('&').any(|kv| kv == "alt=sse");
    let last_user = last_user_text(wire, &body);
    let include_usage = body
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        == Some(true);
    let seq = app.seq.load(Ordering::Relaxed) + 1;
    let ask = Ask {
        flavor,
        wire,
        model: &model,
        last_user: &last_user,
        include_usage,
        behaviour: &behaviour,
        seq,
    };

    if !stream || (wire == Wire::Gemini && !gemini_sse) {
        // Gemini's stream without `alt=sse` is one JSON array.
        let whole = wire::whole_answer(&ask, wire == Wire::Gemini && stream);
        app.record(entry);
        let mut r = json_response(200, &[], &whole);
        add_cors(flavor, origin.as_deref(), &mut r);
        return r;
    }

    let script = wire::stream_script(&ask);
    entry.stream = true;
    entry.completed = false;
    let id = app.record(entry);
    let mut r = stream_response(app.clone(), id, script, behaviour.split);
    add_cors(flavor, origin.as_deref(), &mut r);
    r
}

async fn control_endpoint(app: &App, method: &Method, what: &str, query: &str) -> Response {
    if let Some(id) = what.strip_prefix("release/") {
        if method != Method::POST {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "POST to release a stream");
        }
        let Ok(id) = id.parse::<u64>() else {
            return json_response(400, &[], &json!({"error": "release/<id> wants a log id"}));
        };
        return if app.release(id) {
            json_response(200, &[], &json!({"released": true}))
        } else {
            let error = format!("request {id} is not held at a pause");
            json_response(404, &[], &json!({"released": false, "error": error}))
        };
    }
    match (method.as_str(), what) {
        ("GET", "log") => {
            let log = app.log.lock().expect("log lock").clone();
            json_response(200, &[], &json!({ "requests": log }))
        }
        ("POST", "reset") => {
            app.log.lock().expect("log lock").clear();
            app.changed();
            json_response(200, &[], &json!({"ok": true}))
        }
        ("GET", "health") => json_response(200, &[], &json!({"status": "ok"})),
        ("GET", "wait") => wait_endpoint(app, query).await,
        ("POST", "release") => json_response(200, &[], &json!({"released": app.release_all()})),
        _ => plain(StatusCode::NOT_FOUND, "unknown control endpoint"),
    }
}

/// The value of `name` in a query string, `%XX` escapes decoded (`+` stays `+`, as in the
/// model names).
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

/// What `GET /__wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitFor {
    /// Held at a pause or in a stall.
    Held,
    /// The client went away mid-stream.
    Aborted,
    /// Completed or aborted.
    Ended,
}

/// `GET /__wait?model=M&flavor=F&state=held|aborted|ended&timeout_ms=N`: answers the first
/// matching request (oldest first) as soon as one is in that state; 408 with the matching
/// requests seen if none is within the time (default: `--max-stall-secs`).
async fn wait_endpoint(app: &App, query: &str) -> Response {
    let model = query_param(query, "model");
    let flavor = query_param(query, "flavor");
    let state = match query_param(query, "state").as_deref() {
        None | Some("held") => WaitFor::Held,
        Some("aborted") => WaitFor::Aborted,
        Some("ended") => WaitFor::Ended,
        Some(other) => {
            let error = format!("unknown state {other:?}: held, aborted or ended");
            return json_response(400, &[], &json!({ "error": error }));
        }
    };
    let timeout = match query_param(query, "timeout_ms").map(|v| v.parse::<u64>()) {
        None => app.config.max_stall,
        Some(Ok(ms)) => Duration::from_millis(ms),
        Some(Err(_)) => {
            return json_response(400, &[], &json!({"error": "timeout_ms wants a number"}));
        }
    };
    let matches = |e: &LogEntry| {
        e.method != "OPTIONS"
            && model.as_ref().is_none_or(|m| e.model.as_ref() == Some(m))
            && flavor.as_ref().is_none_or(|f| &e.flavor == f)
    };
    let ready = |e: &LogEntry| {
        matches(e)
            && match state {
                WaitFor::Held => e.held,
                WaitFor::Aborted => e.aborted,
                WaitFor::Ended => e.completed || e.aborted,
            }
    };
    if let Ok(e) = tokio::time::timeout(timeout, app.wait_for(ready)).await {
        return json_response(200, &[], &json!(e));
    }
    let seen: Vec<LogEntry> = app
        .log
        .lock()
        .expect("log lock")
        .iter()
        .filter(|e| matches(e))
        .cloned()
        .collect();
    let error = format!(
        "no request matching model {model:?}, flavor {flavor:?} was {state:?} within {} ms",
        timeout.as_millis()
    );
    json_response(408, &[], &json!({ "error": error, "requests": seen }))
}

/// Writes a script through a channel; the body ends (and the receiver drops) when the
/// client goes away, which the writer notices on its next send or while it waits.
fn stream_response(app: Arc<App>, id: u64, script: Script, split: bool) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let content_type = script.content_type;
    tokio::spawn(write_script(app, id, script, split, tx));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    let mut r = Response::new(Body::from_stream(body));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Sends one frame, whole or in 1–3 byte pieces, counting the writes in the log. `false`
/// when the client is gone.
async fn send(app: &App, id: u64, tx: &mpsc::Sender<Bytes>, bytes: Bytes, split: bool) -> bool {
    if !split {
        let sent = tx.send(bytes).await.is_ok();
        if sent {
            app.update(id, |e| e.writes += 1);
        }
        return sent;
    }
    let mut rest = bytes;
    let mut size = 1;
    while !rest.is_empty() {
        let piece = rest.split_to(size.min(rest.len()));
        if tx.send(piece).await.is_err() {
            return false;
        }
        app.update(id, |e| e.writes += 1);
        // Let the connection write each piece on its own.
        tokio::task::yield_now().await;
        size = size % 3 + 1;
    }
    true
}

async fn write_script(
    app: Arc<App>,
    id: u64,
    script: Script,
    split: bool,
    tx: mpsc::Sender<Bytes>,
) {
    let aborted = |app: &App| {
        tracing::info!(id, "client went away mid-stream");
        app.update(id, |e| {
            e.aborted = true;
            e.held = false;
        });
    };
    for frame in script.frames {
        if frame.hold {
            match hold(&app, id, &tx).await {
                Hold::Released => continue,
                Hold::ClientLeft => return aborted(&app),
                Hold::TooLong => {
                    // As a stall does: give up holding it; the stream just ends, unfinished.
                    app.update(id, |e| {
                        e.held = false;
                        e.completed = true;
                    });
                    return;
                }
            }
        }
        if let Some(d) = frame.delay {
            tokio::select! {
                () = tokio::time::sleep(d) => {}
                () = tx.closed() => return aborted(&app),
            }
        }
        if !send(&app, id, &tx, frame.bytes, split).await {
            return aborted(&app);
        }
        if frame.token {
            app.update(id, |e| e.tokens_sent += 1);
        }
    }
    match script.end {
        End::Close => app.update(id, |e| e.completed = true),
        End::Stall { keepalive } => {
            app.update(id, |e| e.held = true);
            let deadline = tokio::time::Instant::now() + app.config.max_stall;
            loop {
                let wake = match &keepalive {
                    Some((_, every)) => (tokio::time::Instant::now() + *every).min(deadline),
                    None => deadline,
                };
                tokio::select! {
                    () = tokio::time::sleep_until(wake) => {}
                    () = tx.closed() => return aborted(&app),
                }
                if tokio::time::Instant::now() >= deadline {
                    // Give up holding it; the stream just ends, unfinished.
                    app.update(id, |e| {
                        e.held = false;
                        e.completed = true;
                    });
                    return;
                }
                if let Some((bytes, _)) = &keepalive
                    && !send(&app, id, &tx, bytes.clone(), false).await
                {
                    return aborted(&app);
                }
            }
        }
    }
}

/// How a scripted pause ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// A test released it: the stream goes on.
    Released,
    /// The client went away while it was held.
    ClientLeft,
    /// Nobody released it within `max_stall`.
    TooLong,
}

/// Holds stream `id` at a `pause-N` until `POST /__release/<id>`, the client leaves, or
/// `max_stall` passes. It is registered before it is marked held, so a test that saw it held
/// can always release it.
async fn hold(app: &App, id: u64, tx: &mpsc::Sender<Bytes>) -> Hold {
    let (go, released) = oneshot::channel();
    app.holds.lock().expect("holds lock").insert(id, go);
    app.update(id, |e| e.held = true);
    tracing::debug!(id, "held at a pause");
    let outcome = tokio::select! {
        // The sender waits in `holds` until a release sends on it (or until the removal
        // below, after this select), so this resolves only on a release.
        _ = released => Hold::Released,
        () = tx.closed() => Hold::ClientLeft,
        () = tokio::time::sleep(app.config.max_stall) => Hold::TooLong,
    };
    if outcome != Hold::Released {
        app.holds.lock().expect("holds lock").remove(&id);
    }
    outcome
}

/// All flavors, for documentation and the binary's `--help`.
pub fn flavor_ids() -> Vec<&'static str> {
    FLAVORS.iter().map(|f| f.id).collect()
}
