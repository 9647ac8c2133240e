use arena_core::battle::{Answer, AnswerState, Battle, Side};
use leptos::prelude::*;

use super::LoadBar;
use crate::llm::protocol::LoadProgress;

/// One side of the battle: its label (never the name before the vote), every turn's prompt
/// and answer (Markdown, sanitised), its state, a local model's loading progress, and a stop
/// button while it streams.
#[component]
pub fn AnswerPanel(
    side: Side,
    battle: Signal<Option<Battle>>,
    #[prop(into)] on_stop: Callback<Side>,
    #[prop(optional, into)] loading: Signal<Option<LoadProgress>>,
) -> impl IntoView {
    let letter = side.letter().to_lowercase();
    let testid = format!("response-{letter}");
    let turns = move || {
        battle.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.turns
                    .iter()
                    .map(|t| {
                        let a = if side == Side::A { &t.a } else { &t.b };
                        (t.prompt.clone(), a.clone())
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let state = move || {
        battle.with(|b| {
            b.as_ref().and_then(|b| b.turns.last()).map(|t| {
                if side == Side::A {
                    t.a.state.clone()
                } else {
                    t.b.state.clone()
                }
            })
        })
    };
    let streaming = move || state().is_some_and(|s| s.is_active());
    let voted = move || battle.with(|b| b.as_ref().is_some_and(|b| b.vote.is_some()));
    let label = move || {
        battle.with(|b| {
            b.as_ref().map_or_else(
                || format!("Model {}", side.letter()),
                |b| b.display_name(side),
            )
        })
    };
    view! {
        <section class="answer" class:streaming=streaming aria-label=move || format!("Answer {}", side.letter())>
            <header class="answer-head">
                <span class="side-badge">{side.letter()}</span>
                {move || {
                    if voted() {
                        view! {
                            <span class="model-name" data-testid=format!("model-name-{letter}")>
                                {label()}
                            </span>
                        }
                            .into_any()
                    } else {
                        view! { <span class="model-name anonymous">{label()}</span> }.into_any()
                    }
                }}
                <span class="answer-state" aria-live="polite">
                    {move || match state() {
                        Some(AnswerState::Waiting) if loading.with(Option::is_some) => "loading…",
                        Some(AnswerState::Waiting) => "waiting…",
                        Some(AnswerState::Streaming) => "writing…",
                        Some(AnswerState::Done { .. }) => "done",
                        Some(AnswerState::Stopped) => "stopped",
                        Some(AnswerState::Failed { .. }) => "failed",
                        None => "",
                    }}
                </span>
                <Show when=streaming>
                    <button
                        type="button"
                        class="button small"
                        data-testid=format!("stop-{}", side.letter().to_lowercase())
                        on:click=move |_| on_stop.run(side)
                    >
                        "Stop"
                    </button>
                </Show>
            </header>
            <LoadBar progress=loading testid=format!("load-progress-{}", side.letter().to_lowercase()) />
            <div class="answer-body" data-testid=testid>
                <For
                    each=move || turns().into_iter().enumerate()
                    key=|(i, (_, a))| (*i, a.text.len(), format!("{:?}", a.state))
                    let:item
                >
                    <TurnView index=item.0 prompt=item.1.0 answer=item.1.1 />
                </For>
                <Show when=move || battle.with(|b| b.as_ref().is_none_or(|b| b.turns.is_empty()))>
                    <p class="placeholder">"The answer will appear here."</p>
                </Show>
            </div>
        </section>
    }
}

/// One turn of one side: the follow-up prompt (after the first turn), the answer as
/// sanitised Markdown, and the failure, if any.
#[component]
pub(super) fn TurnView(index: usize, prompt: String, answer: Answer) -> impl IntoView {
    let html = arena_core::markdown::render(&answer.text);
    let failed = match answer.state {
        AnswerState::Failed { message } => Some(message),
        _ => None,
    };
    view! {
        <div class="turn">
            {(index > 0).then(|| view! { <p class="turn-prompt">{prompt}</p> })}
            <div class="markdown" inner_html=html></div>
            {failed.map(|m| {
                view! {
                    <div class="notice notice-error answer-error" role="alert" data-testid="answer-error">
                        {m}
                    </div>
                }
            })}
        </div>
    }
}
