//! The Models page's parts: the contestant list, the contestant editor and the API keys.

mod editor;
mod keys;
mod list;
mod local;

pub use editor::{ContestantEditor, Draft};
pub use keys::KeyManager;
pub use list::ContestantList;
pub use local::LocalModelList;

use arena_core::config::{Contestant, ProviderKind};
use arena_providers::Preset;

/// The provider's name as the Models page shows it.
pub fn provider_label(c: &Contestant) -> &'static str {
    match crate::contestants::preset_of(c) {
        Some(p) => p.info().label,
        None if c.provider == ProviderKind::Local => "Local (in this browser)",
        None => "Unknown",
    }
}

/// Every preset with its label, in the order the pickers list them.
pub fn presets() -> impl Iterator<Item = (Preset, &'static str)> {
    Preset::ALL.into_iter().map(|p| (p, p.info().label))
}
