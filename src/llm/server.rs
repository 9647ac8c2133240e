//! The worker's side: holds one model and answers with it. Runs only inside the local-model
//! worker module (`src/bin/llm_worker.rs`), so only that module links the engine.
//!
//! Loads and generations run one at a time, in the order they came; `Stop` is handled at
//! once. A generation hands control back to the worker's event loop after every token (a
//! `MessageChannel` round trip, which unlike `setTimeout` is never clamped), so a `Stop`
//! that arrived meanwhile is seen before the next token is computed.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use arena_llm::generate::Finish as EngineFinish;
use arena_llm::model::ModelError;
use arena_llm::{Engine, EngineError, GenerateParams, Message, SamplerConfig, Step};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

use super::assemble::gguf_error;
use super::cache;
use super::load::{Stopper, read_model};
use super::protocol::{
    ChatMessage, DEVICE_CPU, Finish, GenStats, LlmError, LoadPhase, LoadProgress, Loaded, Request,
    Response, Sampling, Source,
};

#[derive(Default)]
struct State {
    /// The model this worker holds, by URL.
    model: Option<(String, Rc<Engine>)>,
    /// Loads and generations waiting their turn.
    queue: VecDeque<(Request, Option<File>)>,
    /// Whether the queue is being worked through.
    busy: bool,
    /// Requests stopped by the page (before they started, or while they run).
    stopped: HashSet<u64>,
    /// The read in progress, and the request it is for.
    reading: Option<(u64, Rc<Stopper>)>,
}

type Shared = Rc<RefCell<State>>;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

fn post(response: &Response) {
    match serde_json::to_string(response) {
        Ok(text) => {
            let _ = scope().post_message(&JsValue::from_str(&text));
        }
        Err(e) => {
            web_sys::console::error_1(&format!("llm worker: unserialisable answer: {e}").into());
        }
    }
}

/// Starts answering messages; called by the worker binary's `main`.
pub fn run() {
    let state: Shared = Rc::default();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let text = js_sys::Reflect::get(&data, &"msg".into())
            .ok()
            .and_then(|v| v.as_string());
        let file = js_sys::Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|v| v.dyn_into::<File>().ok());
        let Some(request) = text.and_then(|t| serde_json::from_str::<Request>(&t).ok()) else {
            web_sys::console::error_1(&"llm worker: a message that is not a request".into());
            return;
        };
        if let Request::Stop { id } = request {
            let reading = {
                let mut s = state.borrow_mut();
                s.stopped.insert(id);
                s.reading.clone().filter(|(r, _)| *r == id)
            };
            // A download it started ends now too (nothing of it is stored).
            if let Some((_, stopper)) = reading {
                stopper.stop();
            }
            return;
        }
        let start = {
            let mut s = state.borrow_mut();
            s.queue.push_back((request, file));
            !std::mem::replace(&mut s.busy, true)
        };
        if start {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move { work(&state).await });
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its page keeps it; so does the handler.
    on_message.forget();
    post(&Response::Ready);
}

/// Works through the queue until it is empty.
async fn work(state: &Shared) {
    loop {
        let next = state.borrow_mut().queue.pop_front();
        let Some((request, file)) = next else {
            state.borrow_mut().busy = false;
            return;
        };
        match request {
            Request::Load { id, url, from_file } => {
                let file = if from_file { file } else { None };
                if from_file && file.is_none() {
                    post(&Response::Failed {
                        id,
                        error: LlmError::Storage {
                            detail: "no file came with the request".into(),
                        },
                    });
                    continue;
                }
                if let Err(error) = ensure(state, id, &url, file, true).await {
                    post(&Response::Failed { id, error });
                }
                state.borrow_mut().stopped.remove(&id);
            }
            Request::Generate {
                id,
                url,
                messages,
                params,
            } => {
                // A generation stopped before it began (while its model loaded, say) still
                // answers `Done`, so the page knows the worker is past it.
                if is_stopped(state, id) {
                    post(&stopped_before_start(id));
                } else {
                    match ensure(state, id, &url, None, false).await {
                        Ok(_) if is_stopped(state, id) => post(&stopped_before_start(id)),
                        Ok(engine) => generate(state, id, &engine, &messages, &params).await,
                        Err(error) => post(&Response::Failed { id, error }),
                    }
                }
                state.borrow_mut().stopped.remove(&id);
            }
            Request::Stop { .. } => {}
        }
    }
}

/// The engine for `url`: the one held, or a newly loaded one (always, for a picked file).
async fn ensure(
    state: &Shared,
    id: u64,
    url: &str,
    file: Option<File>,
    announce_held: bool,
) -> Result<Rc<Engine>, LlmError> {
    if file.is_none() {
        let held = state
            .borrow()
            .model
            .as_ref()
            .filter(|(u, _)| u == url)
            .map(|(_, e)| e.clone());
        if let Some(engine) = held {
            if announce_held {
                post(&Response::Loaded {
                    id,
                    loaded: Loaded {
                        source: Source::Cache,
                        bytes: 0,
                        load_ms: 0.0,
                        prepare_ms: 0.0,
                        cached: true,
                        cache_note: None,
                        device: DEVICE_CPU.into(),
                    },
                });
            }
            return Ok(engine);
        }
    }
    // One model per worker: free the old one before the new one needs the memory.
    state.borrow_mut().model = None;
    let t0 = now();
    let report = |progress| post(&Response::Progress { id, progress });
    let stopper = Rc::new(Stopper::default());
    state.borrow_mut().reading = Some((id, stopper.clone()));
    if is_stopped(state, id) {
        stopper.stop();
    }
    let read = read_model(url, file, &report, &stopper).await;
    state.borrow_mut().reading = None;
    let read = read?;
    let bytes = read.bytes.len() as u64;
    post(&Response::Progress {
        id,
        progress: LoadProgress {
            source: read.source,
            phase: LoadPhase::Preparing,
            loaded: bytes,
            total: Some(bytes),
        },
    });
    let t1 = now();
    let engine = match Engine::from_bytes(read.bytes) {
        Ok(e) => Rc::new(e),
        Err(e) => {
            // A file the engine refuses must not be served from the cache next time.
            if read.cached {
                let _ = cache::delete(url).await;
            }
            return Err(engine_error(e));
        }
    };
    state.borrow_mut().model = Some((url.to_string(), engine.clone()));
    post(&Response::Loaded {
        id,
        loaded: Loaded {
            source: read.source,
            bytes,
            load_ms: now() - t0,
            prepare_ms: now() - t1,
            cached: read.cached,
            cache_note: read.cache_note,
            device: DEVICE_CPU.into(),
        },
    });
    Ok(engine)
}

fn engine_error(e: EngineError) -> LlmError {
    match e {
        EngineError::Model(ModelError::Gguf(g)) => gguf_error(&g),
        EngineError::Model(ModelError::Architecture(a)) => LlmError::Unsupported {
            detail: format!("architecture {a:?}"),
        },
        EngineError::Model(m) => LlmError::Damaged {
            detail: m.to_string(),
        },
        EngineError::Tokenizer(t) => LlmError::Unsupported {
            detail: t.to_string(),
        },
        EngineError::Template(t) => LlmError::Unsupported {
            detail: t.to_string(),
        },
        EngineError::PromptTooLong { prompt, ctx } => LlmError::PromptTooLong { prompt, ctx },
    }
}

fn stopped_before_start(id: u64) -> Response {
    Response::Done {
        id,
        finish: Finish::Stopped,
        stats: GenStats {
            prompt_tokens: 0,
            tokens: 0,
            prefill_ms: 0.0,
            first_token_ms: 0.0,
            decode_ms: 0.0,
            heap_bytes: heap_bytes(),
        },
    }
}

fn is_stopped(state: &Shared, id: u64) -> bool {
    state.borrow().stopped.contains(&id)
}

/// Answers `messages`, posting text as it becomes printable.
async fn generate(
    state: &Shared,
    id: u64,
    engine: &Engine,
    messages: &[ChatMessage],
    params: &Sampling,
) {
    let t0 = now();
    let messages: Vec<Message> = messages
        .iter()
        .map(|m| Message::new(&m.role, &m.content))
        .collect();
    let prompt = match engine.chat_tokens(&messages) {
        Ok(p) => p,
        Err(e) => {
            post(&Response::Failed {
                id,
                error: engine_error(e),
            });
            return;
        }
    };
    let max_tokens = params.max_tokens.max(1) as usize;
    let gen_params = GenerateParams {
        max_tokens,
        sampler: SamplerConfig {
            temperature: params.temperature,
            top_k: params.top_k as usize,
            top_p: params.top_p,
            repetition_penalty: params.repetition_penalty,
            seed: params.seed,
            ..SamplerConfig::default()
        },
        stop: Vec::new(),
        // The KV cache holds this answer and no more (each turn reads the whole conversation).
        n_ctx: prompt.len() + max_tokens + 1,
    };
    let mut generation = match engine.start(&prompt, &gen_params) {
        Ok(g) => g,
        Err(e) => {
            post(&Response::Failed {
                id,
                error: engine_error(e),
            });
            return;
        }
    };
    let prefill_ms = now() - t0;
    post(&Response::Started {
        id,
        prompt_tokens: prompt.len(),
    });
    let mut first_token_ms = None;
    let mut first_at = 0.0;
    let finish = loop {
        // Let the event loop run: a `Stop` posted meanwhile is handled now.
        yield_now().await;
        if is_stopped(state, id) {
            break Finish::Stopped;
        }
        match generation.step() {
            Ok(Step::Token { text, .. }) => {
                if first_token_ms.is_none() {
                    first_at = now();
                    first_token_ms = Some(first_at - t0);
                }
                if !text.is_empty() {
                    post(&Response::Token { id, text });
                }
            }
            Ok(Step::Done(f)) => {
                break match f {
                    EngineFinish::EndOfTurn | EngineFinish::Stop => Finish::Stop,
                    EngineFinish::Length => Finish::Length,
                    EngineFinish::ContextFull => Finish::ContextFull,
                };
            }
            Err(e) => {
                post(&Response::Failed {
                    id,
                    error: LlmError::Engine {
                        detail: e.to_string(),
                    },
                });
                return;
            }
        }
    };
    if finish != Finish::Stopped {
        let rest = generation.flush();
        if !rest.is_empty() {
            post(&Response::Token { id, text: rest });
        }
    }
    let tokens = generation.tokens().len();
    post(&Response::Done {
        id,
        finish,
        stats: GenStats {
            prompt_tokens: prompt.len(),
            tokens,
            prefill_ms,
            first_token_ms: first_token_ms.unwrap_or(0.0),
            decode_ms: if first_token_ms.is_some() {
                now() - first_at
            } else {
                0.0
            },
            heap_bytes: heap_bytes(),
        },
    });
}

/// The size of this worker's wasm memory, in bytes.
fn heap_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    u64::from(
        memory
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length(),
    )
}

thread_local! {
    /// The channel [`yield_now`] posts through, and the wakers of those waiting on it.
    static YIELDER: RefCell<Option<Yielder>> = const { RefCell::new(None) };
}

struct Yielder {
    channel: web_sys::MessageChannel,
    waiting: Rc<RefCell<Vec<js_sys::Function>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Lets the worker's event loop run once (pending messages are handled) and resumes.
async fn yield_now() {
    let promise = YIELDER.with(|y| {
        let mut y = y.borrow_mut();
        if y.is_none() {
            let Ok(channel) = web_sys::MessageChannel::new() else {
                return None;
            };
            let waiting: Rc<RefCell<Vec<js_sys::Function>>> = Rc::default();
            let wake = waiting.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |_| {
                let woken: Vec<_> = wake.borrow_mut().drain(..).collect();
                for f in woken {
                    let _ = f.call0(&JsValue::UNDEFINED);
                }
            });
            channel
                .port1()
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            *y = Some(Yielder {
                channel,
                waiting,
                _on_message: on_message,
            });
        }
        let y = y.as_ref()?;
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            y.waiting.borrow_mut().push(resolve);
        });
        y.channel.port2().post_message(&JsValue::NULL).ok()?;
        Some(promise)
    });
    if let Some(p) = promise {
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
}
