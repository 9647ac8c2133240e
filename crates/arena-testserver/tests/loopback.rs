//! Real HTTP over loopback: the test server imitates each provider, the `arena-providers`
//! codecs build the requests and decode the answers, reqwest carries the bytes.

use std::time::{Duration, Instant};

use arena_providers::{
    ApiKey, ChatRequest, Endpoint, ErrorKind, FinishReason, HttpRequest, IdlePolicy, IdleWatch,
    Method, Preset, ProviderError, ResponseHead, RetryAfter, StreamEvent,
};
use arena_testserver::behaviour::DEFAULT_TEXT;
use arena_testserver::{Config, LogEntry, Running, spawn};

/// The origin a hosted arena would send from (a loopback one, which Ollama allows).
const ORIGIN: &str = "http://127.0.0.1:5173";

/// Every preset with the server's route for it.
const ROUTES: &[(Preset, &str)] = &[
    (Preset::OpenAi, "openai"),
    (Preset::OpenRouter, "openrouter"),
    (Preset::Groq, "groq"),
    (Preset::Together, "together"),
    (Preset::Mistral, "mistral"),
    (Preset::DeepSeek, "deepseek"),
    (Preset::Xai, "xai"),
    (Preset::Vllm, "vllm"),
    (Preset::LmStudio, "lmstudio"),
    (Preset::LlamaCpp, "llamacpp"),
    (Preset::OllamaOpenAi, "ollama"),
    (Preset::Anthropic, "anthropic"),
    (Preset::Gemini, "gemini"),
    (Preset::Ollama, "ollama"),
];

async fn server() -> Running {
    spawn("127.0.0.1:0".parse().unwrap(), Config::default())
        .await
        .unwrap()
}

fn endpoint(srv: &Running, preset: Preset, route: &str) -> Endpoint {
    let base = if preset == Preset::OllamaOpenAi {
        format!("{}/v1", srv.base_url(route))
    } else {
        srv.base_url(route)
    };
    Endpoint::new(preset)
        .with_base_url(base)
        .with_api_key(ApiKey::new("test-key"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

async fn send(req: &HttpRequest) -> reqwest::Response {
    let method = match req.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut b = client().request(method, &req.url).header("origin", ORIGIN);
    for h in req.headers.iter() {
        b = b.header(h.name, &h.value);
    }
    if let Some(body) = &req.body {
        b = b.body(body.clone());
    }
    b.send().await.unwrap()
}

fn head_of(resp: &reqwest::Response) -> ResponseHead {
    let mut head = ResponseHead::new(resp.status().as_u16());
    for (n, v) in resp.headers() {
        head.insert(n.as_str(), v.to_str().unwrap_or(""));
    }
    head
}

/// What a streamed turn produced.
#[derive(Debug)]
struct Outcome {
    events: Vec<StreamEvent>,
    /// Body bytes received, over all chunks.
    bytes: usize,
    elapsed: Duration,
}

impl Outcome {
    fn text(&self) -> String {
        text_of(&self.events)
    }

    fn error(&self) -> Option<&ProviderError> {
        self.events.iter().find_map(|e| match e {
            StreamEvent::Error(err) => Some(err),
            _ => None,
        })
    }
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// Longest any single step of a test may wait for the other side; only a guard against a
/// hang, never part of a verdict.
const GUARD: Duration = Duration::from_secs(30);

/// A streamed turn, read chunk by chunk like the browser adapter reads it.
struct Turn<'a> {
    ep: &'a Endpoint,
    resp: reqwest::Response,
    dec: arena_providers::ChatDecoder,
    start: Instant,
    events: Vec<StreamEvent>,
    /// The body as received so far.
    raw: Vec<u8>,
    bytes: usize,
    /// The body ended or the decoder finished.
    ended: bool,
}

impl<'a> Turn<'a> {
    async fn open(ep: &'a Endpoint, model: &str, prompt: &str) -> Turn<'a> {
        let start = Instant::now();
        let req = ep.chat_request(&ChatRequest::new(model, prompt)).unwrap();
        let resp = send(&req).await;
        let dec = ep.decoder(&head_of(&resp));
        Turn {
            ep,
            resp,
            dec,
            start,
            events: Vec::new(),
            raw: Vec::new(),
            bytes: 0,
            ended: false,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap()
    }

    /// Takes in one read's result; returns the events it gave.
    fn take(&mut self, read: reqwest::Result<Option<bytes::Bytes>>) -> Vec<StreamEvent> {
        let got = match read {
            Ok(Some(bytes)) => {
                self.bytes += bytes.len();
                self.raw.extend_from_slice(&bytes);
                let got = self.dec.push(&bytes);
                self.ended = self.dec.is_finished();
                got
            }
            Ok(None) => {
                self.ended = true;
                self.dec.finish()
            }
            Err(e) => {
                self.ended = true;
                vec![StreamEvent::Error(
                    self.ep.network_error(Some(&e.to_string()), None),
                )]
            }
        };
        self.events.extend(got.clone());
        got
    }

    /// Reads, with no idle deadline, until `done` holds for what was read so far; panics if
    /// the stream ends first. For the parts of a stream a test knows will come.
    async fn read_until(&mut self, what: &str, done: impl Fn(&Turn<'_>) -> bool) {
        while !done(self) {
            assert!(
                !self.ended,
                "the stream ended before {what}: {:?}",
                self.events
            );
            let read = tokio::time::timeout(GUARD, self.resp.chunk())
                .await
                .unwrap_or_else(|_| {
                    panic!("nothing for {GUARD:?} before {what}: {:?}", self.events)
                });
            self.take(read);
        }
    }

    /// Reads until the text so far is `text`.
    async fn read_text(&mut self, text: &str) {
        self.read_until(&format!("text {text:?}"), |t| text_of(&t.events) == text)
            .await;
    }

    /// Reads the rest, racing each read against the idle deadline of a watch that starts
    /// now (having seen the events read so far as progress); drops the response on a stall.
    async fn finish(mut self, idle: IdlePolicy) -> Outcome {
        let mut watch = IdleWatch::new(idle, self.now_ms());
        watch.observe(&self.events, self.now_ms());
        while !self.ended {
            let wait = Duration::from_millis(watch.deadline_ms().saturating_sub(self.now_ms()));
            match tokio::time::timeout(wait, self.resp.chunk()).await {
                Ok(read) => {
                    let got = self.take(read);
                    watch.observe(&got, self.now_ms());
                }
                Err(_) => {
                    if let Some(err) = watch.check(self.now_ms()) {
                        self.events.push(StreamEvent::Error(err));
                        break;
                    }
                }
            }
        }
        drop(self.resp);
        Outcome {
            events: self.events,
            bytes: self.bytes,
            elapsed: self.start.elapsed(),
        }
    }
}

/// Sends a turn and reads it to the end like the browser adapter will: chunk by chunk,
/// racing each read against the idle deadline, dropping the response on a stall.
async fn turn(ep: &Endpoint, model: &str, prompt: &str, idle: IdlePolicy) -> Outcome {
    Turn::open(ep, model, prompt).await.finish(idle).await
}

const RELAXED: IdlePolicy = IdlePolicy {
    first_event: Duration::from_secs(20),
    between_events: Duration::from_secs(20),
};

/// For streams the server is known to hold: the deadline is bound to pass.
const SHORT: IdlePolicy = IdlePolicy {
    first_event: Duration::from_millis(400),
    between_events: Duration::from_millis(400),
};

fn assert_ends_done(o: &Outcome, what: &str) {
    assert_eq!(
        o.events.last(),
        Some(&StreamEvent::Done),
        "{what}: {:?}",
        o.events
    );
}

fn usage(o: &Outcome) -> Option<arena_providers::Usage> {
    o.events.iter().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(*u),
        _ => None,
    })
}

/// Waits until the server's log holds an entry matching `pred` (woken by each change to the
/// log, no polling).
async fn wait_for_log(srv: &Running, pred: impl Fn(&LogEntry) -> bool) -> LogEntry {
    tokio::time::timeout(GUARD, srv.wait_for(pred))
        .await
        .unwrap_or_else(|_| panic!("no matching log entry: {:#?}", srv.log()))
}

/// The log entry of the chat request for `model` (made unique by the test).
fn entry_for(srv: &Running, model: &str) -> LogEntry {
    srv.log()
        .into_iter()
        .find(|e| e.model.as_deref() == Some(model))
        .unwrap_or_else(|| panic!("no request for {model}: {:#?}", srv.log()))
}

#[tokio::test]
async fn every_preset_streams_an_echo() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let ep = endpoint(&srv, preset, route);
        let o = turn(&ep, "echo", "Ping the café ☕ now", RELAXED).await;
        assert_ends_done(&o, route);
        assert_eq!(o.text(), "Ping the café ☕ now", "{preset:?}");
        assert!(
            o.events.contains(&StreamEvent::Finish(FinishReason::Stop)),
            "{preset:?}: {:?}",
            o.events
        );
        let u = usage(&o).unwrap_or_else(|| panic!("{preset:?} gave no usage"));
        // "Ping ", "the ", "café ", "☕ ", "now": the server counts one token per word.
        assert_eq!(u.output, Some(5), "{preset:?}");
        assert!(u.input.is_some(), "{preset:?}");
    }
    // The server saw no key in any URL, and every chat request came with a key header where
    // the provider needs one.
    for e in srv.log() {
        assert!(!e.key_in_url, "{e:?}");
        assert_eq!(e.status, 200, "{e:?}");
    }
}

#[tokio::test]
async fn reasoning_streams_apart_from_text() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let o = turn(
            &endpoint(&srv, preset, route),
            "echo+reasoning",
            "hi",
            RELAXED,
        )
        .await;
        assert_ends_done(&o, route);
        let reasoning: String = o
            .events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ReasoningDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reasoning, "Thinking about it.", "{preset:?}");
        assert_eq!(o.text(), "hi", "{preset:?}");
    }
}

#[tokio::test]
async fn split_chunks_inside_utf8_decode_whole() {
    let srv = server().await;
    for (i, &(preset, route)) in ROUTES.iter().enumerate() {
        // The unknown word only tells the log entries apart.
        let model = format!("split+case{i}");
        let o = turn(&endpoint(&srv, preset, route), &model, "x", RELAXED).await;
        assert_ends_done(&o, route);
        assert_eq!(o.text(), DEFAULT_TEXT, "{preset:?}");
        // The server wrote the body in pieces of 1–3 bytes (however the client's reads then
        // grouped them), so lines and UTF-8 characters were cut: at least a write per 3 bytes.
        let writes = usize::try_from(entry_for(&srv, &model).writes).unwrap();
        assert!(
            writes * 3 >= o.bytes,
            "{preset:?}: {writes} writes for {} bytes",
            o.bytes
        );
    }
    // Without `split` a frame is one write: the check above tells the two apart.
    let o = turn(
        &endpoint(&srv, Preset::OpenAi, "openai"),
        "whole",
        "x",
        RELAXED,
    )
    .await;
    let writes = usize::try_from(entry_for(&srv, "whole").writes).unwrap();
    assert!(
        writes * 3 < o.bytes,
        "{writes} writes for {} bytes",
        o.bytes
    );
}

#[tokio::test]
async fn keepalive_comments_and_pings_are_not_text() {
    let srv = server().await;
    for (preset, route) in [
        (Preset::OpenRouter, "openrouter"),
        (Preset::DeepSeek, "deepseek"),
        (Preset::Anthropic, "anthropic"),
    ] {
        let o = turn(
            &endpoint(&srv, preset, route),
            "echo+keepalive",
            "a b c d e f",
            RELAXED,
        )
        .await;
        assert_ends_done(&o, route);
        assert_eq!(o.text(), "a b c d e f");
    }
}

#[tokio::test]
async fn slow_streams_arrive_token_by_token() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::OpenAi, "openai");
    let model = "echo+slow-50+tokens-10+pause-4";
    let mut t = Turn::open(&ep, model, "ab cd ef").await;
    // Token by token, not one blob at the end: the first four tokens reach the client while
    // the server holds the other six.
    t.read_text("ab cd efab ").await;
    let held = wait_for_log(&srv, |e| e.model.as_deref() == Some(model) && e.held).await;
    assert_eq!(held.tokens_sent, 4, "{held:?}");
    assert!(!held.completed);
    assert!(srv.release(held.id));
    let o = t.finish(RELAXED).await;
    assert_ends_done(&o, "slow");
    let deltas = o
        .events
        .iter()
        .filter(|e| matches!(e, StreamEvent::TextDelta(_)))
        .count();
    assert_eq!(deltas, 10);
    assert_eq!(o.text(), "ab cd efab cd efab cd efab ");
    // 10 tokens at 50/s are paced: at least 10 gaps of 20 ms (a floor: a busy machine only
    // makes it longer; the pause adds to it).
    assert!(o.elapsed >= Duration::from_millis(200), "{:?}", o.elapsed);
}

#[tokio::test]
async fn a_paused_stream_sends_exactly_its_first_tokens_until_released() {
    let srv = server().await;
    for (i, &(preset, route)) in ROUTES.iter().enumerate() {
        let ep = endpoint(&srv, preset, route);
        let model = format!("echo+pause-1+pause-3+case{i}");
        let is_held = |tokens: u64| {
            let model = model.clone();
            move |e: &LogEntry| {
                e.model.as_deref() == Some(&model) && e.held && e.tokens_sent == tokens
            }
        };
        let mut t = Turn::open(&ep, &model, "a b c d é").await;
        t.read_text("a ").await;
        let first = wait_for_log(&srv, is_held(1)).await;
        assert!(!first.completed && !first.aborted, "{preset:?}: {first:?}");
        assert!(srv.release(first.id), "{preset:?}");
        assert!(!srv.release(first.id), "{preset:?}: released twice");
        t.read_text("a b c ").await;
        let second = wait_for_log(&srv, is_held(3)).await;
        assert_eq!(second.id, first.id);
        assert!(srv.release(second.id));
        let o = t.finish(RELAXED).await;
        assert_ends_done(&o, route);
        assert_eq!(o.text(), "a b c d é", "{preset:?}");
        let e = wait_for_log(&srv, |e| e.id == first.id && e.completed).await;
        assert!(
            !e.held && !e.aborted && e.tokens_sent == 5,
            "{preset:?}: {e:?}"
        );
    }
}

#[tokio::test]
async fn a_pause_past_the_last_token_holds_the_end() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::Anthropic, "anthropic");
    let model = "echo+pause-9";
    let mut t = Turn::open(&ep, model, "one two").await;
    t.read_text("one two").await;
    let held = wait_for_log(&srv, |e| e.model.as_deref() == Some(model) && e.held).await;
    assert_eq!(held.tokens_sent, 2);
    assert!(!t.events.contains(&StreamEvent::Done), "{:?}", t.events);
    assert!(srv.release(held.id));
    let o = t.finish(RELAXED).await;
    assert_ends_done(&o, "anthropic");
}

#[tokio::test]
async fn a_client_leaving_a_paused_stream_is_an_abort() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::Gemini, "gemini");
    let model = "tokens-100+pause-3";
    let mut t = Turn::open(&ep, model, "x").await;
    t.read_text("Hello from the ").await;
    let held = wait_for_log(&srv, |e| e.model.as_deref() == Some(model) && e.held).await;
    drop(t); // the stop button
    let e = wait_for_log(&srv, |e| e.id == held.id && e.aborted).await;
    assert!(!e.completed && !e.held && e.tokens_sent == 3, "{e:?}");
    assert!(!srv.release(held.id), "nothing left to release");
}

async fn json_of(resp: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn wait_and_release_over_http() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::Ollama, "ollama");
    let model = "echo+pause-2";
    let mut t = Turn::open(&ep, model, "uno dos tres").await;
    // `+` stays `+` in the query, escaped or not.
    let wait = format!(
        "{}/__wait?model=echo%2Bpause-2&flavor=ollama&state=held",
        srv.url()
    );
    let held = json_of(client().get(&wait).send().await.unwrap()).await;
    assert_eq!(held["held"], true, "{held}");
    assert_eq!(held["tokens_sent"], 2, "{held}");
    assert_eq!(held["model"], model);
    t.read_text("uno dos ").await;
    let id = held["id"].as_u64().unwrap();
    let release = |id: u64| {
        client()
            .post(format!("{}/__release/{id}", srv.url()))
            .send()
    };
    assert_eq!(release(id).await.unwrap().status(), 200);
    assert_eq!(
        release(id).await.unwrap().status(),
        404,
        "not held any more"
    );
    let o = t.finish(RELAXED).await;
    assert_eq!(o.text(), "uno dos tres");
    let ended = format!("{}/__wait?model=echo+pause-2&state=ended", srv.url());
    let done = json_of(client().get(&ended).send().await.unwrap()).await;
    assert_eq!(done["completed"], true, "{done}");
    // A wait that nothing can satisfy says so, with what it saw.
    let never = format!("{}/__wait?model=never-asked&timeout_ms=1", srv.url());
    let resp = client().get(&never).send().await.unwrap();
    assert_eq!(resp.status(), 408);
    let body = json_of(resp).await;
    assert!(
        body["error"].as_str().unwrap().contains("never-asked"),
        "{body}"
    );
    assert_eq!(body["requests"], serde_json::json!([]));
    let bad = format!("{}/__wait?state=asleep", srv.url());
    assert_eq!(client().get(&bad).send().await.unwrap().status(), 400);
    // Releasing everything: nothing is held now.
    let all = json_of(
        client()
            .post(format!("{}/__release", srv.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(all["released"], 0);
}

#[tokio::test]
async fn midstream_errors_are_errors_not_text() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let o = turn(
            &endpoint(&srv, preset, route),
            "midstream-error-2",
            "x",
            RELAXED,
        )
        .await;
        let err = o
            .error()
            .unwrap_or_else(|| panic!("{preset:?}: {:?}", o.events));
        assert!(
            matches!(err.kind(), ErrorKind::Overloaded | ErrorKind::Other),
            "{preset:?}: {err:?}"
        );
        assert_eq!(o.text(), "Hello from ", "{preset:?}");
        assert!(!o.events.contains(&StreamEvent::Done), "{preset:?}");
    }
}

#[tokio::test]
async fn scripted_refusals_map_to_typed_errors() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let ep = endpoint(&srv, preset, route);
        let cases = [
            ("bad-key", ErrorKind::BadKey),
            ("rate-limit-3", ErrorKind::RateLimited),
            ("context-too-long", ErrorKind::ContextTooLong),
            ("overloaded", ErrorKind::Overloaded),
        ];
        for (model, kind) in cases {
            let o = turn(&ep, model, "x", RELAXED).await;
            assert_eq!(o.events.len(), 1, "{preset:?} {model}: {:?}", o.events);
            let err = o.error().unwrap();
            assert_eq!(err.kind(), kind, "{preset:?} {model}: {err:?}");
            if model == "rate-limit-3" {
                assert_eq!(
                    err,
                    &ProviderError::RateLimited {
                        retry_after: Some(RetryAfter::Delay(Duration::from_secs(3))),
                        detail: err.detail().map(str::to_owned),
                    },
                    "{preset:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn wrong_and_missing_keys_are_bad_key() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        if !preset.info().needs_key {
            continue;
        }
        let ep = endpoint(&srv, preset, route).with_api_key(ApiKey::new("wrong-key"));
        let o = turn(&ep, "echo", "x", RELAXED).await;
        assert_eq!(
            o.error().map(ProviderError::kind),
            Some(ErrorKind::BadKey),
            "{preset:?}: {:?}",
            o.events
        );
        let shown = format!("{:?}", o.events);
        assert!(!shown.contains("wrong-key"), "{shown}");
    }
}

#[tokio::test]
async fn stall_trips_the_idle_timeout_and_the_server_sees_the_abort() {
    let srv = server().await;
    for (i, &(preset, route)) in ROUTES.iter().enumerate() {
        let ep = endpoint(&srv, preset, route);
        // The unknown word only tells the log entries apart.
        let model = format!("stall-2+case{i}");
        // The two tokens come, then the server holds the stream: only then does the short
        // idle limit start, so a slow machine cannot trip it early.
        let mut t = Turn::open(&ep, &model, "x").await;
        t.read_text("Hello from ").await;
        let held = wait_for_log(&srv, |e| {
            e.model.as_deref() == Some(model.as_str()) && e.held
        })
        .await;
        assert_eq!(held.tokens_sent, 2, "{held:?}");
        let o = t.finish(SHORT).await;
        let err = o
            .error()
            .unwrap_or_else(|| panic!("{preset:?}: {:?}", o.events));
        assert!(
            matches!(
                err,
                ProviderError::IdleTimeout {
                    before_first_token: false,
                    ..
                }
            ),
            "{preset:?}: {err:?}"
        );
        assert_eq!(o.text(), "Hello from ");
        let e = wait_for_log(&srv, |e| {
            e.model.as_deref() == Some(model.as_str()) && e.aborted
        })
        .await;
        assert!(!e.completed && e.tokens_sent == 2, "{e:?}");
    }
}

#[tokio::test]
async fn keepalives_alone_do_not_hold_off_the_idle_timeout() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::DeepSeek, "deepseek");
    let model = "stall-0+keepalive";
    let mut t = Turn::open(&ep, model, "x").await;
    // While it stalls the server sends a keep-alive comment every 300 ms: read until three
    // have come (however long that takes); none of it is an event.
    let keepalives = |t: &Turn<'_>| t.raw.windows(12).filter(|w| w == b": keep-alive").count();
    t.read_until("three keep-alives", |t| keepalives(t) >= 3)
        .await;
    assert!(
        t.events.is_empty(),
        "keep-alives are no events: {:?}",
        t.events
    );
    // So they are no progress: a watch started now trips its first-event limit, although
    // keep-alives go on arriving.
    let o = t.finish(SHORT).await;
    assert!(
        matches!(
            o.error(),
            Some(ProviderError::IdleTimeout {
                before_first_token: true,
                ..
            })
        ),
        "{:?}",
        o.events
    );
}

#[tokio::test]
async fn dropping_a_slow_stream_is_seen_as_an_abort() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::Anthropic, "anthropic");
    // 1,000 tokens at 20/s take 50 s: the drop comes long before the end.
    let req = ep
        .chat_request(&ChatRequest::new("slow-20+tokens-1000", "x"))
        .unwrap();
    let mut resp = send(&req).await;
    let mut dec = ep.decoder(&head_of(&resp));
    let mut text = 0;
    while text < 3 {
        let bytes = resp.chunk().await.unwrap().unwrap();
        text += dec
            .push(&bytes)
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta(_)))
            .count();
    }
    drop(resp); // the stop button
    let e = wait_for_log(&srv, |e| e.aborted).await;
    assert!(!e.completed);
    assert!(e.tokens_sent >= 3 && e.tokens_sent < 1000, "{e:?}");
}

#[tokio::test]
async fn model_lists_for_every_preset() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let ep = endpoint(&srv, preset, route);
        let req = ep.models_request().unwrap();
        let resp = send(&req).await;
        let head = head_of(&resp);
        let body = resp.bytes().await.unwrap();
        let models = ep.parse_models(&head, &body).unwrap();
        let ids: Vec<_> = models.iter().map(|m| m.id.as_str()).collect();
        let echo = if preset == Preset::Ollama {
            "echo:latest"
        } else {
            "echo"
        };
        assert!(ids.contains(&echo), "{preset:?}: {ids:?}");
        assert!(ids.len() >= 10, "{preset:?}");
    }
}

async fn preflight(url: &str, headers: &[&str]) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers.join(", "))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn our_requests_pass_every_preflight() {
    let srv = server().await;
    for &(preset, route) in ROUTES {
        let req = endpoint(&srv, preset, route)
            .with_attribution(Some("https://arena.example".into()), Some("Arena".into()))
            .chat_request(&ChatRequest::new("echo", "x"))
            .unwrap();
        let resp = preflight(&req.url, &req.headers.names()).await;
        assert_eq!(resp.status(), 204, "{preset:?}");
        let allowed = resp
            .headers()
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        for name in req.headers.names() {
            assert!(
                allowed.contains(name),
                "{preset:?}: {name} not in {allowed}"
            );
        }
        assert!(resp.headers().contains_key("access-control-allow-origin"));
    }
}

#[tokio::test]
async fn provider_cors_rules_are_enforced() {
    let srv = server().await;
    let mistral = format!("{}/chat/completions", srv.base_url("mistral"));
    let resp = preflight(&mistral, &["authorization", "content-type", "x-title"]).await;
    assert_eq!(resp.status(), 403);
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
    let logged = wait_for_log(&srv, |e| e.method == "OPTIONS" && e.status == 403).await;
    assert!(logged.header_names.contains(&"x-title".to_owned()));

    // Mistral also refuses fields outside its schema, such as `stream_options`.
    let body = r#"{"model":"echo","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}"#;
    let resp = client()
        .post(&mistral)
        .header("authorization", "Bearer test-key")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);

    // LM Studio with CORS off answers preflights without any CORS header.
    let url = format!("{}/chat/completions", srv.base_url("lmstudio-nocors"));
    let resp = preflight(&url, &["content-type"]).await;
    assert!(!resp.headers().contains_key("access-control-allow-origin"));

    // Ollama outside OLLAMA_ORIGINS: 403 for the preflight and the request.
    let url = format!("{}/api/chat", srv.base_url("ollama-strict"));
    assert_eq!(preflight(&url, &["content-type"]).await.status(), 403);
    let ep = Endpoint::new(Preset::Ollama).with_base_url(srv.base_url("ollama-strict"));
    let req = ep.chat_request(&ChatRequest::new("echo", "x")).unwrap();
    let resp = send(&req).await;
    assert_eq!(resp.status(), 403);

    // Anthropic refuses a browser request without its header.
    let ep = endpoint(&srv, Preset::Anthropic, "anthropic");
    let req = ep.chat_request(&ChatRequest::new("echo", "x")).unwrap();
    let mut b = client().post(&req.url).header("origin", ORIGIN);
    for h in req
        .headers
        .iter()
        .filter(|h| h.name != "anthropic-dangerous-direct-browser-access")
    {
        b = b.header(h.name, &h.value);
    }
    let resp = b.body(req.body.clone().unwrap()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("anthropic-dangerous-direct-browser-access"),
        "{text}"
    );
}

#[tokio::test]
async fn gemini_key_travels_in_the_header() {
    let srv = server().await;
    let ep = endpoint(&srv, Preset::Gemini, "gemini");
    let o = turn(&ep, "echo", "hello", RELAXED).await;
    assert_ends_done(&o, "gemini");
    let e = wait_for_log(&srv, |e| e.flavor == "gemini").await;
    assert!(!e.key_in_url);
    assert!(e.header_names.contains(&"x-goog-api-key".to_owned()));
    // The server would notice a key in the URL.
    let url = format!(
        "{}/models/echo:streamGenerateContent?alt=sse&key=test-key",
        srv.base_url("gemini")
    );
    let resp = client()
        .post(url)
        .body(r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(srv.log().iter().any(|e| e.key_in_url));
}

#[tokio::test]
async fn unreachable_server_is_a_network_error_with_the_fix() {
    // Bind and drop a listener to get a port nobody answers on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ep = Endpoint::new(Preset::Ollama).with_base_url(format!("http://127.0.0.1:{port}"));
    let req = ep.chat_request(&ChatRequest::new("llama3.2", "x")).unwrap();
    let err = client()
        .post(&req.url)
        .body(req.body.clone().unwrap())
        .send()
        .await
        .unwrap_err();
    let mapped = ep.network_error(Some(&err.to_string()), Some(ORIGIN));
    assert_eq!(mapped.kind(), ErrorKind::Network);
    assert!(
        mapped
            .hint()
            .contains("OLLAMA_ORIGINS=http://127.0.0.1:5173"),
        "{}",
        mapped.hint()
    );
}

#[tokio::test]
async fn the_binary_prints_its_address_first() {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arena-testserver"))
        .args(["--addr", "127.0.0.1:0", "--max-stall-secs", "5"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_owned();
    let health = client().get(format!("{url}/__health")).send().await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let health = health.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn refuses_to_bind_beyond_loopback() {
    let err = spawn("0.0.0.0:0".parse().unwrap(), Config::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("loopback"));
}
