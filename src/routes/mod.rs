//! One module per page.

pub mod about;
pub mod arena;
pub mod data;
pub mod leaderboard;
pub mod models;
pub mod not_found;
pub mod side_by_side;
