//! A Web Worker spoken to in serde messages: the page's side of every worker module (the
//! data worker, the local models' workers).
//!
//! Requests go out as `{ msg, file }` (`msg` the JSON text, `file` a `Blob` or `File` when
//! one travels along) and are queued until the worker says it is ready; answers come back as
//! JSON text or `{ msg, file }`. Dropping the port terminates the worker, which stops
//! whatever it was doing.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, ErrorEvent, Event, MessageEvent, Worker};

/// An answer type: which answer says the worker has started.
pub trait WorkerAnswer: DeserializeOwned {
    fn is_ready(&self) -> bool;
}

struct Shared {
    worker: Worker,
    ready: Cell<bool>,
    queue: RefCell<Vec<JsValue>>,
}

/// A running worker taking requests of type `Q`.
pub struct WorkerPort<Q> {
    shared: Rc<Shared>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _requests: PhantomData<fn(&Q)>,
}

impl<Q> std::fmt::Debug for WorkerPort<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPort")
            .field("ready", &self.shared.ready.get())
            .finish_non_exhaustive()
    }
}

impl<Q: Serialize> WorkerPort<Q> {
    /// Starts the worker at `url` (a classic worker script); `on_answer` gets every answer
    /// but the ready one, with the file that came beside it, and `on_failure` a sentence if
    /// the worker cannot start, crashes or sends something unreadable.
    pub fn spawn<A: WorkerAnswer + 'static>(
        url: &str,
        on_answer: impl Fn(A, Option<Blob>) + 'static,
        on_failure: impl Fn(String) + 'static,
    ) -> Result<WorkerPort<Q>, String> {
        let worker = Worker::new(url).map_err(|e| format!("The worker could not start: {e:?}"))?;
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
            match serde_json::from_str::<A>(&text) {
                Ok(a) if a.is_ready() => {
                    s.ready.set(true);
                    for m in s.queue.borrow_mut().drain(..) {
                        let _ = s.worker.post_message(&m);
                    }
                }
                Ok(a) => on_answer(a, file),
                Err(e) => fail(format!("The worker sent a bad answer: {e}")),
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
            // A script that failed to load fires a plain `Event` (reading an `ErrorEvent`'s
            // message from it would throw, and the failure would go unreported: efficient
            // pairing would wait out its time limit); a crash fires an `ErrorEvent` with a
            // message.
            let what = ev
                .dyn_ref::<ErrorEvent>()
                .map(ErrorEvent::message)
                .unwrap_or_default();
            on_failure(if what.is_empty() {
                "The worker could not be loaded; reload the page.".to_string()
            } else {
                format!("The worker failed: {what}")
            });
        });
        shared
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        shared
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(WorkerPort {
            shared,
            _on_message: on_message,
            _on_error: on_error,
            _requests: PhantomData,
        })
    }

    /// Sends a request (with a file beside it, if any); queued until the worker is ready.
    pub fn send(&self, request: &Q, file: Option<&Blob>) {
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

impl<Q> Drop for WorkerPort<Q> {
    fn drop(&mut self) {
        self.shared.worker.set_onmessage(None);
        self.shared.worker.set_onerror(None);
        self.shared.worker.terminate();
    }
}
