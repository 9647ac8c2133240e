//! Components by feature area.

pub mod battle;
pub mod data;
pub mod layout;
pub mod leaderboard;
pub mod models;
pub mod notice;
