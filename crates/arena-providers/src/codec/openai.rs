//! OpenAI chat completions and the servers that copy it.
//!
//! Stream: `data: {chunk}` events, text in `choices[0].delta.content`, DeepSeek's (and vLLM's)
//! `reasoning_content` or OpenRouter's `reasoning` beside it, `finish_reason` on the last
//! choice chunk, usage in a final chunk with empty `choices` (only when
//! `stream_options.include_usage` was sent; Groq also puts it in `x_groq.usage`), then
//! `data: [DONE]`. Errors come as `{"error":{…}}`, as the body of an error status or as a
//! `data:` line mid-stream; OpenRouter sends them in a 200 stream beside `finish_reason:
//! "error"`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{count, put};
use crate::decode::Emit;
use crate::error::ErrorInfo;
use crate::sse::SseEvent;
use crate::{ChatRequest, FinishReason, ModelInfo, PresetInfo, Role, Usage};

pub(crate) fn chat_body(info: &PresetInfo, req: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if let Some(system) = req.system.as_deref().filter(|s| !s.trim().is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &req.messages {
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({"role": role, "content": m.content}));
    }
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    body.insert("messages".into(), messages.into());
    body.insert("stream".into(), true.into());
    if info.stream_options {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    put(&mut body, "temperature", req.temperature);
    put(&mut body, "top_p", req.top_p);
    put(&mut body, info.max_tokens_field, req.max_tokens);
    Value::Object(body)
}

pub(crate) fn on_sse(ev: &SseEvent, emit: &mut Emit<'_>) {
    let data = ev.data.trim();
    if data.is_empty() {
        return;
    }
    if data == "[DONE]" {
        emit.done();
        return;
    }
    if ev.event != "error" && fast_chunk(data, emit) {
        return;
    }
    match serde_json::from_str::<Value>(data) {
        // An `event: error` carries either a wrapped `{"error":{…}}` or the object itself.
        Ok(v) if ev.event == "error" => {
            let info = match v.get("error") {
                Some(_) => ErrorInfo::from_json(&v),
                None => None,
            };
            emit.error_info(&info.unwrap_or_else(|| ErrorInfo::from_fields(&v)));
        }
        Ok(v) => on_chunk(&v, emit),
        Err(_) => emit.unreadable("an event that is not JSON"),
    }
}

/// The common chunk, read without building a JSON tree (strings borrowed where unescaped).
/// Anything it does not cover — an error, odd types — goes the general way.
#[derive(Deserialize)]
struct FastChunk<'a> {
    #[serde(default, borrow)]
    choices: Option<Vec<FastChoice<'a>>>,
    #[serde(default)]
    usage: Option<FastUsage>,
    #[serde(default)]
    x_groq: Option<FastXGroq>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct FastChoice<'a> {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, borrow)]
    delta: Option<FastDelta<'a>>,
    #[serde(default, borrow)]
    message: Option<FastDelta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct FastDelta<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct FastUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct FastXGroq {
    #[serde(default)]
    usage: Option<FastUsage>,
}

/// Handles a chunk on the fast path; `false` when it must go the general way.
fn fast_chunk(data: &str, emit: &mut Emit<'_>) -> bool {
    let Ok(c) = serde_json::from_str::<FastChunk<'_>>(data) else {
        return false;
    };
    if c.error.is_some() {
        return false;
    }
    if let Some(choice) = c
        .choices
        .as_deref()
        .and_then(|cs| cs.iter().find(|c| c.index.unwrap_or(0) == 0))
    {
        if let Some(d) = choice.delta.as_ref().or(choice.message.as_ref()) {
            if let Some(r) = d.reasoning_content.as_deref().or(d.reasoning.as_deref()) {
                emit.reasoning(r);
            }
            if let Some(t) = d.content.as_deref() {
                emit.text(t);
            }
        }
        if let Some(reason) = choice.finish_reason.as_deref() {
            emit.finish(FinishReason::from_provider(reason));
        }
    }
    if let Some(u) = c.usage.or_else(|| c.x_groq.and_then(|x| x.usage)) {
        emit.usage(Usage {
            input: u.prompt_tokens,
            output: u.completion_tokens,
        });
    }
    true
}

/// A stream chunk, or a whole non-streamed completion (`message` instead of `delta`).
pub(crate) fn on_chunk(v: &Value, emit: &mut Emit<'_>) {
    if v.get("error").is_some_and(|e| !e.is_null())
        && let Some(info) = ErrorInfo::from_json(v)
    {
        emit.error_info(&info);
        return;
    }
    let choice = v.get("choices").and_then(Value::as_array).and_then(|cs| {
        cs.iter()
            .find(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0)
    });
    if let Some(choice) = choice {
        let delta = choice.get("delta").or_else(|| choice.get("message"));
        if let Some(d) = delta {
            for key in ["reasoning_content", "reasoning"] {
                if let Some(r) = d.get(key).and_then(Value::as_str) {
                    emit.reasoning(r);
                    break;
                }
            }
            if let Some(t) = d.get("content").and_then(Value::as_str) {
                emit.text(t);
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            emit.finish(FinishReason::from_provider(reason));
        }
    }
    let usage = v
        .get("usage")
        .filter(|u| !u.is_null())
        .or_else(|| v.get("x_groq").and_then(|x| x.get("usage")));
    if let Some(u) = usage {
        emit.usage(Usage {
            input: count(u.get("prompt_tokens")),
            output: count(u.get("completion_tokens")),
        });
    }
    // A non-streamed completion has no `[DONE]`: its end is the end of the body.
}

/// `GET {base}/models`: `{"object":"list","data":[{"id":…}]}`; Together answers with a bare
/// array and a `type` per model (only chat models are kept).
pub(crate) fn parse_models(v: &Value) -> Option<Vec<ModelInfo>> {
    let items = match v {
        Value::Array(a) => a,
        other => other.get("data")?.as_array()?,
    };
    Some(
        items
            .iter()
            .filter(|m| {
                m.get("type")
                    .and_then(Value::as_str)
                    .is_none_or(|t| matches!(t, "chat" | "language" | "code" | "model"))
            })
            .filter_map(|m| {
                Some(ModelInfo {
                    id: m.get("id")?.as_str()?.to_owned(),
                    name: m
                        .get("name")
                        .or_else(|| m.get("display_name"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect(),
    )
}
