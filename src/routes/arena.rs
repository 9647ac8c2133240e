//! The anonymous battle.

use leptos::prelude::*;

use crate::components::notice::{ErrorNotice, Loading};
use crate::state::use_config;

#[component]
pub fn ArenaPage() -> impl IntoView {
    let config = use_config();
    view! {
        <section class="hero">
            <h1>"Blind battle"</h1>
            <p class="lede">
                "Two anonymous models answer the same prompt side by side. You vote for the \
                 better answer; only then are their names revealed."
            </p>
        </section>
        <Suspense fallback=|| view! { <Loading what="the arena config" /> }>
            {move || {
                config
                    .get()
                    .map(|result| match result {
                        Ok(c) => {
                            let n = c.contestants.len();
                            view! {
                                <div class="card" data-testid="arena-summary">
                                    <p>
                                        {format!(
                                            "This arena has {n} contestant{}.",
                                            if n == 1 { "" } else { "s" },
                                        )}
                                    </p>
                                    <ol class="steps">
                                        <li>"Type a prompt."</li>
                                        <li>"Read both answers as they stream."</li>
                                        <li>"Vote: A, B, tie, or both bad."</li>
                                        <li>"See who was who."</li>
                                    </ol>
                                </div>
                            }
                                .into_any()
                        }
                        Err(message) => view! { <ErrorNotice message=message /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
