//! Arena's local LLM engine: GGUF files, quantised CPU kernels, the tokenizer and chat
//! template from the file's metadata, and one decoder for llama, qwen2 and gemma3.
//!
//! The crate does no I/O: a model is loaded from bytes the caller read (a file natively, a
//! download in the browser's worker), and generation is a loop the caller drives, a token at
//! a time, so it can stream, stop between tokens and cancel.

pub mod chat;
pub mod cpu;
pub mod generate;
pub mod gguf;
pub mod model;
pub mod quant;
pub mod sample;
pub mod simd;
pub mod tokenizer;

pub use chat::{ChatTemplate, Message};
pub use generate::{Engine, EngineError, GenerateParams, Generation, Step};
pub use model::{Model, ModelError, State};
pub use sample::{Sampler, SamplerConfig};
