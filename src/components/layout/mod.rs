//! The frame around every page: header, navigation, theme switch.

mod consent;
mod shell;
mod theme;

pub use consent::ConfigConsentBanner;
pub use shell::Shell;
pub use theme::{Theme, ThemeToggle};
