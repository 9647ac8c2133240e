//! Light, dark or the system's choice, remembered in `localStorage` so the first paint is
//! already right (an IndexedDB read would arrive after it).

use leptos::prelude::*;

const KEY: &str = "arena-theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn parse(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn apply(theme: Theme) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
}

/// A button cycling system → light → dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let initial = storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .map_or(Theme::System, |s| Theme::parse(&s));
    let theme = RwSignal::new(initial);
    Effect::new(move |_| {
        let t = theme.get();
        apply(t);
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, t.as_str());
        }
    });
    view! {
        <button
            class="theme-toggle"
            type="button"
            data-testid="theme-toggle"
            title="Switch colour theme"
            on:click=move |_| theme.update(|t| *t = t.next())
        >
            {move || theme.get().label()}
        </button>
    }
}
