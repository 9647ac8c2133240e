//! Components by feature area.

pub mod battle;
pub mod layout;
pub mod models;
pub mod notice;
