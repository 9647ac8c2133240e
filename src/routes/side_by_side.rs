//! Named comparison: the judge picks both contestants. Votes here are stored but marked
//! non-anonymous and left out of the ratings by default.

use arena_core::battle::Mode;
use leptos::prelude::*;

use super::arena::BattleLoader;

#[component]
pub fn SideBySidePage() -> impl IntoView {
    view! {
        <section class="hero compact">
            <h1>"Side by side"</h1>
            <p class="lede">
                "Pick two contestants by name and compare their answers. Because you know who \
                 is who, these votes are kept apart from the blind ratings."
            </p>
        </section>
        <BattleLoader mode=Mode::Named />
    }
}
