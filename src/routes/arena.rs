//! The battle page: blind (Arena) or named (Side by side).

use std::rc::Rc;

use arena_core::ArenaConfig;
use arena_core::battle::{Mode, Phase, Side};
use arena_core::{Winner, prompts};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rand::SeedableRng;
use wasm_bindgen::JsCast;

use crate::components::battle::{AnswerPanel, Composer, PromptLibrary, VoteBar};
use crate::components::notice::{ErrorNotice, Loading};
use crate::state::battle::BattleCtl;
use crate::state::{use_config, use_store, use_votes_changed};
use crate::store::IdbStore;

#[component]
pub fn ArenaPage() -> impl IntoView {
    view! {
        <section class="hero compact">
            <h1>"Blind battle"</h1>
            <p class="lede">
                "Two anonymous models answer the same prompt. Vote for the better answer; only \
                 then are their names revealed."
            </p>
        </section>
        <BattleLoader mode=Mode::Anonymous />
    }
}

/// Waits for the config and the store, then shows the battle.
#[component]
pub fn BattleLoader(mode: Mode) -> impl IntoView {
    let config = use_config();
    let store = use_store();
    view! {
        <Suspense fallback=|| view! { <Loading what="the arena" /> }>
            {move || {
                match (config.get(), store.get()) {
                    (Some(Ok(c)), Some(Ok(s))) => {
                        view! { <BattleView config=Rc::new(c) store=s mode=mode /> }.into_any()
                    }
                    (Some(Err(e)), _) => view! { <ErrorNotice message=e /> }.into_any(),
                    (_, Some(Err(e))) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                    _ => view! { <Loading what="the arena" /> }.into_any(),
                }
            }}
        </Suspense>
    }
}

#[component]
fn BattleView(config: Rc<ArenaConfig>, store: Rc<IdbStore>, mode: Mode) -> impl IntoView {
    let ctl = BattleCtl::new(mode);
    let votes_changed = use_votes_changed();
    let prompt = RwSignal::new(String::new());
    let prompt_category = RwSignal::new(None::<String>);
    let battle: Signal<Option<arena_core::battle::Battle>> = ctl.battle.into();
    let phase = Memo::new(move |_| {
        battle.with(|b| {
            b.as_ref()
                .map_or(Phase::Composing, arena_core::battle::Battle::phase)
        })
    });
    let can_send = Signal::derive(move || {
        battle.with(|b| b.as_ref().is_none_or(arena_core::battle::Battle::can_send))
    });
    let can_vote = Signal::derive(move || phase.get() == Phase::Judging && !ctl.saving.get());
    let voted = move || phase.get() == Phase::Voted;
    let pick_a = RwSignal::new(
        config
            .contestants
            .first()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
    );
    let pick_b = RwSignal::new(
        config
            .contestants
            .get(1)
            .map(|c| c.id.clone())
            .unwrap_or_default(),
    );

    {
        let (config, store) = (config.clone(), store.clone());
        spawn_local(async move { ctl.restore(&config, &store).await });
    }

    let battle_area = NodeRef::<leptos::html::Div>::new();
    // Rc values live in local storage so the `Send` callbacks can reach them.
    let env = StoredValue::new_local((config.clone(), store.clone()));
    let send = {
        Callback::new(move |()| {
            let text = prompt.get_untracked();
            if text.trim().is_empty() {
                return;
            }
            prompt.set(String::new());
            // Hand the keyboard to the battle, so 1–4 vote as soon as the answers are in;
            // the composer is one Tab or click away for a follow-up.
            if let Some(el) = battle_area.get_untracked() {
                let _ = el.focus();
            }
            let chosen =
                (mode == Mode::Named).then(|| (pick_a.get_untracked(), pick_b.get_untracked()));
            if let Some(c) = prompt_category.get_untracked() {
                ctl.set_category(Some(c));
            }
            let (config, store) = env.get_value();
            spawn_local(async move {
                ctl.send(config, store, text, chosen).await;
                if let Some(c) = prompt_category.get_untracked() {
                    ctl.set_category(Some(c));
                }
            });
        })
    };
    let sets = {
        let mut s = prompts::built_in();
        s.extend(config.prompt_sets.iter().cloned());
        StoredValue::new(s)
    };
    let random = Callback::new(move |()| {
        let mut rng = rand_chacha::ChaCha8Rng::from_seed(crate::browser::random::seed());
        let picked = sets.with_value(|s| {
            prompts::random_prompt(s, None, &mut rng)
                .map(|(p, c)| (p.to_string(), c.map(str::to_string)))
        });
        if let Some((p, c)) = picked {
            prompt.set(p);
            prompt_category.set(c);
        }
    });
    let pick_prompt = Callback::new(move |(p, c): (String, Option<String>)| {
        prompt.set(p);
        prompt_category.set(c);
    });
    let vote = {
        Callback::new(move |winner: Winner| {
            if !can_vote.get_untracked() {
                return;
            }
            let store = env.get_value().1;
            spawn_local(async move {
                if ctl.vote(winner, store).await.is_some() {
                    votes_changed.0.update(|n| *n += 1);
                }
            });
        })
    };
    let stop = Callback::new(move |side: Side| ctl.stop(side));
    let new_round = {
        Callback::new(move |()| {
            ctl.new_round(env.get_value().1);
            prompt_category.set(None);
        })
    };
    let regenerate = {
        Callback::new(move |()| {
            let (config, store) = env.get_value();
            spawn_local(async move { ctl.regenerate(config, store).await });
        })
    };

    // Keyboard: 1 / 2 / 3 / 4 vote, N new round, R regenerate, Escape stops both sides.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.is_composing() {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
        match ev.key().as_str() {
            "Escape" => {
                ctl.stop(Side::A);
                ctl.stop(Side::B);
            }
            _ if typing => {}
            "1" => vote.run(Winner::ModelA),
            "2" => vote.run(Winner::ModelB),
            "3" => vote.run(Winner::Tie),
            "4" => vote.run(Winner::TieBothBad),
            "n" | "N" if voted() => new_round.run(()),
            "r" | "R" if matches!(phase.get_untracked(), Phase::Judging | Phase::Failed) => {
                regenerate.run(());
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    let categories = config.categories.clone();
    let contestants = config.contestants.clone();
    let placeholder = Signal::derive(move || {
        if battle.with(|b| b.as_ref().is_some_and(|b| !b.turns.is_empty())) {
            "Ask a follow-up, or vote below…".to_string()
        } else {
            "Type a prompt and press Enter…".to_string()
        }
    });

    view! {
        {(mode == Mode::Named).then(|| {
            let options = move || {
                contestants
                    .iter()
                    .map(|c| view! { <option value=c.id.clone()>{c.name.clone()}</option> })
                    .collect_view()
            };
            view! {
                <div class="pickers">
                    <label>"A "
                        <select data-testid="pick-a" prop:value=move || pick_a.get()
                            disabled=move || battle.with(Option::is_some)
                            on:change=move |ev| pick_a.set(event_target_value(&ev))>
                            {options()}
                        </select>
                    </label>
                    <label>"B "
                        <select data-testid="pick-b" prop:value=move || pick_b.get()
                            disabled=move || battle.with(Option::is_some)
                            on:change=move |ev| pick_b.set(event_target_value(&ev))>
                            {options()}
                        </select>
                    </label>
                </div>
            }
        })}
        {move || ctl.error.get().map(|e| view! { <ErrorNotice message=e /> })}
        <div class="battle" tabindex="-1" node_ref=battle_area aria-label="Answers">
            <AnswerPanel side=Side::A battle=battle on_stop=stop
                loading=Signal::derive(move || ctl.loading.try_with(|l| l[0]).flatten()) />
            <AnswerPanel side=Side::B battle=battle on_stop=stop
                loading=Signal::derive(move || ctl.loading.try_with(|l| l[1]).flatten()) />
        </div>
        <div class="judge">
            <VoteBar enabled=can_vote on_vote=vote />
            <div class="judge-tools">
                <label class="category">
                    "Category "
                    <select
                        data-testid="category-select"
                        disabled=voted
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            let c = (!v.is_empty()).then_some(v);
                            prompt_category.set(c.clone());
                            ctl.set_category(c);
                        }
                        prop:value=move || prompt_category.get().unwrap_or_default()
                    >
                        <option value="">"—"</option>
                        {categories.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="button" data-testid="regenerate"
                    disabled=move || !matches!(phase.get(), Phase::Judging | Phase::Failed)
                    on:click=move |_| regenerate.run(())>
                    "↻ Regenerate" <kbd>"R"</kbd>
                </button>
                <button type="button" class="button" class:primary=voted data-testid="new-round"
                    on:click=move |_| new_round.run(())>
                    "New round" <kbd>"N"</kbd>
                </button>
            </div>
            <p class="judge-hint" role="status">
                {move || match phase.get() {
                    Phase::Composing => "Send a prompt to start a battle.",
                    Phase::Answering => "Both models are answering… (Esc stops them)",
                    Phase::Judging => "Which answer is better? Vote, or ask a follow-up.",
                    Phase::Failed => "One side failed, so this battle cannot be judged. Regenerate or start a new round.",
                    Phase::Voted => "Thanks! Your vote is saved. Press N for a new round.",
                }}
            </p>
        </div>
        <Composer text=prompt enabled=can_send placeholder=placeholder on_send=send on_random=random />
        <PromptLibrary store=store.clone() configured=config.prompt_sets.clone() on_pick=pick_prompt />
    }
}
