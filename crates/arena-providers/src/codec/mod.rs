//! The wire codecs: request bodies, stream events and model lists, one module per protocol.
//! Their serde types stay private to each module; the rest of the crate sees only
//! [`crate::StreamEvent`], [`crate::ModelInfo`] and JSON request bodies.

pub(crate) mod anthropic;
pub(crate) mod gemini;
pub(crate) mod ollama;
pub(crate) mod openai;

use serde_json::Value;

use crate::Wire;
use crate::decode::Emit;
use crate::sse::SseEvent;

/// The codec of a stream. The wire formats need no state between events: the order rules
/// live in [`Emit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Codec(pub Wire);

impl Codec {
    pub fn on_sse(self, ev: &SseEvent, emit: &mut Emit<'_>) {
        match self.0 {
            Wire::OpenAi => openai::on_sse(ev, emit),
            Wire::Anthropic => anthropic::on_sse(ev, emit),
            Wire::Gemini => gemini::on_sse(ev, emit),
            // Ollama's native API is NDJSON; an SSE body here is not its stream.
            Wire::Ollama => emit.unreadable("an event stream where NDJSON was expected"),
        }
    }

    pub fn on_line(self, line: &str, emit: &mut Emit<'_>) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => self.on_json(&v, emit),
            Err(_) => emit.unreadable("a line that is not JSON"),
        }
    }

    /// One JSON value: a streamed chunk or a whole non-streamed answer.
    pub fn on_json(self, v: &Value, emit: &mut Emit<'_>) {
        match self.0 {
            Wire::OpenAi => openai::on_chunk(v, emit),
            Wire::Anthropic => anthropic::on_message(v, emit),
            Wire::Gemini => match v {
                // Without `alt=sse` Gemini answers with a JSON array of chunks.
                Value::Array(items) => items.iter().for_each(|c| gemini::on_chunk(c, emit)),
                other => gemini::on_chunk(other, emit),
            },
            Wire::Ollama => ollama::on_line(v, emit),
        }
    }
}

/// Reads a JSON number as a token count.
pub(crate) fn count(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64)
}

/// Inserts optional sampling fields.
pub(crate) fn put<T: Into<Value>>(
    map: &mut serde_json::Map<String, Value>,
    key: &str,
    v: Option<T>,
) {
    if let Some(v) = v {
        map.insert(key.to_owned(), v.into());
    }
}
