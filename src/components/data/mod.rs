//! The Data page's parts: the import form (run in the data worker), the export buttons
//! and the shared-arena (sync) card, with the header's sync indicator.

mod export;
mod import;
mod sync;

pub use export::ExportButtons;
pub use import::ImportForm;
pub use sync::{SyncIndicator, SyncPanel};
