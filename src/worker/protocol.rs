//! Messages between the page and the data worker.

use arena_core::Leaderboard;
use arena_core::formats::export::{ExportCount, ExportFormat};
use arena_core::ratings::{LeaderboardOptions, LeaderboardRow};
use arena_core::store::ImportReport;
use serde::{Deserialize, Serialize};

/// Page → worker. Every request carries an id its answer repeats, so the page can drop
/// answers to requests it has since replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Rank the votes stored in the database `db`. The worker keeps the votes it read; a new
    /// `votes_version` makes it fetch the votes it has not seen (`worker::cache`).
    Leaderboard {
        id: u64,
        db: String,
        votes_version: u64,
        options: LeaderboardOptions,
    },
    /// The leaderboard rows (default options) of the votes in `db`, for efficient pairing.
    /// Cached like [`Request::Leaderboard`]'s votes, by `votes_version`.
    Ratings {
        id: u64,
        db: String,
        votes_version: u64,
    },
    /// Every vote in `db`, written in `format`; the file comes back beside the answer.
    Export {
        id: u64,
        db: String,
        format: ExportFormat,
    },
    /// Import the file posted beside this message into `db`.
    Import {
        id: u64,
        db: String,
        skip_bad_lines: bool,
    },
    /// Time the whole leaderboard on seeded synthetic battles, `runs` times.
    Bench {
        id: u64,
        battles: usize,
        models: usize,
        rounds: usize,
        runs: usize,
    },
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportPhase {
    /// Reading the whole file once to find bad lines before anything is written.
    Checking,
    /// Writing batches.
    Writing,
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadLine {
    pub line: u64,
    pub message: String,
}

/// A finished import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub report: ImportReport,
    /// Records read (bad ones not included).
    pub read: usize,
    /// The first few bad records skipped, and how many there were in all.
    pub bad: Vec<BadLine>,
    pub bad_total: usize,
}

/// Why an import stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportFailure {
    /// A bad record, found before anything was written: nothing was imported.
    BadLine(BadLine),
    /// Storage refused a batch (full, or unavailable); the batches before it are kept.
    Storage { message: String, kept: ImportReport },
    /// The file could not be read.
    Read(String),
    /// The file holds no records.
    Empty,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker has started and takes requests.
    Ready,
    Leaderboard {
        id: u64,
        /// Votes stored (before any filter).
        stored: usize,
        result: Result<Box<Leaderboard>, String>,
        /// Milliseconds spent reading votes (0 when the cached ones were used) and ranking.
        load_ms: f64,
        compute_ms: f64,
        /// Of `load_ms`, the read's time in storage and decoding (the rest is waiting for
        /// another request's read); zero when nothing was read.
        #[serde(default)]
        storage_ms: f64,
        #[serde(default)]
        decode_ms: f64,
    },
    /// The rows for [`Request::Ratings`]: empty when the votes cannot be ranked (none yet).
    Ratings { id: u64, rows: Vec<LeaderboardRow> },
    /// A finished export: the file (a `Blob` with the format's media type) travels beside
    /// this message; a failure is a sentence.
    Exported {
        id: u64,
        result: Result<ExportCount, String>,
    },
    Progress {
        id: u64,
        phase: ImportPhase,
        bytes: f64,
        total: f64,
        records: usize,
    },
    Imported {
        id: u64,
        result: Result<Imported, ImportFailure>,
    },
    Bench {
        id: u64,
        /// Generating the synthetic records, once.
        generate_ms: f64,
        /// The whole leaderboard, each run.
        compute_ms: Vec<f64>,
        models: usize,
    },
    /// A request that could not be handled (e.g. storage could not be opened).
    Failed { id: u64, message: String },
}

impl Response {
    /// The id of the request this answers (`None` for [`Response::Ready`]).
    pub fn id(&self) -> Option<u64> {
        match self {
            Response::Ready => None,
            Response::Leaderboard { id, .. }
            | Response::Ratings { id, .. }
            | Response::Exported { id, .. }
            | Response::Progress { id, .. }
            | Response::Imported { id, .. }
            | Response::Bench { id, .. }
            | Response::Failed { id, .. } => Some(*id),
        }
    }
}

impl ImportFailure {
    /// The failure in plain words.
    pub fn sentence(&self) -> String {
        match self {
            ImportFailure::BadLine(b) => format!(
                "Line {}: {}. Nothing was imported. Fix the file, or tick \u{201c}Skip bad \
                 lines\u{201d} to import the other records.",
                b.line, b.message
            ),
            ImportFailure::Storage { message, kept } => format!(
                "The import stopped: {message}. The {} votes written before this were kept.",
                kept.added
            ),
            ImportFailure::Read(m) => format!("The file could not be read: {m}."),
            ImportFailure::Empty => "The file holds no vote records.".to_string(),
        }
    }
}
