//! What a decoded response stream says, provider-neutral.

use crate::ProviderError;

/// One thing a response stream said.
///
/// A stream gives, in order: any number of [`StreamEvent::TextDelta`] and
/// [`StreamEvent::ReasoningDelta`], then either an [`StreamEvent::Error`] (and nothing more), or
/// at most one [`StreamEvent::Finish`], at most one [`StreamEvent::Usage`], and
/// [`StreamEvent::Done`]. Exactly one `Error` or `Done` ends every stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Answer text to append.
    TextDelta(String),
    /// Reasoning ("thinking") text, shown apart from the answer.
    ReasoningDelta(String),
    /// Why the model stopped.
    Finish(FinishReason),
    /// Token counts, as the provider reported them.
    Usage(Usage),
    /// The stream failed; no `Done` follows.
    Error(ProviderError),
    /// The answer is complete.
    Done,
}

/// Token counts. `output` includes reasoning tokens where the provider counts them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

/// Why generation stopped, normalised over providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// A natural end or a stop sequence.
    Stop,
    /// The token limit was reached: the answer is cut off.
    Length,
    /// A safety or content filter stopped it.
    ContentFilter,
    /// The model asked for a tool.
    ToolCalls,
    /// Something else; the provider's own word.
    Other(String),
}

impl FinishReason {
    /// Maps a provider's word (`stop`, `end_turn`, `MAX_TOKENS`, …).
    pub fn from_provider(word: &str) -> Self {
        match word {
            "stop" | "end_turn" | "stop_sequence" | "STOP" | "eos" => FinishReason::Stop,
            "length" | "max_tokens" | "MAX_TOKENS" | "model_length" => FinishReason::Length,
            "content_filter" | "refusal" | "SAFETY" | "RECITATION" | "BLOCKLIST"
            | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => FinishReason::ContentFilter,
            "tool_calls" | "tool_use" | "function_call" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}
