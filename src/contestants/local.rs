//! Local contestants: a GGUF model answering in a worker of the app's [`Pool`], reported as
//! the same [`Update`]s as a provider's stream (with [`Update::Loading`] while the model
//! loads), so battles, side by side and direct chat run them like any other contestant.

use std::rc::Rc;

use arena_core::Message;
use arena_core::config::Contestant;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{Check, Failure, Running, Update, per_frame};
use crate::llm::Pool;
use crate::llm::cache;
use crate::llm::protocol::{
    ChatMessage, DEVICE_CPU, GenStats, LlmError, Loaded, Response, Sampling, Source, megabytes,
};

/// Sampling defaults where the contestant sets none (llama.cpp's, about).
const DEFAULT_TEMPERATURE: f32 = 0.7;
const DEFAULT_MAX_TOKENS: u32 = 256;

/// The failure the page shows; the message names neither model nor file (blind battles show
/// it before the vote), the hint (replaced there by a neutral one) does.
pub fn failure(e: &LlmError, url: &str) -> Failure {
    Failure {
        kind: e.kind().to_string(),
        message: e.to_string(),
        hint: e.hint(url),
    }
}

fn missing_url() -> Failure {
    Failure {
        kind: "setup".into(),
        message: "This local contestant has no model file.".into(),
        hint: "Set its gguf_url in arena.json.".into(),
    }
}

/// The request for `messages`: the contestant's system prompt first, then the turns.
pub fn chat_messages(c: &Contestant, messages: &[Message]) -> Vec<ChatMessage> {
    c.params
        .system_prompt
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| ChatMessage {
            role: "system".into(),
            content: s.clone(),
        })
        .chain(messages.iter().map(|m| ChatMessage {
            role: if m.role == "assistant" {
                "assistant".into()
            } else {
                "user".into()
            },
            content: m.content.clone(),
        }))
        .collect()
}

/// The contestant's sampling parameters, with defaults, and a fresh seed.
pub fn sampling(c: &Contestant, seed: u64) -> Sampling {
    #[allow(clippy::cast_possible_truncation)] // parameters are small
    Sampling {
        max_tokens: c.params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        temperature: c
            .params
            .temperature
            .map_or(DEFAULT_TEMPERATURE, |t| t as f32),
        top_p: c.params.top_p.map_or(0.95, |p| p as f32),
        seed,
        ..Sampling::default()
    }
}

/// Starts one answer with the contestant's model.
pub fn start(
    c: &Contestant,
    messages: &[Message],
    pool: Option<Rc<Pool>>,
    on_update: Rc<dyn Fn(Update)>,
) -> Running {
    let Some(file_url) = c.gguf_url.clone() else {
        on_update(Update::Failed(missing_url()));
        return Running::new(|| {});
    };
    let Some(pool) = pool else {
        on_update(Update::Failed(Failure {
            kind: super::UNAVAILABLE.into(),
            message: "Local models cannot run on this page.".into(),
            hint: String::new(),
        }));
        return Running::new(|| {});
    };
    let seed = crate::browser::random::seed();
    let seed = u64::from_le_bytes([
        seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7],
    ]);
    let (on_update, cancel) = per_frame(on_update);
    let listener = Rc::new(move |r: Response| match r {
        Response::Progress { progress, .. } => on_update(Update::Loading(Some(progress))),
        Response::Loaded { loaded, .. } => {
            log_load(&loaded);
            on_update(Update::Loading(None));
        }
        Response::Started { .. } | Response::Ready => {}
        Response::Token { text, .. } => on_update(Update::Text(text)),
        Response::Done { finish, stats, .. } => {
            log_answer(&stats);
            on_update(Update::Done(Some(finish.word().to_string())));
        }
        Response::Failed { error, .. } => on_update(Update::Failed(failure(&error, &file_url))),
    });
    let job = pool.generate(
        &cache::absolute(c.gguf_url.as_deref().unwrap_or_default()),
        chat_messages(c, messages),
        sampling(c, seed),
        listener,
    );
    Running::new(move || job.stop()).also_on_abort(cancel)
}

/// Where a model came from, in words.
pub fn source_word(s: Source) -> &'static str {
    match s {
        Source::Network => "the network",
        Source::Cache => "this browser's storage",
        Source::File => "a picked file",
    }
}

fn log_load(l: &Loaded) {
    if l.bytes == 0 {
        return; // already held by its worker
    }
    web_sys::console::info_1(
        &format!(
            "[local model] loaded {} from {} in {:.0} ms (of which {:.0} ms preparing){}",
            megabytes(l.bytes),
            source_word(l.source),
            l.load_ms,
            l.prepare_ms,
            l.cache_note
                .as_deref()
                .map_or(String::new(), |n| format!(" (not kept: {n})"))
        )
        .into(),
    );
}

fn log_answer(s: &GenStats) {
    web_sys::console::info_1(
        &format!(
            "[local model] prompt {} tokens read in {:.0} ms · first token after {:.0} ms · {} \
             tokens at {:.1} tokens/s · worker heap {} MiB",
            s.prompt_tokens,
            s.prefill_ms,
            s.first_token_ms,
            s.tokens,
            s.tokens_per_s(),
            s.heap_bytes >> 20
        )
        .into(),
    );
}

/// "Test connection" for a local contestant: is the file stored here, or can it be fetched?
pub async fn check(c: &Contestant) -> Check {
    let Some(file_url) = c.gguf_url.as_deref() else {
        return Check::Failed(missing_url());
    };
    let url = cache::absolute(file_url);
    let runs = format!("runs on the {DEVICE_CPU}");
    if let Some(cache) = cache::open().await
        && let Some(r) = cache::lookup(&cache, &url).await
    {
        let size = r
            .headers()
            .get(cache::SIZE_HEADER)
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .map_or_else(String::new, |b| format!(" ({})", megabytes(b)));
        return Check::Ok(format!("Stored in this browser{size}; {runs}."));
    }
    let init = web_sys::RequestInit::new();
    init.set_method("HEAD");
    init.set_cache(web_sys::RequestCache::NoStore);
    let window = leptos::prelude::window();
    match JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await {
        Err(e) => Check::Failed(failure(
            &LlmError::Network {
                detail: cache::describe(&e),
            },
            file_url,
        )),
        Ok(r) => {
            let r: web_sys::Response = r.unchecked_into();
            if !r.ok() {
                return Check::Failed(failure(&LlmError::Http { status: r.status() }, file_url));
            }
            let size = r
                .headers()
                .get("content-length")
                .ok()
                .flatten()
                .and_then(|v| v.parse::<u64>().ok())
                .map_or_else(String::new, |b| {
                    format!(" ({} to download once)", megabytes(b))
                });
            Check::Ok(format!("The model file is reachable{size}; {runs}."))
        }
    }
}

/// A model file the Models page lists: used by contestants, stored in this browser, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// Absolute URL, the cache's key.
    pub url: String,
    /// As the config writes it (relative URLs stay relative); the absolute URL for a stored
    /// file no contestant uses.
    pub shown: String,
    /// Names of the contestants that use it.
    pub used_by: Vec<String>,
    /// Its size, when stored.
    pub stored: Option<Option<u64>>,
}

/// The local contestants' files joined with the stored ones (`absolute` resolves a config
/// URL against the page), contestants' files first, in config order.
pub fn model_files(
    contestants: &[Contestant],
    stored: &[cache::CachedModel],
    absolute: impl Fn(&str) -> String,
) -> Vec<ModelFile> {
    let mut files: Vec<ModelFile> = Vec::new();
    for c in contestants {
        let Some(u) = c.gguf_url.as_deref() else {
            continue;
        };
        let url = absolute(u);
        match files.iter_mut().find(|f| f.url == url) {
            Some(f) => f.used_by.push(c.name.clone()),
            None => files.push(ModelFile {
                url,
                shown: u.to_string(),
                used_by: vec![c.name.clone()],
                stored: None,
            }),
        }
    }
    for s in stored {
        match files.iter_mut().find(|f| f.url == s.url) {
            Some(f) => f.stored = Some(s.bytes),
            None => files.push(ModelFile {
                url: s.url.clone(),
                shown: s.url.clone(),
                used_by: Vec::new(),
                stored: Some(s.bytes),
            }),
        }
    }
    files
}
