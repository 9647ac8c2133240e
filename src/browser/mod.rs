//! Thin adapters over browser APIs.

pub mod download;
pub mod random;
pub mod worker_port;
