//! Ollama's native `/api/chat`: one JSON object per line,
//! `{"message":{"role":"assistant","content":"…","thinking":"…"},"done":false}`, and a final
//! line with `"done": true`, `done_reason`, `prompt_eval_count` and `eval_count`. An error is
//! `{"error":"…"}`, as an error body or as a line mid-stream.

use serde_json::{Map, Value, json};

use super::{count, put};
use crate::decode::Emit;
use crate::error::ErrorInfo;
use crate::{ChatRequest, FinishReason, ModelInfo, Role, Usage};

pub(crate) fn chat_body(req: &ChatRequest) -> Value {
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
    let mut options = Map::new();
    put(&mut options, "temperature", req.temperature);
    put(&mut options, "top_p", req.top_p);
    put(&mut options, "num_predict", req.max_tokens);
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    body.insert("messages".into(), messages.into());
    body.insert("stream".into(), true.into());
    if !options.is_empty() {
        body.insert("options".into(), options.into());
    }
    Value::Object(body)
}

pub(crate) fn on_line(v: &Value, emit: &mut Emit<'_>) {
    if v.get("error").is_some()
        && let Some(info) = ErrorInfo::from_json(v)
    {
        emit.error_info(&info);
        return;
    }
    if let Some(m) = v.get("message") {
        if let Some(t) = m.get("thinking").and_then(Value::as_str) {
            emit.reasoning(t);
        }
        if let Some(t) = m.get("content").and_then(Value::as_str) {
            emit.text(t);
        }
    }
    if v.get("done").and_then(Value::as_bool) == Some(true) {
        let reason = v
            .get("done_reason")
            .and_then(Value::as_str)
            .unwrap_or("stop");
        emit.finish(FinishReason::from_provider(reason));
        emit.usage(Usage {
            input: count(v.get("prompt_eval_count")),
            output: count(v.get("eval_count")),
        });
        emit.done();
    }
}

/// `GET /api/tags`: `{"models":[{"name":"llama3.2:latest","model":…,"details":{…}}]}`.
pub(crate) fn parse_models(v: &Value) -> Option<Vec<ModelInfo>> {
    Some(
        v.get("models")?
            .as_array()?
            .iter()
            .filter_map(|m| {
                let id = m.get("name").or_else(|| m.get("model"))?.as_str()?;
                Some(ModelInfo {
                    id: id.to_owned(),
                    name: None,
                })
            })
            .collect(),
    )
}
