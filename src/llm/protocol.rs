//! Messages between the page and a local model's worker, and what they mean in words.
//!
//! Sent as JSON text, like the data worker's (`crate::worker::protocol`); a `File` the judge
//! picked travels beside the text as `{ msg, file }`. Every request carries an id that its
//! answers repeat, so the page can drop answers to requests it has since stopped.

use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Make the model at `url` ready: from the browser's model cache, else downloaded (and
    /// stored in the cache). With `from_file`, the `File` beside this message is read instead
    /// and stored in the cache under `url`, so later battles need no download.
    Load {
        id: u64,
        url: String,
        from_file: bool,
    },
    /// Answer `messages` with the model at `url`, loading it first if this worker has not.
    Generate {
        id: u64,
        url: String,
        messages: Vec<ChatMessage>,
        params: Sampling,
    },
    /// Stop request `id`: a generation between two tokens; a download or read in progress at
    /// once (nothing of it is stored).
    Stop { id: u64 },
}

/// One message of the conversation (`system`, `user` or `assistant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// How to sample an answer (the contestant's parameters, with defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub max_tokens: u32,
    /// 0 means greedy.
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub repetition_penalty: f32,
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            max_tokens: 256,
            temperature: 0.0,
            top_k: 40,
            top_p: 0.95,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

/// Where a model's bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Downloaded (and stored in the browser's model cache as it arrives).
    Network,
    /// Read from the browser's model cache.
    Cache,
    /// Read from a file the judge picked.
    File,
}

/// What a load is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadPhase {
    /// Bytes are arriving.
    Reading,
    /// Every byte is in; the tokenizer, chat template and weights are being set up.
    Preparing,
}

/// A load's progress.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadProgress {
    pub source: Source,
    pub phase: LoadPhase,
    /// Bytes read so far.
    pub loaded: u64,
    /// The file's size, when the server said (`Content-Length`).
    pub total: Option<u64>,
}

impl LoadProgress {
    /// Percent done (0–100), when the size is known.
    pub fn percent(&self) -> Option<f64> {
        self.total
            .filter(|t| *t > 0)
            .map(|t| (self.loaded as f64 / t as f64 * 100.0).clamp(0.0, 100.0))
    }

    /// One line for a progress bar: "Downloading the model: 45.2 MB of 98.4 MB (46%)".
    pub fn label(&self) -> String {
        let verb = match (self.phase, self.source) {
            (LoadPhase::Preparing, _) => return "Preparing the model…".to_string(),
            (LoadPhase::Reading, Source::Network) => "Downloading the model",
            (LoadPhase::Reading, Source::Cache) => "Loading the model from this browser",
            (LoadPhase::Reading, Source::File) => "Reading the model file",
        };
        match (self.total, self.percent()) {
            (Some(t), Some(p)) => format!(
                "{verb}: {} of {} ({p:.0}%)",
                megabytes(self.loaded),
                megabytes(t)
            ),
            _ => format!("{verb}: {}", megabytes(self.loaded)),
        }
    }
}

/// Bytes in decimal megabytes, one decimal: "98.4 MB".
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A loaded model, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    pub source: Source,
    pub bytes: u64,
    /// Milliseconds from the request to a ready model (reading and preparing).
    pub load_ms: f64,
    /// Of which setting up the engine (tokenizer, chat template, weights) took this many.
    pub prepare_ms: f64,
    /// Whether the file is in the browser's model cache now (false: caching failed, or the
    /// browser offers no cache here; the model works all the same).
    pub cached: bool,
    /// Why it could not be cached, when it could not.
    pub cache_note: Option<String>,
    /// Where it runs: "CPU (wasm SIMD)" (WebGPU comes later).
    pub device: String,
}

/// Timings of one answer, measured in the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenStats {
    pub prompt_tokens: usize,
    pub tokens: usize,
    /// Reading the prompt (the prefill).
    pub prefill_ms: f64,
    /// From the request (the model already loaded) to the first token's text.
    pub first_token_ms: f64,
    /// From the first generated token to the last.
    pub decode_ms: f64,
    /// The worker's wasm memory when the answer ended, in bytes. Wasm memory only grows, so
    /// this is the worker's peak heap so far (the model's weights, its caches and buffers).
    #[serde(default)]
    pub heap_bytes: u64,
}

impl GenStats {
    /// Decoded tokens per second after the first.
    pub fn tokens_per_s(&self) -> f64 {
        if self.decode_ms > 0.0 && self.tokens > 1 {
            (self.tokens - 1) as f64 / (self.decode_ms / 1000.0)
        } else {
            0.0
        }
    }
}

/// Why an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Finish {
    /// The model ended its turn.
    Stop,
    /// `max_tokens` reached.
    Length,
    /// The context is full.
    ContextFull,
    /// Stopped by the page.
    Stopped,
}

impl Finish {
    /// The word battle records use (the providers' `finish_reason`).
    pub fn word(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
            Finish::ContextFull => "context_full",
            Finish::Stopped => "stopped",
        }
    }
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker has started and takes requests.
    Ready,
    /// Request `id` is loading the model.
    Progress { id: u64, progress: LoadProgress },
    /// The model is ready (for request `id`, which goes on if it is a generation).
    Loaded { id: u64, loaded: Loaded },
    /// The prompt has been read; tokens follow.
    Started { id: u64, prompt_tokens: usize },
    /// Newly printable text of the answer to request `id`.
    Token { id: u64, text: String },
    /// The answer to `id` is complete.
    Done {
        id: u64,
        finish: Finish,
        stats: GenStats,
    },
    /// Request `id` failed.
    Failed { id: u64, error: LlmError },
}

impl Response {
    /// The id of the request this answers (`None` for [`Response::Ready`]).
    pub fn id(&self) -> Option<u64> {
        match self {
            Response::Ready => None,
            Response::Progress { id, .. }
            | Response::Loaded { id, .. }
            | Response::Started { id, .. }
            | Response::Token { id, .. }
            | Response::Done { id, .. }
            | Response::Failed { id, .. } => Some(*id),
        }
    }
}

/// Why a local model could not load or answer. Messages name neither the model nor its file
/// (a blind battle shows them before the vote); [`LlmError::detail`] may, and goes in hints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LlmError {
    #[error("The model file could not be downloaded (HTTP {status}).")]
    Http { status: u16 },
    #[error("The model file could not be downloaded: the network request failed.")]
    Network { detail: String },
    #[error("The model file is incomplete: it ended after {got} of {want} bytes.")]
    Incomplete { got: u64, want: u64 },
    #[error("The file is not a GGUF model.")]
    NotGguf { detail: String },
    #[error("The model file is damaged or truncated, so it cannot be used.")]
    Damaged { detail: String },
    #[error("This model's kind is not supported by the local engine.")]
    Unsupported { detail: String },
    #[error("This browser could not set aside {} of memory for the model.", megabytes(*bytes))]
    OutOfMemory { bytes: u64 },
    #[error("The model could not be read from this browser's storage.")]
    Storage { detail: String },
    #[error("The prompt is {prompt} tokens, more than this model's context of {ctx}.")]
    PromptTooLong { prompt: usize, ctx: usize },
    #[error("The local model failed while answering.")]
    Engine { detail: String },
    #[error("The local model stopped unexpectedly; it may have run out of memory.")]
    Crashed { detail: String },
    #[error("Loading the model was stopped; nothing was stored.")]
    Cancelled,
}

impl LlmError {
    /// A stable kebab-case kind, like the providers' (`arena_providers::ErrorKind`).
    pub fn kind(&self) -> &'static str {
        match self {
            LlmError::Http { status: 404 | 410 } => "not-found",
            LlmError::Http { .. } | LlmError::Network { .. } => "network",
            LlmError::Incomplete { .. }
            | LlmError::NotGguf { .. }
            | LlmError::Damaged { .. }
            | LlmError::Unsupported { .. } => "bad-model",
            LlmError::OutOfMemory { .. } | LlmError::Crashed { .. } => "out-of-memory",
            LlmError::Storage { .. } => "storage",
            LlmError::PromptTooLong { .. } => "context-too-long",
            LlmError::Engine { .. } => "other",
            LlmError::Cancelled => "aborted",
        }
    }

    /// What exactly went wrong, for the Models page and named battles (it can name an
    /// architecture or a tensor, so never before a blind vote).
    pub fn detail(&self) -> Option<&str> {
        match self {
            LlmError::Network { detail }
            | LlmError::NotGguf { detail }
            | LlmError::Damaged { detail }
            | LlmError::Unsupported { detail }
            | LlmError::Storage { detail }
            | LlmError::Engine { detail }
            | LlmError::Crashed { detail } => Some(detail.as_str()).filter(|d| !d.is_empty()),
            _ => None,
        }
    }

    /// What to do about it, for the file at `url`.
    pub fn hint(&self, url: &str) -> String {
        let what = match self {
            LlmError::Http { .. } | LlmError::Network { .. } | LlmError::Incomplete { .. } => {
                format!(
                    "Check that {url} is served (and allows this origin), or load the file on the Models page."
                )
            }
            LlmError::NotGguf { .. } | LlmError::Damaged { .. } => {
                format!("Replace {url} with an intact GGUF file.")
            }
            LlmError::Unsupported { .. } => {
                "The local engine runs llama, qwen2 and gemma3 models.".to_string()
            }
            LlmError::OutOfMemory { .. } | LlmError::Crashed { .. } => {
                "Close other tabs or use a smaller model, then regenerate.".to_string()
            }
            LlmError::Storage { .. } => {
                "Delete the stored copy on the Models page to download it again.".to_string()
            }
            LlmError::PromptTooLong { .. } => "Start a new round with a shorter prompt.".into(),
            LlmError::Engine { .. } | LlmError::Cancelled => "Regenerate to try again.".to_string(),
        };
        match self.detail() {
            Some(d) => format!("{what} Details: {d}."),
            None => what,
        }
    }
}

/// Where local models run today.
pub const DEVICE_CPU: &str = "CPU (wasm SIMD)";
