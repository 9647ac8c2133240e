//! Hash routing (`#/leaderboard`).
//!
//! Written by hand rather than with `leptos_router` because the app is hosted as plain static
//! files: a path route such as `/leaderboard` 404s on reload on most static hosts, while a hash
//! never reaches the server. The whole router is this enum and one signal.

use leptos::prelude::*;

/// The app's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Arena,
    SideBySide,
    Leaderboard,
    Models,
    Data,
    About,
    NotFound,
}

impl Page {
    /// Pages in navigation order.
    pub const NAV: [Page; 6] = [
        Page::Arena,
        Page::SideBySide,
        Page::Leaderboard,
        Page::Models,
        Page::Data,
        Page::About,
    ];

    /// The page a location hash names; an empty hash is the Arena.
    pub fn from_hash(hash: &str) -> Page {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let path = path.split(['?', '/']).next().unwrap_or("");
        match path {
            "" | "arena" => Page::Arena,
            "side-by-side" => Page::SideBySide,
            "leaderboard" => Page::Leaderboard,
            "models" => Page::Models,
            "data" => Page::Data,
            "about" => Page::About,
            _ => Page::NotFound,
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Page::Arena | Page::NotFound => "#/",
            Page::SideBySide => "#/side-by-side",
            Page::Leaderboard => "#/leaderboard",
            Page::Models => "#/models",
            Page::Data => "#/data",
            Page::About => "#/about",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Page::Arena => "Arena",
            Page::SideBySide => "Side by side",
            Page::Leaderboard => "Leaderboard",
            Page::Models => "Models",
            Page::Data => "Data",
            Page::About => "About",
            Page::NotFound => "Not found",
        }
    }
}

/// The current page, following `hashchange`.
pub fn current_page() -> ReadSignal<Page> {
    let (page, set_page) = signal(Page::from_hash(&location_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_page.set(Page::from_hash(&location_hash()));
    });
    on_cleanup(move || handle.remove());
    page
}

fn location_hash() -> String {
    window().location().hash().unwrap_or_default()
}
