//! Local models: GGUF files run by `arena-llm` in Web Workers, one worker per loaded model.
//!
//! The worker is its own wasm module (`src/bin/llm_worker.rs`, built by Trunk as a
//! `data-type="worker"` Rust asset with a loader shim, like the data worker), so the main
//! bundle never links the engine: the page side ([`client`], [`cache`], [`protocol`]) only
//! moves messages, and [`server`], [`load`] and [`assemble`] run inside the worker.

pub mod assemble;
pub mod cache;
pub mod client;
mod load;
pub mod protocol;
pub mod server;

pub use client::{Job, Pool};
