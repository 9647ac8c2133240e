//! Running a contestant: one answer, streamed, abortable.
//!
//! Every kind of contestant (provider API now, local GGUF model later) is started the same
//! way and reports the same [`Update`]s, so the battle page does not care which it is.

mod remote;

use std::rc::Rc;

use arena_core::Message;
use arena_core::config::{Contestant, ProviderKind};
use arena_providers::{ApiKey, ChatRequest, Endpoint, Preset, ProviderError, Role};

/// What a running answer reports, in order: text and reasoning, then `Done` or `Failed`.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Text(String),
    Reasoning(String),
    Done(Option<String>),
    Failed(Failure),
}

/// A failure as the page shows it: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Stable kind (`bad_key`, `rate_limited`, …) for styling and tests.
    pub kind: String,
    pub message: String,
    pub hint: String,
}

impl Failure {
    pub fn from_provider(e: &ProviderError) -> Failure {
        Failure {
            kind: e.kind().as_str().to_string(),
            message: e.to_string(),
            hint: e.hint(),
        }
    }

    /// One sentence for the battle record of what went wrong.
    pub fn sentence(&self) -> String {
        if self.hint.is_empty() {
            self.message.clone()
        } else {
            format!("{} {}", self.message, self.hint)
        }
    }
}

/// A running answer. Dropping it (leaving the page, a new round) aborts the request.
pub struct Running {
    abort: Option<Box<dyn FnOnce()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("active", &self.abort.is_some())
            .finish()
    }
}

impl Running {
    fn new(abort: impl FnOnce() + 'static) -> Running {
        Running {
            abort: Some(Box::new(abort)),
        }
    }

    /// Forgets a request that has ended by itself, without aborting anything.
    pub fn detach(mut self) {
        self.abort = None;
    }

    /// Stops the request now.
    pub fn abort(mut self) {
        if let Some(f) = self.abort.take() {
            f();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(f) = self.abort.take() {
            f();
        }
    }
}

/// The provider preset a configured contestant speaks.
pub fn preset_of(c: &Contestant) -> Option<Preset> {
    Some(match c.provider {
        ProviderKind::Openai => Preset::OpenAi,
        ProviderKind::Anthropic => Preset::Anthropic,
        ProviderKind::Gemini => Preset::Gemini,
        ProviderKind::Ollama => Preset::Ollama,
        ProviderKind::OpenaiCompatible => c
            .preset
            .as_deref()
            .and_then(Preset::from_id)
            .or_else(|| c.base_url.as_deref().and_then(Preset::guess_from_base_url))
            .unwrap_or(Preset::Vllm),
        ProviderKind::Local => return None,
    })
}

/// The endpoint for a contestant, with its key when it needs one.
pub fn endpoint_of(c: &Contestant, key: Option<String>) -> Option<Endpoint> {
    let preset = preset_of(c)?;
    let mut ep = Endpoint::new(preset);
    if let Some(url) = &c.base_url {
        ep = ep.with_base_url(url.clone());
    }
    if let Some(k) = key {
        ep = ep.with_api_key(ApiKey::new(k));
    }
    Some(ep)
}

/// The key a contestant's requests use: keys are kept per preset (one OpenRouter key serves
/// every OpenRouter contestant).
pub fn key_name(c: &Contestant) -> Option<&'static str> {
    preset_of(c).map(Preset::id)
}

/// Starts one answer to `messages`.
pub fn start(
    c: &Contestant,
    key: Option<String>,
    messages: &[Message],
    on_update: Rc<dyn Fn(Update)>,
) -> Running {
    let Some(endpoint) = endpoint_of(c, key) else {
        on_update(Update::Failed(Failure {
            kind: "unavailable".into(),
            message: "Local models cannot run in this build yet.".into(),
            hint: "Add a provider contestant on the Models page, or use a build with the local \
                   engine."
                .into(),
        }));
        return Running::new(|| {});
    };
    let request = ChatRequest {
        model: c.model.clone(),
        messages: messages
            .iter()
            .map(|m| arena_providers::Message {
                role: if m.role == "assistant" {
                    Role::Assistant
                } else {
                    Role::User
                },
                content: m.content.clone(),
            })
            .collect(),
        system: c.params.system_prompt.clone(),
        temperature: c.params.temperature,
        top_p: c.params.top_p,
        max_tokens: c.params.max_tokens,
    };
    remote::start(endpoint, request, on_update)
}
