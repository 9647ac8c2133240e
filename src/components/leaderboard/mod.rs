//! The leaderboard's parts: filters, the ratings table, the interval plot, the heatmaps and
//! the notes (filter summary, style coefficients, preference cycles). Each takes the finished
//! [`arena_core::Leaderboard`] and only draws it.

// Leptos components take their props by value.
#![allow(clippy::needless_pass_by_value)]

pub mod chart;
mod ci_plot;
mod filters;
mod heatmap;
mod notes;
mod table;

pub use ci_plot::CiPlot;
pub use filters::{Filters, LeaderboardFilters};
pub use heatmap::{Heatmap, HeatmapKind};
pub use notes::{CyclesNote, FilterSummaryNote, StyleCoefficients};
pub use table::RatingsTable;

use std::collections::HashMap;
use std::sync::Arc;

/// Display names by contestant id, from the config; an id without one is shown as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names(pub Arc<HashMap<String, String>>);

impl Names {
    pub fn get(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}
