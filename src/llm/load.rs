//! Reading a model's bytes in the worker: from the browser's model cache, from the network
//! (stored in the cache as it arrives), or from a file the judge picked (stored under the
//! contestant's URL). One path for all three: the body's `ReadableStream`, chunk by chunk,
//! into an [`Assembler`] reserved for the whole file.
//!
//! A download goes to the cache through a second stream that this loop feeds with the same
//! chunks (no copy), so the cache never holds a file that failed: the sink is errored
//! instead of closed, and `cache.put` then stores nothing.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Cache, File, Headers, ReadableStream, ReadableStreamDefaultController,
    ReadableStreamDefaultReader, RequestCache, RequestInit, Response, ResponseInit,
    WorkerGlobalScope,
};

use super::assemble::Assembler;
use super::cache::{self, SIZE_HEADER, STORED_HEADER, describe, is_quota};
use super::protocol::{LlmError, LoadPhase, LoadProgress, Source};

/// A model's bytes, read whole.
#[derive(Debug)]
pub struct Read {
    pub bytes: Vec<u8>,
    pub source: Source,
    /// Whether the cache holds the file now.
    pub cached: bool,
    pub cache_note: Option<String>,
}

/// Stops a read in progress: aborts the download, or cancels the reading of a stored copy
/// or a file, so even a read waiting on a stalled server ends at once.
#[derive(Debug)]
pub struct Stopper {
    controller: Option<AbortController>,
    reader: RefCell<Option<ReadableStreamDefaultReader>>,
    stopped: Cell<bool>,
}

impl Default for Stopper {
    fn default() -> Self {
        Stopper {
            controller: AbortController::new().ok(),
            reader: RefCell::new(None),
            stopped: Cell::new(false),
        }
    }
}

impl Stopper {
    pub fn stop(&self) {
        self.stopped.set(true);
        if let Some(c) = &self.controller {
            c.abort();
        }
        if let Some(r) = &*self.reader.borrow() {
            let cancel = JsFuture::from(r.cancel());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = cancel.await;
            });
        }
    }

    fn stopped(&self) -> Result<(), LlmError> {
        if self.stopped.get() {
            Err(LlmError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Reads the model at `url` (or `file`, to be stored under `url`), reporting progress, until
/// it is complete or `stopper` stops it.
pub async fn read_model(
    url: &str,
    file: Option<File>,
    progress: &dyn Fn(LoadProgress),
    stopper: &Stopper,
) -> Result<Read, LlmError> {
    let cache = cache::open().await;
    stopper.stopped()?;
    let (response, source) = match (&file, &cache) {
        (Some(f), _) => (
            Response::new_with_opt_blob(Some(f)).map_err(|e| LlmError::Storage {
                detail: describe(&e),
            })?,
            Source::File,
        ),
        (None, Some(c)) => match cache::lookup(c, url).await {
            Some(r) => (r, Source::Cache),
            None => (fetch(url, stopper).await?, Source::Network),
        },
        (None, None) => (fetch(url, stopper).await?, Source::Network),
    };
    // A file's size is a whole number of bytes, far below 2^53.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total = match &file {
        Some(f) => Some(f.size() as u64),
        None => size_of(&response),
    };
    let sink = match (&cache, source) {
        (Some(c), Source::Network | Source::File) => Sink::new(c, url, total),
        _ => None,
    };
    let mut asm = Assembler::new(total)?;
    progress(LoadProgress {
        source,
        phase: LoadPhase::Reading,
        loaded: 0,
        total,
    });
    let read = read_body(
        &response,
        &mut asm,
        sink.as_ref(),
        source,
        progress,
        stopper,
    )
    .await;
    let bytes = match read.and_then(|()| asm.finish()) {
        Ok(b) => b,
        Err(e) => {
            if let Some(s) = &sink {
                s.fail();
            }
            return Err(e);
        }
    };
    let (cached, cache_note) = match sink {
        Some(s) => s.close().await,
        None if source == Source::Cache => (true, None),
        None if cache.is_none() => (
            false,
            Some("this browser keeps no model files on this site (no Cache API)".into()),
        ),
        None => (false, None),
    };
    Ok(Read {
        bytes,
        source,
        cached,
        cache_note,
    })
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

async fn fetch(url: &str, stopper: &Stopper) -> Result<Response, LlmError> {
    let init = RequestInit::new();
    // The model cache keeps the file; the HTTP cache would keep a second copy.
    init.set_cache(RequestCache::NoStore);
    if let Some(c) = &stopper.controller {
        init.set_signal(Some(&c.signal()));
    }
    let response: Response = JsFuture::from(scope().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| {
            stopper
                .stopped()
                .err()
                .unwrap_or_else(|| LlmError::Network {
                    detail: describe(&e),
                })
        })?
        .unchecked_into();
    if !response.ok() {
        return Err(LlmError::Http {
            status: response.status(),
        });
    }
    Ok(response)
}

/// The body's size, when the headers say it (a compressed body's `Content-Length` is not).
fn size_of(response: &Response) -> Option<u64> {
    let headers = response.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    if let Some(v) = get(SIZE_HEADER).and_then(|v| v.parse().ok()) {
        return Some(v);
    }
    if get("content-encoding").is_some_and(|e| !e.eq_ignore_ascii_case("identity")) {
        return None;
    }
    get("content-length").and_then(|v| v.parse().ok())
}

async fn read_body(
    response: &Response,
    asm: &mut Assembler,
    sink: Option<&Sink>,
    source: Source,
    progress: &dyn Fn(LoadProgress),
    stopper: &Stopper,
) -> Result<(), LlmError> {
    let Some(body) = response.body() else {
        return Ok(());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    *stopper.reader.borrow_mut() = Some(reader.clone());
    let result = async {
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
                stopper
                    .stopped()
                    .err()
                    .unwrap_or_else(|| broken_off(&e, asm, source))
            })?;
            // A cancelled read ends as if the body had.
            stopper.stopped()?;
            let done = js_sys::Reflect::get(&chunk, &"done".into())
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Ok(());
            }
            let value =
                js_sys::Reflect::get(&chunk, &"value".into()).map_err(|e| LlmError::Network {
                    detail: describe(&e),
                })?;
            let bytes: js_sys::Uint8Array = value.unchecked_into();
            asm.push_with(bytes.length() as usize, |dst| bytes.copy_to(dst))?;
            if let Some(s) = sink {
                s.push(&bytes);
            }
            if asm.progress_due() {
                progress(LoadProgress {
                    source,
                    phase: LoadPhase::Reading,
                    loaded: asm.len(),
                    total: asm.expected(),
                });
            }
        }
    }
    .await;
    stopper.reader.borrow_mut().take();
    if result.is_err() && !stopper.stopped.get() {
        // Stop the download; the promise rejects when the stream has already failed.
        let cancel = JsFuture::from(reader.cancel());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = cancel.await;
        });
    }
    result
}

/// A read that failed part-way.
fn broken_off(e: &JsValue, asm: &Assembler, source: Source) -> LlmError {
    let detail = describe(e);
    match source {
        Source::Cache | Source::File => LlmError::Storage { detail },
        Source::Network => match asm.expected() {
            Some(want) => LlmError::Incomplete {
                got: asm.len(),
                want,
            },
            None => LlmError::Network { detail },
        },
    }
}

/// The cache's copy of a download, written as the chunks arrive.
struct Sink {
    controller: ReadableStreamDefaultController,
    /// `cache.put`, which settles once the whole body is stored (or storing failed).
    put: js_sys::Promise,
    /// Set once feeding the stream failed (the cache gave up on it).
    broken: RefCell<bool>,
}

impl Sink {
    fn new(cache: &Cache, url: &str, total: Option<u64>) -> Option<Sink> {
        let slot: Rc<RefCell<Option<ReadableStreamDefaultController>>> = Rc::default();
        let stream = {
            let slot = slot.clone();
            // `start` runs during the constructor, so the closure is needed only until then.
            let start = Closure::<dyn FnMut(JsValue)>::new(move |c: JsValue| {
                *slot.borrow_mut() = Some(c.unchecked_into());
            });
            let source = js_sys::Object::new();
            js_sys::Reflect::set(&source, &"start".into(), start.as_ref()).ok()?;
            ReadableStream::new_with_underlying_source(&source).ok()?
        };
        let controller = slot.borrow_mut().take()?;
        let headers = Headers::new().ok()?;
        headers
            .set("content-type", "application/octet-stream")
            .ok()?;
        if let Some(t) = total {
            headers.set(SIZE_HEADER, &t.to_string()).ok()?;
        }
        headers
            .set(STORED_HEADER, &js_sys::Date::now().to_string())
            .ok()?;
        let init = ResponseInit::new();
        init.set_status(200);
        init.set_headers(&headers);
        let response =
            Response::new_with_opt_readable_stream_and_init(Some(&stream), &init).ok()?;
        let put = cache.put_with_str(url, &response);
        Some(Sink {
            controller,
            put,
            broken: RefCell::new(false),
        })
    }

    fn push(&self, chunk: &js_sys::Uint8Array) {
        if *self.broken.borrow() {
            return;
        }
        if self.controller.enqueue_with_chunk(chunk).is_err() {
            *self.broken.borrow_mut() = true;
        }
    }

    /// The download failed: the cache stores nothing.
    fn fail(&self) {
        self.controller
            .error_with_e(&JsValue::from_str("the model download failed"));
        let put = JsFuture::from(self.put.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = put.await;
        });
    }

    /// The download is complete: ends the cache's copy and waits until it is stored.
    async fn close(self) -> (bool, Option<String>) {
        let _ = self.controller.close();
        match JsFuture::from(self.put).await {
            Ok(_) => (true, None),
            Err(e) if is_quota(&e) => (
                false,
                Some("there is not enough storage space in this browser to keep it".into()),
            ),
            Err(e) => (false, Some(describe(&e))),
        }
    }
}
