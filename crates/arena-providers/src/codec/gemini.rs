//! Gemini `streamGenerateContent?alt=sse`.
//!
//! Data-only SSE: each event is a `GenerateContentResponse` with text in
//! `candidates[0].content.parts[].text` (parts marked `"thought": true` are reasoning),
//! `finishReason` on the last one, and cumulative `usageMetadata`. There is no end marker:
//! the end of the body is the end of the stream, and it is complete only if a finish reason
//! came. A blocked prompt has no candidates but `promptFeedback.blockReason`.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{count, put};
use crate::decode::Emit;
use crate::error::ErrorInfo;
use crate::sse::SseEvent;
use crate::{ChatRequest, FinishReason, ModelInfo, Role, Usage};

pub(crate) fn chat_body(req: &ChatRequest) -> Value {
    let contents: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "model",
            };
            json!({"role": role, "parts": [{"text": m.content}]})
        })
        .collect();
    let mut body = Map::new();
    body.insert("contents".into(), contents.into());
    if let Some(system) = req.system.as_deref().filter(|s| !s.trim().is_empty()) {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": system}]}),
        );
    }
    let mut config = Map::new();
    put(&mut config, "temperature", req.temperature);
    put(&mut config, "topP", req.top_p);
    put(&mut config, "maxOutputTokens", req.max_tokens);
    if !config.is_empty() {
        body.insert("generationConfig".into(), config.into());
    }
    Value::Object(body)
}

/// The path segment for a model: `models/{id}`, or a tuned model's own `tunedModels/{id}`.
/// The id is percent-encoded so it cannot change the path or add a query.
pub(crate) fn model_path(model: &str) -> String {
    let (collection, id) = if let Some(id) = model.strip_prefix("tunedModels/") {
        ("tunedModels", id)
    } else {
        ("models", model.strip_prefix("models/").unwrap_or(model))
    };
    let mut out = String::with_capacity(collection.len() + 1 + id.len());
    out.push_str(collection);
    out.push('/');
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub(crate) fn on_sse(ev: &SseEvent, emit: &mut Emit<'_>) {
    if ev.data.trim().is_empty() {
        return;
    }
    match serde_json::from_str::<Value>(&ev.data) {
        Ok(v) => on_chunk(&v, emit),
        Err(_) => emit.unreadable("an event that is not JSON"),
    }
}

pub(crate) fn on_chunk(v: &Value, emit: &mut Emit<'_>) {
    if v.get("error").is_some()
        && let Some(info) = ErrorInfo::from_json(v)
    {
        emit.error_info(&info);
        return;
    }
    let candidate = v
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    if let Some(c) = candidate {
        let parts = c
            .get("content")
            .and_then(|ct| ct.get("parts"))
            .and_then(Value::as_array);
        for part in parts.into_iter().flatten() {
            if let Some(t) = part.get("text").and_then(Value::as_str) {
                if part.get("thought").and_then(Value::as_bool) == Some(true) {
                    emit.reasoning(t);
                } else {
                    emit.text(t);
                }
            }
        }
        if let Some(reason) = c
            .get("finishReason")
            .and_then(Value::as_str)
            .filter(|r| *r != "FINISH_REASON_UNSPECIFIED")
        {
            emit.finish(FinishReason::from_provider(reason));
        }
    } else if v
        .get("promptFeedback")
        .and_then(|p| p.get("blockReason"))
        .is_some()
    {
        emit.finish(FinishReason::ContentFilter);
    }
    if let Some(u) = v.get("usageMetadata") {
        let candidates = count(u.get("candidatesTokenCount"));
        let thoughts = count(u.get("thoughtsTokenCount"));
        emit.usage(Usage {
            input: count(u.get("promptTokenCount")),
            output: match (candidates, thoughts) {
                (None, None) => None,
                (c, t) => Some(c.unwrap_or(0) + t.unwrap_or(0)),
            },
        });
    }
}

/// `GET {base}/models`: `{"models":[{"name":"models/…","displayName":…,
/// "supportedGenerationMethods":[…]}]}`; only models that can generate content are kept.
pub(crate) fn parse_models(v: &Value) -> Option<Vec<ModelInfo>> {
    Some(
        v.get("models")?
            .as_array()?
            .iter()
            .filter(|m| {
                m.get("supportedGenerationMethods")
                    .and_then(Value::as_array)
                    .is_none_or(|ms| ms.iter().any(|x| x.as_str() == Some("generateContent")))
            })
            .filter_map(|m| {
                let name = m.get("name")?.as_str()?;
                Some(ModelInfo {
                    id: name.strip_prefix("models/").unwrap_or(name).to_owned(),
                    name: m
                        .get("displayName")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_path_encodes_what_could_escape_the_path() {
        assert_eq!(model_path("gemini-2.5-flash"), "models/gemini-2.5-flash");
        assert_eq!(
            model_path("models/gemini-2.0-flash"),
            "models/gemini-2.0-flash"
        );
        assert_eq!(model_path("tunedModels/my-model"), "tunedModels/my-model");
        assert_eq!(model_path("a/b?key=x#y"), "models/a%2Fb%3Fkey%3Dx%23y");
    }
}
