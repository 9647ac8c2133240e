//! Arena's browser app: routes, components and browser adapters.
//!
//! Logic lives in the `crates/` (pure core, codecs, engine); this crate binds it to the DOM,
//! `fetch` and IndexedDB. `main.rs` only mounts [`App`], so browser tests can mount any part.

// `view!` markup counts as lines: components hold markup and signal wiring, not logic, so
// their length is markup and splitting it would only scatter one view over several functions.
#![allow(clippy::too_many_lines)]

pub mod browser;
pub mod components;
pub mod contestants;
pub mod llm;
pub mod router;
pub mod routes;
pub mod state;
pub mod store;
pub mod worker;

use leptos::prelude::*;

use crate::components::layout::Shell;
use crate::router::{Page, current_page};
use crate::state::{
    provide_config, provide_keyring, provide_local_models, provide_store, provide_sync,
};

/// The whole app: shared state, the shell and the page the URL's hash names.
#[component]
pub fn App() -> impl IntoView {
    // The config joins the store's user contestants, so the store comes first.
    provide_store();
    provide_config();
    provide_sync();
    provide_keyring();
    provide_local_models();
    let page = current_page();
    view! {
        <Shell page=page>
            {move || match page.get() {
                Page::Arena => routes::arena::ArenaPage().into_any(),
                Page::SideBySide => routes::side_by_side::SideBySidePage().into_any(),
                Page::Leaderboard => routes::leaderboard::LeaderboardPage().into_any(),
                Page::Models => routes::models::ModelsPage().into_any(),
                Page::Data => routes::data::DataPage().into_any(),
                Page::About => routes::about::AboutPage().into_any(),
                Page::NotFound => routes::not_found::NotFoundPage().into_any(),
            }}
        </Shell>
    }
}
