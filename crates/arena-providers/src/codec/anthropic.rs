//! Anthropic Messages (`POST /v1/messages`, `stream: true`).
//!
//! Named events: `message_start` (input usage), `content_block_start`,
//! `content_block_delta` with `text_delta` or `thinking_delta` (also `signature_delta` and
//! `input_json_delta`, which carry no text), `content_block_stop`, `message_delta`
//! (`stop_reason`, cumulative output usage), `message_stop`, `ping`, and `error` — which can
//! arrive after a 200, e.g. `overloaded_error`. Unknown event types are skipped, as the API
//! docs ask of clients.

use serde_json::{Map, Value, json};

use super::{count, put};
use crate::decode::Emit;
use crate::error::ErrorInfo;
use crate::sse::SseEvent;
use crate::{ChatRequest, FinishReason, ModelInfo, Role, Usage};

/// The `max_tokens` sent when the contestant sets none: the API requires the field.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u32 = 4096;

/// The API version header value this codec speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub(crate) fn chat_body(req: &ChatRequest) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": m.content})
        })
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    body.insert(
        "max_tokens".into(),
        req.max_tokens
            .unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS)
            .into(),
    );
    body.insert("messages".into(), messages.into());
    if let Some(system) = req.system.as_deref().filter(|s| !s.trim().is_empty()) {
        body.insert("system".into(), system.into());
    }
    put(&mut body, "temperature", req.temperature);
    put(&mut body, "top_p", req.top_p);
    body.insert("stream".into(), true.into());
    Value::Object(body)
}

fn input_usage(u: &Value) -> Option<u64> {
    let base = count(u.get("input_tokens"))?;
    // Cached prompt tokens are counted apart; the prompt is all of them.
    let cached = count(u.get("cache_creation_input_tokens")).unwrap_or(0)
        + count(u.get("cache_read_input_tokens")).unwrap_or(0);
    Some(base + cached)
}

pub(crate) fn on_sse(ev: &SseEvent, emit: &mut Emit<'_>) {
    let Ok(v) = serde_json::from_str::<Value>(&ev.data) else {
        emit.unreadable("an event that is not JSON");
        return;
    };
    // The `type` inside the data names the event too; prefer it, fall back to `event:`.
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(ev.event.as_str())
        .to_owned();
    match kind.as_str() {
        "message_start" => {
            if let Some(u) = v.get("message").and_then(|m| m.get("usage")) {
                emit.usage(Usage {
                    input: input_usage(u),
                    output: count(u.get("output_tokens")),
                });
            }
        }
        "content_block_start" => {
            if let Some(b) = v.get("content_block") {
                match b.get("type").and_then(Value::as_str) {
                    Some("text") => emit.text(str_at(b, "text")),
                    Some("thinking") => emit.reasoning(str_at(b, "thinking")),
                    _ => {}
                }
            }
        }
        "content_block_delta" => {
            if let Some(d) = v.get("delta") {
                match d.get("type").and_then(Value::as_str) {
                    Some("text_delta") => emit.text(str_at(d, "text")),
                    Some("thinking_delta") => emit.reasoning(str_at(d, "thinking")),
                    _ => {}
                }
            }
        }
        "message_delta" => {
            if let Some(reason) = v
                .get("delta")
                .and_then(|d| d.get("stop_reason"))
                .and_then(Value::as_str)
            {
                emit.finish(FinishReason::from_provider(reason));
            }
            if let Some(u) = v.get("usage") {
                emit.usage(Usage {
                    input: input_usage(u),
                    output: count(u.get("output_tokens")),
                });
            }
        }
        "message_stop" => emit.done(),
        "error" => match ErrorInfo::from_json(&v) {
            Some(info) => emit.error_info(&info),
            None => emit.unreadable("an error event without an error"),
        },
        // ping, content_block_stop, and whatever the API adds later.
        _ => {}
    }
}

/// A whole non-streamed message (`{"type":"message","content":[…],…}`).
pub(crate) fn on_message(v: &Value, emit: &mut Emit<'_>) {
    for block in v
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => emit.text(str_at(block, "text")),
            Some("thinking") => emit.reasoning(str_at(block, "thinking")),
            _ => {}
        }
    }
    if let Some(reason) = v.get("stop_reason").and_then(Value::as_str) {
        emit.finish(FinishReason::from_provider(reason));
    }
    if let Some(u) = v.get("usage") {
        emit.usage(Usage {
            input: input_usage(u),
            output: count(u.get("output_tokens")),
        });
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `GET /v1/models`: `{"data":[{"type":"model","id":…,"display_name":…}],"has_more":…}`.
pub(crate) fn parse_models(v: &Value) -> Option<Vec<ModelInfo>> {
    Some(
        v.get("data")?
            .as_array()?
            .iter()
            .filter_map(|m| {
                Some(ModelInfo {
                    id: m.get("id")?.as_str()?.to_owned(),
                    name: m
                        .get("display_name")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect(),
    )
}
