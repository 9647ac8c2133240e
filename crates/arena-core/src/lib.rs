//! Arena's pure core.
//!
//! Everything in this crate is deterministic and does no I/O: no clock, no network, no
//! files, no randomness except from an explicit seed. The browser app and the native CLI
//! both build on it, so every rule that matters (what a vote is, what a config may say,
//! how ratings are computed) is tested natively here.

pub mod battle;
pub mod config;
pub mod record;
pub mod store;
pub mod sync;

pub use config::{ArenaConfig, ConfigError};
pub use record::{Message, VoteRecord, Winner};
pub mod categories;
pub mod dedup;
pub mod formats;
pub mod id;
pub mod integrity;
pub mod markdown;
pub mod prompts;
pub mod ratings;

pub use ratings::{Leaderboard, LeaderboardOptions, LeaderboardRow, compute_leaderboard};
