//! The Data page's parts: the import form (run in the data worker) and the export buttons.

mod export;
mod import;

pub use export::ExportButtons;
pub use import::ImportForm;
