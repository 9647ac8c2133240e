//! Ratings computed in the browser from the stored votes.

use leptos::prelude::*;

use crate::components::notice::{ErrorNotice, Loading};
use crate::state::{use_store, use_votes_changed};
use arena_core::store::Store;

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let store = use_store();
    let changed = use_votes_changed();
    let count = LocalResource::new(move || {
        changed.0.track();
        let store = store.get();
        async move {
            match store {
                Some(Ok(s)) => s.vote_count().await.map_err(|e| e.to_string()),
                Some(Err(e)) => Err(e.to_string()),
                None => Ok(0),
            }
        }
    });
    view! {
        <section class="hero">
            <h1>"Leaderboard"</h1>
            <p class="lede">
                "Bradley–Terry ratings with confidence intervals and online Elo, computed \
                 from the votes in this browser."
            </p>
        </section>
        <Suspense fallback=|| view! { <Loading what="votes" /> }>
            {move || {
                count
                    .get()
                    .map(|r| match r {
                        Ok(n) => {
                            view! {
                                <p class="card" data-testid="vote-count">
                                    {format!("{n} vote{} stored.", if n == 1 { "" } else { "s" })}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorNotice message=e /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
