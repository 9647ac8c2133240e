//! The page's side: starts the worker, queues requests until it is ready, hands answers to a
//! callback, and terminates the worker when dropped (leaving the page stops its work).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, ErrorEvent, Event, File, MessageEvent, Worker};

use super::protocol::{Request, Response};

/// Where Trunk puts the worker's loader shim (`data-loader-shim`), beside `index.html`.
pub const WORKER_URL: &str = "./leaderboard_worker_loader.js";

struct Shared {
    worker: Worker,
    ready: Cell<bool>,
    queue: RefCell<Vec<JsValue>>,
}

/// A running data worker.
pub struct WorkerClient {
    shared: Rc<Shared>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl std::fmt::Debug for WorkerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerClient")
            .field("ready", &self.shared.ready.get())
            .finish_non_exhaustive()
    }
}

impl WorkerClient {
    /// Starts a worker; `on_response` gets every answer, and `on_failure` a sentence if the
    /// worker cannot start or crashes.
    pub fn spawn(
        on_response: impl Fn(Response) + 'static,
        on_failure: impl Fn(String) + 'static,
    ) -> Result<WorkerClient, String> {
        WorkerClient::spawn_with_files(move |r, _| on_response(r), on_failure)
    }

    /// [`WorkerClient::spawn`], with the file that came beside an answer (an export's
    /// `Blob`) handed to `on_response` too.
    pub fn spawn_with_files(
        on_response: impl Fn(Response, Option<Blob>) + 'static,
        on_failure: impl Fn(String) + 'static,
    ) -> Result<WorkerClient, String> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|e| format!("The background worker could not start: {e:?}"))?;
        let shared = Rc::new(Shared {
            worker,
            ready: Cell::new(false),
            queue: RefCell::new(Vec::new()),
        });
        let on_failure = Rc::new(on_failure);
        let fail = on_failure.clone();
        let s = shared.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            // Plain JSON text, or `{ msg, file }` when a file travels beside the answer.
            let data = ev.data();
            let (text, file) = match data.as_string() {
                Some(t) => (Some(t), None),
                None => (
                    js_sys::Reflect::get(&data, &"msg".into())
                        .ok()
                        .and_then(|v| v.as_string()),
                    js_sys::Reflect::get(&data, &"file".into())
                        .ok()
                        .and_then(|v| v.dyn_into::<Blob>().ok()),
                ),
            };
            let Some(text) = text else {
                return;
            };
            match serde_json::from_str::<Response>(&text) {
                Ok(Response::Ready) => {
                    s.ready.set(true);
                    for m in s.queue.borrow_mut().drain(..) {
                        let _ = s.worker.post_message(&m);
                    }
                }
                Ok(r) => on_response(r, file),
                Err(e) => fail(format!("The background worker sent a bad answer: {e}")),
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
            // A script that failed to load fires a plain `Event` (reading an `ErrorEvent`'s
            // message from it would throw, and the failure would go unreported); a crash
            // fires an `ErrorEvent` with a message.
            let what = ev
                .dyn_ref::<ErrorEvent>()
                .map(ErrorEvent::message)
                .unwrap_or_default();
            on_failure(if what.is_empty() {
                "The background worker could not be loaded; reload the page.".to_string()
            } else {
                format!("The background worker failed: {what}")
            });
        });
        shared
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        shared
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(WorkerClient {
            shared,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends a request (with the file to import, if any); queued until the worker is ready.
    pub fn send(&self, request: &Request, file: Option<&File>) {
        let Ok(text) = serde_json::to_string(request) else {
            return;
        };
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"msg".into(), &JsValue::from_str(&text));
        if let Some(f) = file {
            let _ = js_sys::Reflect::set(&msg, &"file".into(), f);
        }
        if self.shared.ready.get() {
            let _ = self.shared.worker.post_message(&msg);
        } else {
            self.shared.queue.borrow_mut().push(msg.into());
        }
    }
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.shared.worker.set_onmessage(None);
        self.shared.worker.set_onerror(None);
        self.shared.worker.terminate();
    }
}
