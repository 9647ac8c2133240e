use arena_core::Winner;
use leptos::prelude::*;

/// The four verdicts, with their keyboard shortcuts shown on the buttons.
#[component]
pub fn VoteBar(
    #[prop(into)] enabled: Signal<bool>,
    #[prop(into)] on_vote: Callback<Winner>,
) -> impl IntoView {
    let button =
        move |winner: Winner, testid: &'static str, label: &'static str, key: &'static str| {
            view! {
                <button
                    type="button"
                    class="button vote"
                    data-testid=testid
                    disabled=move || !enabled.get()
                    aria-keyshortcuts=key
                    on:click=move |_| on_vote.run(winner)
                >
                    <span>{label}</span>
                    <kbd>{key}</kbd>
                </button>
            }
        };
    view! {
        <div class="vote-bar" role="group" aria-label="Your vote">
            {button(Winner::ModelA, "vote-a", "← A is better", "1")}
            {button(Winner::Tie, "vote-tie", "Tie", "3")}
            {button(Winner::TieBothBad, "vote-bothbad", "Both are bad", "4")}
            {button(Winner::ModelB, "vote-b", "B is better →", "2")}
        </div>
    }
}
