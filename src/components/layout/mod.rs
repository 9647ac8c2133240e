//! The frame around every page: header, navigation, theme switch.

mod shell;
mod theme;

pub use shell::Shell;
pub use theme::{Theme, ThemeToggle};
