//! Named modes: compare two chosen contestants (votes stored with `anony: false`, left out of
//! the ratings by default), or chat with one directly (nothing voted).

use std::rc::Rc;

use arena_core::battle::Mode;
use leptos::prelude::*;

use super::arena::BattleLoader;
use crate::components::battle::DirectChat;
use crate::components::notice::{ErrorNotice, Loading};
use crate::state::{use_config, use_store};

#[component]
pub fn SideBySidePage() -> impl IntoView {
    let chat = RwSignal::new(false);
    view! {
        <section class="hero compact">
            <h1>"Side by side"</h1>
            <p class="lede">
                "Pick two contestants by name and compare their answers, or chat with one. \
                 Because you know who is who, these votes are kept apart from the blind ratings."
            </p>
        </section>
        <div class="tabs" role="tablist">
            <button type="button" role="tab" class="tab" data-testid="tab-compare"
                aria-selected=move || (!chat.get()).to_string()
                on:click=move |_| chat.set(false)>
                "Compare two"
            </button>
            <button type="button" role="tab" class="tab" data-testid="tab-chat"
                aria-selected=move || chat.get().to_string()
                on:click=move |_| chat.set(true)>
                "Direct chat"
            </button>
        </div>
        {move || if chat.get() {
            view! { <ChatLoader /> }.into_any()
        } else {
            view! { <BattleLoader mode=Mode::Named /> }.into_any()
        }}
    }
}

#[component]
fn ChatLoader() -> impl IntoView {
    let config = use_config();
    let store = use_store();
    view! {
        <Suspense fallback=|| view! { <Loading what="the arena" /> }>
            {move || match (config.get(), store.get()) {
                (Some(Ok(c)), Some(Ok(s))) => view! { <DirectChat config=Rc::new(c) store=s /> }.into_any(),
                (Some(Err(e)), _) => view! { <ErrorNotice message=e /> }.into_any(),
                (_, Some(Err(e))) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                _ => view! { <Loading what="the arena" /> }.into_any(),
            }}
        </Suspense>
    }
}
