//! The data worker: rankings, imports and the in-browser benchmark, off the main thread.
//!
//! The worker is its own wasm module (`src/bin/leaderboard_worker.rs`, built by Trunk as a
//! `data-type="worker"` Rust asset with a loader shim). It opens the IndexedDB database
//! itself, so votes never cross the thread boundary; only the finished [`Leaderboard`] and
//! import reports come back. Messages are the serde enums of [`protocol`], sent as JSON text
//! (a `File` to import travels beside the text, since files cannot be serialised).
//!
//! [`Leaderboard`]: arena_core::Leaderboard

pub mod cache;
pub mod client;
mod file_read;
pub mod protocol;
pub mod server;

pub use client::WorkerClient;
