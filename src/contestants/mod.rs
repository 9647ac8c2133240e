//! Running a contestant: one answer, streamed, abortable.
//!
//! Every kind of contestant (provider API, local GGUF model) is started the same way and
//! reports the same [`Update`]s, so the battle page does not care which it is.

pub mod local;
mod remote;

use std::rc::Rc;

use arena_core::Message;
use arena_core::config::{Contestant, ProviderKind};
use arena_providers::{
    ApiKey, ChatRequest, Endpoint, ModelInfo, Preset, ProviderError, RequestError, Role, Wire,
};

use crate::llm::Pool;
use crate::llm::protocol::LoadProgress;

/// What a running answer reports, in order: a local model's loading progress (`None` once
/// it is loaded), text and reasoning, then `Done` or `Failed`.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Loading(Option<LoadProgress>),
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

    /// A request that could not even be built (no key, no model, a bad address): nothing was
    /// sent. The message names no provider, so a blind battle can show it as it is.
    pub fn from_request(e: &RequestError) -> Failure {
        let hint = match e {
            RequestError::MissingKey => {
                "Add this provider's key under API keys on the Models page."
            }
            RequestError::MissingModel => "Set the model on the Models page.",
            RequestError::BadBaseUrl => "Fix the base URL on the Models page.",
            RequestError::NoMessages => "",
        };
        Failure {
            kind: "setup".into(),
            message: e.to_string(),
            hint: hint.into(),
        }
    }

    /// The failure as a blind battle may show it before the vote. The message names no
    /// provider (`ProviderError`'s invariant), but a hint can (`OLLAMA_ORIGINS`, Anthropic's
    /// header), and that would give a contestant away; the specific fix stays on the Models
    /// page, where "Test connection" shows it.
    #[must_use]
    pub fn anonymous(&self) -> Failure {
        let message = if self.kind == UNAVAILABLE {
            "This contestant cannot run in this browser.".to_string()
        } else {
            self.message.clone()
        };
        Failure {
            kind: self.kind.clone(),
            message,
            hint: NEUTRAL_HINT.to_string(),
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

/// What a blind battle says to do about a failure, whoever the contestant is.
pub const NEUTRAL_HINT: &str =
    "Regenerate to try again, or test this contestant on the Models page.";

/// The failure kind of a contestant this build cannot run.
const UNAVAILABLE: &str = "unavailable";

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

    /// Runs `f` too when this is aborted (not when it is detached).
    fn also_on_abort(mut self, f: impl FnOnce() + 'static) -> Running {
        let first = self.abort.take();
        Running::new(move || {
            f();
            if let Some(g) = first {
                g();
            }
        })
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

/// How a contestant of `preset` is written in a config: its provider kind, and for
/// OpenAI-compatible services the preset id ([`preset_of`] reads it back).
pub fn kind_of(preset: Preset) -> (ProviderKind, Option<String>) {
    match preset {
        Preset::OpenAi => (ProviderKind::Openai, None),
        Preset::Anthropic => (ProviderKind::Anthropic, None),
        Preset::Gemini => (ProviderKind::Gemini, None),
        Preset::Ollama => (ProviderKind::Ollama, None),
        other => {
            debug_assert_eq!(other.info().wire, Wire::OpenAi);
            (ProviderKind::OpenaiCompatible, Some(other.id().to_string()))
        }
    }
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

/// The key a contestant's requests use. Keys are kept per preset (one OpenRouter key serves
/// every OpenRouter contestant) and per address: a contestant that speaks a preset's protocol
/// at another origin than the preset's own gets a key of its own, `preset@origin`, so a key
/// given for a provider is never sent to a host an arena config names instead.
pub fn key_name(c: &Contestant) -> Option<String> {
    preset_of(c).map(|p| key_name_for(p, c.base_url.as_deref()))
}

/// [`key_name`] for a preset at a base URL (`None` or empty: the preset's own address).
pub fn key_name_for(preset: Preset, base_url: Option<&str>) -> String {
    let own = origin(preset.info().default_base_url);
    match base_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(origin)
    {
        Some(o) if o != own => format!("{}@{o}", preset.id()),
        _ => preset.id().to_string(),
    }
}

/// "OpenAI", or "OpenAI at http://127.0.0.1:8000" for a key scoped to another address.
pub fn key_label(name: &str) -> String {
    let (id, at) = name
        .split_once('@')
        .map_or((name, None), |(i, o)| (i, Some(o)));
    let label = Preset::from_id(id).map_or(id, |p| p.info().label);
    at.map_or_else(|| label.to_string(), |o| format!("{label} at {o}"))
}

/// `scheme://host[:port]`, lower-cased.
fn origin(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url.as_str()));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// Starts one answer to `messages`; local contestants run in a worker of `local`.
pub fn start(
    c: &Contestant,
    key: Option<String>,
    messages: &[Message],
    local: Option<Rc<Pool>>,
    on_update: Rc<dyn Fn(Update)>,
) -> Running {
    if c.provider == ProviderKind::Local {
        return local::start(c, messages, local, on_update);
    }
    let Some(endpoint) = endpoint_of(c, key) else {
        on_update(Update::Failed(Failure {
            kind: UNAVAILABLE.into(),
            message: "This contestant's provider is unknown.".into(),
            hint: "Fix its provider on the Models page.".into(),
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
    let http = match endpoint.chat_request(&request) {
        Ok(h) => h,
        Err(e) => {
            on_update(Update::Failed(Failure::from_request(&e)));
            return Running::new(|| {});
        }
    };
    let idle = c
        .params
        .idle_timeout_secs
        .map(|s| std::time::Duration::from_secs(s.into()));
    let (on_update, cancel) = per_frame(on_update);
    remote::start(endpoint, http, idle, on_update).also_on_abort(cancel)
}

/// Text arriving faster than the screen refreshes (two streams at 200 tokens/s are 400
/// updates a second) is handed on once per animation frame, joined; each update re-renders an
/// answer, so this caps that work at the frame rate. The end of a stream (`Done`, `Failed`)
/// first hands on what is pending, then itself, at once: nothing waits for a frame that a
/// hidden tab would never paint. The second value drops what is pending, for an abort: text
/// of a stopped answer must not land in the next one a frame later. Loading progress is
/// batched the same way, only the newest kept.
pub fn per_frame(on_update: Rc<dyn Fn(Update)>) -> (Rc<dyn Fn(Update)>, impl FnOnce()) {
    #[derive(Default)]
    struct Pending {
        /// The newest loading progress, and whether it is new since the last flush.
        loading: Option<LoadProgress>,
        loading_changed: bool,
        text: String,
        reasoning: String,
        scheduled: bool,
        cancelled: bool,
    }
    fn flush(pending: &std::cell::RefCell<Pending>, on_update: &Rc<dyn Fn(Update)>) {
        let (loading, reasoning, text) = {
            let mut p = pending.borrow_mut();
            p.scheduled = false;
            (
                std::mem::take(&mut p.loading_changed).then(|| p.loading.take()),
                std::mem::take(&mut p.reasoning),
                std::mem::take(&mut p.text),
            )
        };
        if let Some(l) = loading {
            on_update(Update::Loading(l));
        }
        if !reasoning.is_empty() {
            on_update(Update::Reasoning(reasoning));
        }
        if !text.is_empty() {
            on_update(Update::Text(text));
        }
    }
    let pending = Rc::new(std::cell::RefCell::new(Pending::default()));
    let cancel = {
        let pending = pending.clone();
        move || {
            let mut p = pending.borrow_mut();
            p.cancelled = true;
            p.loading = None;
            p.loading_changed = false;
            p.text.clear();
            p.reasoning.clear();
        }
    };
    let batched = Rc::new(move |u: Update| match u {
        Update::Text(t) | Update::Reasoning(t) if t.is_empty() => {}
        Update::Text(_) | Update::Reasoning(_) | Update::Loading(_) => {
            let schedule = {
                let mut p = pending.borrow_mut();
                match u {
                    Update::Text(t) => p.text.push_str(&t),
                    Update::Reasoning(t) => p.reasoning.push_str(&t),
                    Update::Loading(l) => {
                        p.loading = l;
                        p.loading_changed = true;
                    }
                    _ => {}
                }
                !std::mem::replace(&mut p.scheduled, true)
            };
            if schedule {
                let (pending, on_update) = (pending.clone(), on_update.clone());
                leptos::prelude::request_animation_frame(move || flush(&pending, &on_update));
            }
        }
        end @ (Update::Done(_) | Update::Failed(_)) => {
            flush(&pending, &on_update);
            on_update(end);
        }
    });
    (batched, cancel)
}

/// The models a provider lists, for the Models page's picker.
pub async fn list_models(endpoint: &Endpoint) -> Result<Vec<ModelInfo>, Failure> {
    let http = endpoint
        .models_request()
        .map_err(|e| Failure::from_request(&e))?;
    remote::list_models(endpoint, &http)
        .await
        .map_err(|e| Failure::from_provider(&e))
}

/// The outcome of "Test connection", in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Reached, key accepted, model listed.
    Ok(String),
    /// Reached and accepted, but something looks off (the model is not listed).
    Warn(String),
    Failed(Failure),
}

/// Asks the provider for its model list: the smallest request that proves the address, the
/// CORS set-up and the key, without spending tokens.
/// A local contestant's check looks for its file in this browser, then on its server.
pub async fn test_connection(c: &Contestant, key: Option<String>) -> Check {
    if c.provider == ProviderKind::Local {
        return local::check(c).await;
    }
    let Some(endpoint) = endpoint_of(c, key) else {
        return Check::Failed(Failure {
            kind: UNAVAILABLE.into(),
            message: "This contestant's provider is unknown.".into(),
            hint: String::new(),
        });
    };
    match list_models(&endpoint).await {
        Err(f) => Check::Failed(f),
        Ok(models) => {
            let n = models.len();
            let listed = models.iter().any(|m| m.id == c.model);
            let count = if n == 1 {
                "1 model".to_string()
            } else {
                format!("{n} models")
            };
            if listed || n == 0 {
                Check::Ok(format!(
                    "Connected: {} answered and lists {count}{}.",
                    endpoint.base_url(),
                    if listed { ", including this one" } else { "" }
                ))
            } else {
                Check::Warn(format!(
                    "Connected to {}, but its list of {count} does not include “{}”. Check                      the model id (some servers accept ids they do not list).",
                    endpoint.base_url(),
                    c.model
                ))
            }
        }
    }
}
