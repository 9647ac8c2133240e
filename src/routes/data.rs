//! Import, export and sync of votes.

use leptos::prelude::*;

use crate::components::data::{ExportButtons, ImportForm, SyncPanel};

#[component]
pub fn DataPage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Data"</h1>
            <p class="lede">
                "Your votes live in this browser. Export them to pool with others or to rank \
                 them with the arena command-line tool; import others' votes or public \
                 Chatbot Arena data."
            </p>
        </section>
        <ImportForm />
        <ExportButtons />
        <SyncPanel />
    }
}
