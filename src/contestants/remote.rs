//! Provider APIs over `fetch`, streaming.
//!
//! The request and the decoding are `arena-providers`' (sans-IO); this file only moves bytes:
//! `fetch` with an `AbortController`, the body's `ReadableStream` read chunk by chunk into the
//! decoder, and a one-second timer that feeds the idle watch so a stalled stream ends with
//! [`ProviderError::IdleTimeout`] instead of hanging.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use arena_providers::{
    Endpoint, FinishReason, HttpRequest, IdlePolicy, IdleWatch, ModelInfo, ProviderError,
    ResponseHead, StreamEvent,
};
use leptos::prelude::{IntervalHandle, set_interval_with_handle};
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{Running, Update};

/// Why the stream was cut from our side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    None,
    User,
    Idle,
    /// The stream ended by itself: there is nothing left to abort.
    Ended,
}

fn now_ms() -> u64 {
    // Milliseconds since the epoch fit an f64 exactly for the next 285,000 years.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = js_sys::Date::now() as u64;
    ms
}

/// Sends `request` to `endpoint` and reports what arrives through `on_update`. `idle`, when
/// set, replaces the preset's stall limits (both before and between events).
pub fn start(
    endpoint: Endpoint,
    http: HttpRequest,
    idle: Option<Duration>,
    on_update: Rc<dyn Fn(Update)>,
) -> Running {
    let controller = web_sys::AbortController::new().ok();
    let cut = Rc::new(Cell::new(Cut::None));
    let signal = controller.as_ref().map(web_sys::AbortController::signal);
    let task_cut = cut.clone();
    let task_controller = controller.clone();
    spawn_local(async move {
        let result = stream(
            &endpoint,
            &http,
            idle,
            signal,
            &task_cut,
            task_controller,
            &on_update,
        )
        .await;
        let was = task_cut.replace(Cut::Ended);
        if let Err(error) = result {
            let error = if was == Cut::User {
                ProviderError::Aborted
            } else {
                error
            };
            on_update(Update::Failed(super::Failure::from_provider(&error)));
        }
    });
    Running::new(move || {
        if cut.get() != Cut::None {
            return;
        }
        cut.set(Cut::User);
        if let Some(c) = &controller {
            c.abort();
        }
    })
}

async fn stream(
    endpoint: &Endpoint,
    http: &HttpRequest,
    idle: Option<Duration>,
    signal: Option<web_sys::AbortSignal>,
    cut: &Rc<Cell<Cut>>,
    controller: Option<web_sys::AbortController>,
    on_update: &Rc<dyn Fn(Update)>,
) -> Result<(), ProviderError> {
    let init = request_init(http, signal.as_ref())?;
    let policy = idle.map_or_else(
        || endpoint.idle_policy(),
        |d| IdlePolicy {
            first_event: d,
            between_events: d,
        },
    );
    let watch = Rc::new(RefCell::new(IdleWatch::new(policy, now_ms())));
    let stalled: Rc<RefCell<Option<ProviderError>>> = Rc::new(RefCell::new(None));
    let timer = start_idle_timer(&watch, &stalled, cut, controller);

    let window = leptos::prelude::window();
    let origin = window.location().origin().ok();
    let fetched = JsFuture::from(window.fetch_with_str_and_init(&http.url, &init)).await;
    let response: web_sys::Response = match fetched {
        Ok(r) => r.unchecked_into(),
        Err(e) => {
            clear(timer.as_ref());
            return Err(cut_error(cut, &stalled).unwrap_or_else(|| {
                endpoint.network_error(Some(&describe(&e)), origin.as_deref())
            }));
        }
    };
    let head = response_head(&response);
    let mut decoder = endpoint.decoder(&head);
    let Some(body) = response.body() else {
        clear(timer.as_ref());
        return deliver(decoder.finish(), on_update);
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut finish: Option<FinishReason> = None;
    let outcome = loop {
        let chunk = match JsFuture::from(reader.read()).await {
            Ok(c) => c,
            Err(e) => {
                break Err(cut_error(cut, &stalled).unwrap_or_else(|| {
                    endpoint.network_error(Some(&describe(&e)), origin.as_deref())
                }));
            }
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        let events = if done {
            decoder.finish()
        } else {
            let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(js_error)?;
            decoder.push(&js_sys::Uint8Array::new(&value).to_vec())
        };
        watch.borrow_mut().observe(&events, now_ms());
        match dispatch(events, &mut finish, on_update) {
            Some(end) => break end,
            None if done => break Ok(()),
            None => {}
        }
    };
    clear(timer.as_ref());
    if outcome.is_ok() {
        // The answer is complete: release the connection if the server keeps it open. The
        // promise rejects when the stream has already closed, which is fine.
        let cancel = JsFuture::from(reader.cancel());
        spawn_local(async move {
            let _ = cancel.await;
        });
    }
    outcome
}

/// The `fetch` options for `http`: CORS, no cookies, the codec's headers and body.
fn request_init(
    http: &HttpRequest,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<web_sys::RequestInit, ProviderError> {
    let init = web_sys::RequestInit::new();
    init.set_method(http.method.as_str());
    // No cookies or HTTP auth towards providers: the key header is the only credential.
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_mode(web_sys::RequestMode::Cors);
    let headers = web_sys::Headers::new().map_err(js_error)?;
    for h in http.headers.iter() {
        headers.set(h.name, &h.value).map_err(js_error)?;
    }
    init.set_headers(&headers);
    if let Some(body) = &http.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(signal);
    Ok(init)
}

/// The status and the headers the codecs read.
fn response_head(response: &web_sys::Response) -> ResponseHead {
    let mut head = ResponseHead::new(response.status());
    for name in ["content-type", "retry-after", "retry-after-ms"] {
        if let Ok(Some(v)) = response.headers().get(name) {
            head.insert(name, v);
        }
    }
    head
}

/// How long a model list may take before it counts as unreachable.
const LIST_TIMEOUT: Duration = Duration::from_secs(20);

/// Fetches and parses the provider's model list.
pub async fn list_models(
    endpoint: &Endpoint,
    http: &HttpRequest,
) -> Result<Vec<ModelInfo>, ProviderError> {
    let controller = web_sys::AbortController::new().map_err(js_error)?;
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        leptos::prelude::set_timeout_with_handle(
            move || {
                timed_out.set(true);
                controller.abort();
            },
            LIST_TIMEOUT,
        )
        .ok()
    };
    let init = request_init(http, Some(&controller.signal()))?;
    let window = leptos::prelude::window();
    let origin = window.location().origin().ok();
    let result = async {
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&http.url, &init))
                .await
                .map_err(|e| endpoint.network_error(Some(&describe(&e)), origin.as_deref()))?
                .unchecked_into();
        let head = response_head(&response);
        let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?)
            .await
            .map_err(|e| endpoint.network_error(Some(&describe(&e)), origin.as_deref()))?;
        let body = js_sys::Uint8Array::new(&buffer).to_vec();
        endpoint.parse_models(&head, &body)
    }
    .await;
    if let Some(t) = timer {
        t.clear();
    }
    match result {
        Err(_) if timed_out.get() => Err(ProviderError::IdleTimeout {
            after: LIST_TIMEOUT,
            before_first_token: true,
        }),
        r => r,
    }
}

/// Emits updates; returns how the stream ended once it has.
fn dispatch(
    events: Vec<StreamEvent>,
    finish: &mut Option<FinishReason>,
    on_update: &Rc<dyn Fn(Update)>,
) -> Option<Result<(), ProviderError>> {
    for event in events {
        match event {
            StreamEvent::TextDelta(t) => on_update(Update::Text(t)),
            StreamEvent::ReasoningDelta(t) => on_update(Update::Reasoning(t)),
            StreamEvent::Finish(f) => *finish = Some(f),
            StreamEvent::Usage(_) => {}
            StreamEvent::Error(e) => return Some(Err(e)),
            StreamEvent::Done => {
                on_update(Update::Done(finish.take().map(|f| finish_word(&f))));
                return Some(Ok(()));
            }
        }
    }
    None
}

fn deliver(events: Vec<StreamEvent>, on_update: &Rc<dyn Fn(Update)>) -> Result<(), ProviderError> {
    let mut finish = None;
    dispatch(events, &mut finish, on_update).unwrap_or(Ok(()))
}

fn finish_word(f: &FinishReason) -> String {
    match f {
        FinishReason::Stop => "stop".into(),
        FinishReason::Length => "length".into(),
        FinishReason::ContentFilter => "content_filter".into(),
        FinishReason::ToolCalls => "tool_calls".into(),
        FinishReason::Other(w) => w.clone(),
    }
}

fn start_idle_timer(
    watch: &Rc<RefCell<arena_providers::IdleWatch>>,
    stalled: &Rc<RefCell<Option<ProviderError>>>,
    cut: &Rc<Cell<Cut>>,
    controller: Option<web_sys::AbortController>,
) -> Option<IntervalHandle> {
    let (watch, stalled, cut) = (watch.clone(), stalled.clone(), cut.clone());
    set_interval_with_handle(
        move || {
            if cut.get() != Cut::None {
                return;
            }
            if let Some(err) = watch.borrow().check(now_ms()) {
                cut.set(Cut::Idle);
                *stalled.borrow_mut() = Some(err);
                if let Some(c) = &controller {
                    c.abort();
                }
            }
        },
        Duration::from_secs(1),
    )
    .ok()
}

fn clear(timer: Option<&IntervalHandle>) {
    if let Some(t) = timer {
        t.clear();
    }
}

fn cut_error(cut: &Cell<Cut>, stalled: &RefCell<Option<ProviderError>>) -> Option<ProviderError> {
    match cut.get() {
        Cut::None | Cut::Ended => None,
        Cut::User => Some(ProviderError::Aborted),
        Cut::Idle => stalled.borrow_mut().take(),
    }
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the request failed".into())
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(js_error)`
fn js_error(e: JsValue) -> ProviderError {
    ProviderError::Other {
        status: None,
        message: describe(&e),
    }
}
