//! The page's side: one worker per loaded model, kept for the app's life, so a battle of two
//! local models runs both answers in parallel and a model loads once per session (and is
//! downloaded once per browser: the worker keeps it in the model cache).
//!
//! A request goes to an idle worker that holds its model, else to a new worker. So two
//! contestants sharing one file in one battle get a worker each. At most [`MAX_WORKERS`]
//! are kept: a new one ends the idle worker used longest ago (its memory is the model's).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use web_sys::File;

use super::protocol::{ChatMessage, LlmError, Request, Response, Sampling};
use crate::browser::worker_port::{WorkerAnswer, WorkerPort};

/// Where Trunk puts the local-model worker's loader shim, beside `index.html`.
pub const WORKER_URL: &str = "./llm_worker_loader.js";

/// Workers kept at most (two answer a battle; one more keeps the last other model loaded).
pub const MAX_WORKERS: usize = 3;

impl WorkerAnswer for Response {
    fn is_ready(&self) -> bool {
        matches!(self, Response::Ready)
    }
}

type Listener = Rc<dyn Fn(Response)>;

/// What a request is, for how its answers end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Ends with `Loaded` (or `Failed`).
    Load,
    /// Goes on after `Loaded`, ends with `Done` (or `Failed`).
    Generate,
    /// Stopped by the page: only its final `Done` is awaited, to report where the worker
    /// stopped; the worker counts as idle meanwhile (its next request queues behind).
    Stopping,
}

/// One worker and the model it holds (or is loading).
struct Slot {
    url: String,
    port: RefCell<Option<WorkerPort<Request>>>,
    /// Requests whose answers someone waits for, by id.
    listeners: RefCell<HashMap<u64, (Kind, Listener)>>,
    /// Set when the worker crashed; it is dropped on the next request.
    failed: Cell<bool>,
    last_used: Cell<u64>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Slot {
    fn idle(&self) -> bool {
        !self.failed.get()
            && self
                .listeners
                .borrow()
                .values()
                .all(|(k, _)| *k == Kind::Stopping)
    }

    fn send(&self, request: &Request, file: Option<&File>) {
        if let Some(p) = &*self.port.borrow() {
            p.send(request, file.map(AsRef::as_ref));
        }
    }

    /// Hands an answer to its listener; the request's last answer removes it.
    fn deliver(&self, response: Response) {
        let Some(id) = response.id() else { return };
        let entry = self.listeners.borrow().get(&id).cloned();
        let Some((kind, listener)) = entry else {
            return;
        };
        let last = match response {
            Response::Done { .. } | Response::Failed { .. } => true,
            Response::Loaded { .. } => kind == Kind::Load,
            _ => false,
        };
        if last {
            self.listeners.borrow_mut().remove(&id);
        }
        listener(response);
    }

    /// The worker died: every waiting request fails.
    fn crash(&self, message: &str) {
        self.failed.set(true);
        let waiting: Vec<_> = self.listeners.borrow_mut().drain().collect();
        for (id, (_, l)) in waiting {
            l(Response::Failed {
                id,
                error: LlmError::Crashed {
                    detail: message.to_string(),
                },
            });
        }
    }
}

/// The app's local-model workers.
#[derive(Default)]
pub struct Pool {
    slots: RefCell<Vec<Rc<Slot>>>,
    next_id: Cell<u64>,
    clock: Cell<u64>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.slots.borrow().len())
            .finish_non_exhaustive()
    }
}

/// A request in flight; [`Job::stop`] (or dropping the pool) ends it.
#[derive(Debug)]
pub struct Job {
    slot: Weak<Slot>,
    id: u64,
}

impl Job {
    /// Stops the request: no more answers are delivered, and the worker stops between two
    /// tokens, or cuts the download it was making for it. Where a generation stopped is
    /// logged to the console once the worker says so.
    pub fn stop(&self) {
        if let Some(slot) = self.slot.upgrade() {
            let was = slot.listeners.borrow_mut().remove(&self.id);
            if let Some((Kind::Generate, _)) = was {
                let log: Listener = Rc::new(|r| {
                    if let Response::Done { stats, .. } = r {
                        web_sys::console::info_1(
                            &format!("[local model] stopped after {} tokens", stats.tokens).into(),
                        );
                    }
                });
                slot.listeners
                    .borrow_mut()
                    .insert(self.id, (Kind::Stopping, log));
            }
            slot.send(&Request::Stop { id: self.id }, None);
        }
    }
}

impl Pool {
    fn tick(&self) -> u64 {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        t
    }

    fn fresh_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// An idle worker holding `url`, or a new one; `None` if no worker can start.
    fn acquire(&self, url: &str, any_state: bool) -> Result<Rc<Slot>, String> {
        self.slots.borrow_mut().retain(|s| !s.failed.get());
        let found = self
            .slots
            .borrow()
            .iter()
            .filter(|s| s.url == url && (any_state || s.idle()))
            .max_by_key(|s| s.last_used.get())
            .cloned();
        let slot = if let Some(s) = found {
            s
        } else {
            let slot = spawn(url)?;
            self.slots.borrow_mut().push(slot.clone());
            self.trim();
            slot
        };
        slot.last_used.set(self.tick());
        Ok(slot)
    }

    /// Ends idle workers, longest unused first, while there are too many.
    fn trim(&self) {
        let mut slots = self.slots.borrow_mut();
        while slots.len() > MAX_WORKERS {
            let Some((i, _)) = slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.idle())
                .min_by_key(|(_, s)| s.last_used.get())
            else {
                break;
            };
            // Dropping the port terminates the worker and frees its model.
            slots.remove(i);
        }
    }

    /// Answers `messages` with the model at `url` (absolute); `on` gets every answer:
    /// progress while the model loads, then `Started`, `Token`s and `Done` (or `Failed`).
    pub fn generate(
        &self,
        url: &str,
        messages: Vec<ChatMessage>,
        params: Sampling,
        on: Listener,
    ) -> Job {
        let id = self.fresh_id();
        let slot = match self.acquire(url, false) {
            Ok(s) => s,
            Err(detail) => {
                on(Response::Failed {
                    id,
                    error: LlmError::Crashed { detail },
                });
                return Job {
                    slot: Weak::new(),
                    id,
                };
            }
        };
        slot.listeners.borrow_mut().insert(id, (Kind::Generate, on));
        slot.send(
            &Request::Generate {
                id,
                url: url.to_string(),
                messages,
                params,
            },
            None,
        );
        Job {
            slot: Rc::downgrade(&slot),
            id,
        }
    }

    /// Loads the model at `url` (absolute) into a worker, or reads `file` and keeps it in
    /// the model cache under `url`; `on` gets progress, then `Loaded` or `Failed`.
    pub fn load(&self, url: &str, file: Option<&File>, on: Listener) -> Job {
        let id = self.fresh_id();
        let slot = match self.acquire(url, true) {
            Ok(s) => s,
            Err(detail) => {
                on(Response::Failed {
                    id,
                    error: LlmError::Crashed { detail },
                });
                return Job {
                    slot: Weak::new(),
                    id,
                };
            }
        };
        slot.listeners.borrow_mut().insert(id, (Kind::Load, on));
        slot.send(
            &Request::Load {
                id,
                url: url.to_string(),
                from_file: file.is_some(),
            },
            file,
        );
        Job {
            slot: Rc::downgrade(&slot),
            id,
        }
    }

    /// Ends the workers holding `url` that are idle (after its cached copy was deleted).
    pub fn forget(&self, url: &str) {
        self.slots
            .borrow_mut()
            .retain(|s| !(s.url == url && s.idle()));
    }
}

fn spawn(url: &str) -> Result<Rc<Slot>, String> {
    let slot = Rc::new(Slot {
        url: url.to_string(),
        port: RefCell::new(None),
        listeners: RefCell::new(HashMap::new()),
        failed: Cell::new(false),
        last_used: Cell::new(0),
    });
    let (on_answer, on_failure) = (Rc::downgrade(&slot), Rc::downgrade(&slot));
    let port = WorkerPort::spawn(
        WORKER_URL,
        move |r: Response, _| {
            if let Some(s) = on_answer.upgrade() {
                s.deliver(r);
            }
        },
        move |message| {
            if let Some(s) = on_failure.upgrade() {
                s.crash(&message);
            }
        },
    )?;
    *slot.port.borrow_mut() = Some(port);
    Ok(slot)
}
