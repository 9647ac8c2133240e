//! Plain-words messages: errors, empty states, progress.

use leptos::prelude::*;

/// An error the user should read, with what to do in the text itself.
#[component]
pub fn ErrorNotice(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert" data-testid="error-notice">
            <strong>"Something needs your attention. "</strong>
            <span>{message}</span>
        </div>
    }
}

/// A neutral note, e.g. an empty state.
#[component]
pub fn InfoNotice(children: Children) -> impl IntoView {
    view! { <div class="notice notice-info">{children()}</div> }
}

/// Shown while something loads.
#[component]
pub fn Loading(what: &'static str) -> impl IntoView {
    view! { <p class="loading" aria-busy="true">{format!("Loading {what}…")}</p> }
}
