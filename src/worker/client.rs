//! The page's side: starts the data worker, queues requests until it is ready, hands answers
//! to a callback, and terminates the worker when dropped (leaving the page stops its work).

use web_sys::{Blob, File};

use super::protocol::{Request, Response};
use crate::browser::worker_port::{WorkerAnswer, WorkerPort};

/// Where Trunk puts the worker's loader shim (`data-loader-shim`), beside `index.html`.
pub const WORKER_URL: &str = "./leaderboard_worker_loader.js";

impl WorkerAnswer for Response {
    fn is_ready(&self) -> bool {
        matches!(self, Response::Ready)
    }
}

/// A running data worker.
#[derive(Debug)]
pub struct WorkerClient(WorkerPort<Request>);

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
        WorkerPort::spawn(WORKER_URL, on_response, move |m: String| {
            on_failure(m.replacen("The worker", "The background worker", 1));
        })
        .map(WorkerClient)
    }

    /// Sends a request (with the file to import, if any); queued until the worker is ready.
    pub fn send(&self, request: &Request, file: Option<&File>) {
        self.0.send(request, file.map(AsRef::as_ref));
    }
}
