//! Components by feature area.

pub mod layout;
pub mod notice;
