//! Response bodies in each provider's wire format: stream scripts, whole answers, errors,
//! model lists.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::behaviour::Behaviour;
use crate::flavor::{Flavor, Wire};

/// Reasoning text sent before the answer when `reasoning` is asked for.
pub const REASONING: &[&str] = &["Thinking ", "about ", "it."];

/// One write of a stream.
#[derive(Debug, Clone)]
pub struct Frame {
    pub bytes: Bytes,
    /// Wait this long before writing it.
    pub delay: Option<Duration>,
    /// It carries an answer token (counted in the log).
    pub token: bool,
    /// A scripted pause (no bytes): hold the stream here until a test releases it.
    pub hold: bool,
}

/// How a stream ends.
#[derive(Debug, Clone)]
pub enum End {
    /// Close the body.
    Close,
    /// Keep the connection open without sending anything more (or only `keepalive` frames
    /// every `every`), until the client goes away or the server's stall limit passes.
    Stall {
        keepalive: Option<(Bytes, Duration)>,
    },
}

/// A scripted stream.
#[derive(Debug, Clone)]
pub struct Script {
    pub content_type: &'static str,
    pub frames: Vec<Frame>,
    pub end: End,
}

/// What the request asked for, as far as the answer depends on it.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub flavor: &'a Flavor,
    /// The wire format of this endpoint (Ollama's `/v1` speaks OpenAI's).
    pub wire: Wire,
    pub model: &'a str,
    pub last_user: &'a str,
    /// `stream_options.include_usage` was sent.
    pub include_usage: bool,
    pub behaviour: &'a Behaviour,
    /// A sequence number, for response ids.
    pub seq: u64,
}

fn sse(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn named(event: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// Gemini ends its events with CRLF.
fn sse_crlf(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\r\n\r\n"))
}

fn line(v: &Value) -> Bytes {
    Bytes::from(format!("{v}\n"))
}

fn count(n: usize) -> u64 {
    n as u64
}

struct Builder {
    frames: Vec<Frame>,
    gap: Option<Duration>,
}

impl Builder {
    fn meta(&mut self, bytes: Bytes) {
        self.frames.push(Frame {
            bytes,
            delay: None,
            token: false,
            hold: false,
        });
    }

    fn hold(&mut self) {
        self.frames.push(Frame {
            bytes: Bytes::new(),
            delay: None,
            token: false,
            hold: true,
        });
    }

    fn token(&mut self, bytes: Bytes) {
        self.frames.push(Frame {
            bytes,
            delay: self.gap,
            token: true,
            hold: false,
        });
    }
}

/// The stream for a successful request.
pub fn stream_script(ask: &Ask<'_>) -> Script {
    let b = ask.behaviour;
    let tokens = b.tokens_for(ask.last_user);
    let mut out = Builder {
        frames: Vec::new(),
        gap: b.token_gap(),
    };
    let w = WireText::new(ask);
    for f in w.preamble() {
        out.meta(f);
    }
    if b.reasoning {
        for f in w.reasoning_open() {
            out.meta(f);
        }
        for r in REASONING {
            out.meta(w.reasoning(r));
        }
        for f in w.reasoning_close() {
            out.meta(f);
        }
    }
    for f in w.text_open() {
        out.meta(f);
    }
    for (i, tok) in tokens.iter().enumerate() {
        if b.pauses.contains(&i) {
            out.hold();
        }
        if b.midstream_error_after == Some(i) {
            out.meta(w.midstream_error());
            return Script {
                content_type: w.content_type(),
                frames: out.frames,
                end: End::Close,
            };
        }
        if b.stall_after == Some(i) {
            return Script {
                content_type: w.content_type(),
                frames: out.frames,
                end: End::Stall {
                    keepalive: b
                        .keepalive
                        .then(|| w.keepalive().map(|k| (k, Duration::from_millis(300))))
                        .flatten(),
                },
            };
        }
        if b.keepalive
            && i % 3 == 1
            && let Some(k) = w.keepalive()
        {
            out.meta(k);
        }
        out.token(w.text(tok));
    }
    // A pause past the last token holds the stream before its end.
    if b.pauses.iter().any(|&p| p >= tokens.len()) {
        out.hold();
    }
    let reason = if b.length {
        w.length_word()
    } else {
        w.stop_word()
    };
    let reasoning_tokens = if b.reasoning { REASONING.len() } else { 0 };
    for f in w.close(reason, count(tokens.len() + reasoning_tokens)) {
        out.meta(f);
    }
    Script {
        content_type: w.content_type(),
        frames: out.frames,
        end: End::Close,
    }
}

/// Text builders for one request.
struct WireText<'a> {
    ask: &'a Ask<'a>,
    id: String,
}

const CREATED: u64 = 1_740_000_000;

impl<'a> WireText<'a> {
    fn new(ask: &'a Ask<'a>) -> Self {
        let id = match ask.wire {
            Wire::OpenAi if ask.flavor.id == "openrouter" => format!("gen-{}", ask.seq),
            Wire::OpenAi => format!("chatcmpl-test{}", ask.seq),
            Wire::Anthropic => format!("msg_test{}", ask.seq),
            Wire::Gemini | Wire::Ollama => String::new(),
        };
        Self { ask, id }
    }

    fn content_type(&self) -> &'static str {
        match self.ask.wire {
            Wire::Ollama => "application/x-ndjson",
            _ => "text/event-stream; charset=utf-8",
        }
    }

    fn input_tokens(&self) -> u64 {
        count(self.ask.last_user.split_whitespace().count() + 3)
    }

    fn oa_chunk(&self, delta: &Value, finish: Option<&str>) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.ask.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if self.ask.flavor.id == "openrouter" {
            v["provider"] = "TestProvider".into();
        }
        v
    }

    fn preamble(&self) -> Vec<Bytes> {
        match self.ask.wire {
            Wire::OpenAi => {
                let mut v = Vec::new();
                if self.ask.flavor.id == "openrouter" {
                    v.push(Bytes::from_static(b": OPENROUTER PROCESSING\n\n"));
                }
                v.push(sse(
                    &self.oa_chunk(&json!({"role": "assistant", "content": ""}), None)
                ));
                v
            }
            Wire::Anthropic => vec![named(
                "message_start",
                &json!({"type": "message_start", "message": {
                    "id": self.id, "type": "message", "role": "assistant", "content": [],
                    "model": self.ask.model, "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": self.input_tokens(), "output_tokens": 1}}}),
            )],
            Wire::Gemini | Wire::Ollama => Vec::new(),
        }
    }

    fn block_start(index: u64, kind: &str) -> Bytes {
        let block = if kind == "thinking" {
            json!({"type": "thinking", "thinking": ""})
        } else {
            json!({"type": "text", "text": ""})
        };
        named(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        )
    }

    fn block_stop(index: u64) -> Bytes {
        named(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        )
    }

    fn text_index(&self) -> u64 {
        u64::from(self.ask.behaviour.reasoning)
    }

    fn reasoning_open(&self) -> Vec<Bytes> {
        match self.ask.wire {
            Wire::Anthropic => vec![Self::block_start(0, "thinking")],
            _ => Vec::new(),
        }
    }

    fn reasoning_close(&self) -> Vec<Bytes> {
        match self.ask.wire {
            Wire::Anthropic => vec![
                named(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}}),
                ),
                Self::block_stop(0),
            ],
            _ => Vec::new(),
        }
    }

    fn text_open(&self) -> Vec<Bytes> {
        match self.ask.wire {
            Wire::Anthropic => vec![
                Self::block_start(self.text_index(), "text"),
                named("ping", &json!({"type": "ping"})),
            ],
            _ => Vec::new(),
        }
    }

    fn reasoning(&self, t: &str) -> Bytes {
        match self.ask.wire {
            Wire::OpenAi => {
                let mut delta = json!({"content": null});
                delta[self.ask.flavor.reasoning_field()] = t.into();
                sse(&self.oa_chunk(&delta, None))
            }
            Wire::Anthropic => named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0,
                        "delta": {"type": "thinking_delta", "thinking": t}}),
            ),
            Wire::Gemini => sse_crlf(&json!({
                "candidates": [{"content": {"parts": [{"text": t, "thought": true}], "role": "model"}, "index": 0}],
                "modelVersion": self.ask.model})),
            Wire::Ollama => line(&json!({
                "model": self.ask.model, "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": "", "thinking": t}, "done": false})),
        }
    }

    fn text(&self, t: &str) -> Bytes {
        match self.ask.wire {
            Wire::OpenAi => sse(&self.oa_chunk(&json!({"content": t}), None)),
            Wire::Anthropic => named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": self.text_index(),
                        "delta": {"type": "text_delta", "text": t}}),
            ),
            Wire::Gemini => sse_crlf(&json!({
                "candidates": [{"content": {"parts": [{"text": t}], "role": "model"}, "index": 0}],
                "usageMetadata": {"promptTokenCount": self.input_tokens(), "totalTokenCount": self.input_tokens()},
                "modelVersion": self.ask.model})),
            Wire::Ollama => line(&json!({
                "model": self.ask.model, "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": t}, "done": false})),
        }
    }

    fn keepalive(&self) -> Option<Bytes> {
        match self.ask.wire {
            Wire::OpenAi if self.ask.flavor.id == "openrouter" => {
                Some(Bytes::from_static(b": OPENROUTER PROCESSING\n\n"))
            }
            Wire::OpenAi => Some(Bytes::from_static(b": keep-alive\n\n")),
            Wire::Anthropic => Some(named("ping", &json!({"type": "ping"}))),
            Wire::Gemini | Wire::Ollama => None,
        }
    }

    fn stop_word(&self) -> &'static str {
        match self.ask.wire {
            Wire::OpenAi | Wire::Ollama => "stop",
            Wire::Anthropic => "end_turn",
            Wire::Gemini => "STOP",
        }
    }

    fn length_word(&self) -> &'static str {
        match self.ask.wire {
            Wire::OpenAi | Wire::Ollama => "length",
            Wire::Anthropic => "max_tokens",
            Wire::Gemini => "MAX_TOKENS",
        }
    }

    fn close(&self, reason: &str, output: u64) -> Vec<Bytes> {
        let input = self.input_tokens();
        match self.ask.wire {
            Wire::OpenAi => {
                let usage = json!({"prompt_tokens": input, "completion_tokens": output,
                                   "total_tokens": input + output});
                let mut last = self.oa_chunk(&json!({}), Some(reason));
                let mut v = Vec::new();
                match self.ask.flavor.id {
                    // Mistral sends usage on the last chunk unasked; Groq in `x_groq`.
                    "mistral" => last["usage"] = usage.clone(),
                    "groq" => last["x_groq"] = json!({"id": "req_test", "usage": usage.clone()}),
                    _ => {}
                }
                v.push(sse(&last));
                if self.ask.include_usage && self.ask.flavor.id != "mistral" {
                    let mut u = self.oa_chunk(&json!({}), None);
                    u["choices"] = json!([]);
                    u["usage"] = usage;
                    v.push(sse(&u));
                }
                v.push(Bytes::from_static(b"data: [DONE]\n\n"));
                v
            }
            Wire::Anthropic => vec![
                Self::block_stop(self.text_index()),
                named(
                    "message_delta",
                    &json!({"type": "message_delta",
                            "delta": {"stop_reason": reason, "stop_sequence": null},
                            "usage": {"output_tokens": output}}),
                ),
                named("message_stop", &json!({"type": "message_stop"})),
            ],
            Wire::Gemini => vec![sse_crlf(&json!({
                "candidates": [{"content": {"parts": [{"text": ""}], "role": "model"},
                                "finishReason": reason, "index": 0}],
                "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output,
                                  "totalTokenCount": input + output},
                "modelVersion": self.ask.model}))],
            Wire::Ollama => vec![line(&json!({
                "model": self.ask.model, "created_at": "2025-01-01T00:00:01Z",
                "message": {"role": "assistant", "content": ""},
                "done_reason": reason, "done": true, "total_duration": 1_000_000,
                "load_duration": 1000, "prompt_eval_count": input, "prompt_eval_duration": 1000,
                "eval_count": output, "eval_duration": 1000}))],
        }
    }

    fn midstream_error(&self) -> Bytes {
        match self.ask.wire {
            Wire::OpenAi if self.ask.flavor.id == "openrouter" => {
                let mut v = self.oa_chunk(&json!({"content": ""}), Some("error"));
                v["error"] = json!({"code": 502, "message": "Provider returned error",
                                    "metadata": {"raw": "upstream overloaded", "provider_name": "TestProvider"}});
                sse(&v)
            }
            Wire::OpenAi => sse(&json!({"error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error", "param": null, "code": null}})),
            Wire::Anthropic => named(
                "error",
                &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
            Wire::Gemini => sse_crlf(&json!({"error": {"code": 503,
                "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}})),
            Wire::Ollama => line(
                &json!({"error": "an error was encountered while running the model: unexpected EOF"}),
            ),
        }
    }
}

/// A whole, non-streamed answer (for `stream: false`, or Gemini without `alt=sse`).
pub fn whole_answer(ask: &Ask<'_>, gemini_array: bool) -> Value {
    let text: String = ask.behaviour.tokens_for(ask.last_user).concat();
    let w = WireText::new(ask);
    let input = w.input_tokens();
    let output = count(ask.behaviour.tokens_for(ask.last_user).len());
    match ask.wire {
        Wire::OpenAi => json!({
            "id": w.id, "object": "chat.completion", "created": CREATED, "model": ask.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}}),
        Wire::Anthropic => json!({
            "id": w.id, "type": "message", "role": "assistant", "model": ask.model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": output}}),
        Wire::Gemini => {
            let one = json!({
                "candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output,
                                  "totalTokenCount": input + output},
                "modelVersion": ask.model});
            if gemini_array { json!([one]) } else { one }
        }
        Wire::Ollama => json!({
            "model": ask.model, "created_at": "2025-01-01T00:00:01Z",
            "message": {"role": "assistant", "content": text}, "done_reason": "stop", "done": true,
            "prompt_eval_count": input, "eval_count": output}),
    }
}

/// The kinds of refusal the server can script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    MissingKey,
    BadKey,
    RateLimited {
        retry_after: u64,
    },
    ContextTooLong,
    Overloaded,
    /// Anthropic: a browser request without `anthropic-dangerous-direct-browser-access`.
    AnthropicCors,
    /// Anthropic: no `anthropic-version` header.
    AnthropicVersion,
    /// Anthropic: no `max_tokens`.
    AnthropicMaxTokens,
    /// A strict schema (the Mistral-like route) saw a field it does not know.
    ExtraField(String),
    BadJson,
}

/// Status, extra headers and body of a refusal, in the provider's own shape.
// One arm per (provider, refusal): a table of wire shapes.
#[allow(clippy::too_many_lines)]
pub fn refusal(wire: Wire, r: &Refusal) -> (u16, Vec<(&'static str, String)>, Value) {
    let mut headers = Vec::new();
    let (status, body) = match (wire, r) {
        (Wire::OpenAi, Refusal::MissingKey) => (
            401,
            oa_err(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
                None,
            ),
        ),
        (Wire::OpenAi, Refusal::BadKey) => (
            401,
            oa_err(
                "Incorrect API key provided: te******ey. You can find your API key in your account settings.",
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
        ),
        (Wire::OpenAi, Refusal::RateLimited { .. }) => (
            429,
            oa_err(
                "Rate limit reached for requests. Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            ),
        ),
        (Wire::OpenAi, Refusal::ContextTooLong) => (
            400,
            oa_err(
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                Some("context_length_exceeded"),
            ),
        ),
        (Wire::OpenAi, Refusal::Overloaded) => (
            503,
            oa_err(
                "The engine is currently overloaded, please try again later.",
                "server_error",
                None,
            ),
        ),
        (Wire::OpenAi, Refusal::ExtraField(f)) => (
            422,
            json!({"detail": [{"type": "extra_forbidden", "loc": ["body", f], "msg": "Extra inputs are not permitted", "input": null}]}),
        ),
        (Wire::Anthropic, Refusal::MissingKey) => (
            401,
            an_err("authentication_error", "x-api-key header is required"),
        ),
        (Wire::Anthropic, Refusal::BadKey) => {
            (401, an_err("authentication_error", "invalid x-api-key"))
        }
        (Wire::Anthropic, Refusal::RateLimited { .. }) => (
            429,
            an_err(
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            ),
        ),
        (Wire::Anthropic, Refusal::ContextTooLong) => (
            400,
            an_err(
                "invalid_request_error",
                "prompt is too long: 210000 tokens > 200000 maximum",
            ),
        ),
        (Wire::Anthropic, Refusal::Overloaded) => (529, an_err("overloaded_error", "Overloaded")),
        (Wire::Anthropic, Refusal::AnthropicCors) => (
            401,
            an_err(
                "authentication_error",
                "CORS requests must set 'anthropic-dangerous-direct-browser-access' header",
            ),
        ),
        (Wire::Anthropic, Refusal::AnthropicVersion) => (
            400,
            an_err(
                "invalid_request_error",
                "anthropic-version: header is required",
            ),
        ),
        (Wire::Anthropic, Refusal::AnthropicMaxTokens) => (
            400,
            an_err("invalid_request_error", "max_tokens: Field required"),
        ),
        (Wire::Gemini, Refusal::MissingKey) => (
            403,
            json!({"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", "status": "PERMISSION_DENIED"}}),
        ),
        (Wire::Gemini, Refusal::BadKey) => (
            400,
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}),
        ),
        (Wire::Gemini, Refusal::RateLimited { retry_after }) => (
            429,
            json!({"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{retry_after}s")}]}}),
        ),
        (Wire::Gemini, Refusal::ContextTooLong) => (
            400,
            json!({"error": {"code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}),
        ),
        (Wire::Gemini, Refusal::Overloaded) => (
            503,
            json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}),
        ),
        (Wire::Ollama, Refusal::MissingKey | Refusal::BadKey) => {
            (401, json!({"error": "unauthorized"}))
        }
        (Wire::Ollama, Refusal::RateLimited { .. }) => (429, json!({"error": "too many requests"})),
        (Wire::Ollama, Refusal::ContextTooLong) => (
            400,
            json!({"error": "the input length exceeds the context length"}),
        ),
        (Wire::Ollama, Refusal::Overloaded) => (
            503,
            json!({"error": "server busy, please try again.  maximum pending requests exceeded"}),
        ),
        (_, Refusal::BadJson) => (
            400,
            json!({"error": {"message": "We could not parse the JSON body of your request.", "type": "invalid_request_error", "param": null, "code": null}}),
        ),
        (_, other) => (
            400,
            json!({"error": {"message": format!("{other:?}"), "type": "invalid_request_error"}}),
        ),
    };
    if let Refusal::RateLimited { retry_after } = r {
        headers.push(("retry-after", retry_after.to_string()));
    }
    (status, headers, body)
}

fn oa_err(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn an_err(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_test"})
}

/// The model names the server lists: one per behaviour.
pub const LISTED_MODELS: &[&str] = &[
    "echo",
    "slow-20",
    "stall",
    "pause",
    "midstream-error",
    "rate-limit",
    "bad-key",
    "context-too-long",
    "overloaded",
    "split",
    "keepalive",
    "reasoning",
];

/// A model list in the provider's shape.
pub fn model_list(wire: Wire) -> Value {
    match wire {
        Wire::OpenAi => json!({"object": "list", "data": LISTED_MODELS.iter().map(|m| json!({
            "id": m, "object": "model", "created": CREATED, "owned_by": "arena-testserver"})).collect::<Vec<_>>()}),
        Wire::Anthropic => json!({"data": LISTED_MODELS.iter().map(|m| json!({
            "type": "model", "id": m, "display_name": format!("Test {m}"),
            "created_at": "2025-01-01T00:00:00Z"})).collect::<Vec<_>>(),
            "has_more": false, "first_id": LISTED_MODELS[0], "last_id": LISTED_MODELS[LISTED_MODELS.len() - 1]}),
        Wire::Gemini => json!({"models": LISTED_MODELS.iter().map(|m| json!({
            "name": format!("models/{m}"), "displayName": format!("Test {m}"),
            "supportedGenerationMethods": ["generateContent", "countTokens"]})).collect::<Vec<_>>()}),
        Wire::Ollama => json!({"models": LISTED_MODELS.iter().map(|m| json!({
            "name": format!("{m}:latest"), "model": format!("{m}:latest"),
            "modified_at": "2025-01-01T00:00:00Z", "size": 1, "digest": "0",
            "details": {"format": "gguf", "family": "test"}})).collect::<Vec<_>>()}),
    }
}
