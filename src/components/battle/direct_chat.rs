//! Direct chat with one named contestant: multi-turn, streaming, stoppable; nothing is voted.

use std::rc::Rc;

use arena_core::ArenaConfig;
use arena_core::battle::chat::Chat;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rand::SeedableRng;

use super::answer::TurnView;
use super::composer::Composer;
use super::load_bar::LoadBar;
use crate::contestants::{self, Running, Update as AnswerUpdate};
use crate::llm::protocol::LoadProgress;
use crate::state::keys::use_keyring;
use crate::state::{LocalModels, use_local_models};
use crate::store::IdbStore;

#[component]
pub fn DirectChat(config: Rc<ArenaConfig>, store: Rc<IdbStore>) -> impl IntoView {
    let contestants = config.contestants.clone();
    let chat = RwSignal::new(Chat::default());
    let keyring = use_keyring();
    let local = use_local_models();
    let loading = RwSignal::new(None::<LoadProgress>);
    let prompt = RwSignal::new(String::new());
    let pick = RwSignal::new(
        config
            .contestants
            .first()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
    );
    let running = StoredValue::new_local(None::<Running>);
    let env = StoredValue::new_local((config, store));
    on_cleanup(move || {
        if let Some(r) = running.try_update_value(Option::take).flatten() {
            r.abort();
        }
    });
    let send = Callback::new(move |()| {
        let text = prompt.get_untracked();
        if chat
            .try_update(|c| c.send(&text))
            .is_some_and(|r| r.is_ok())
        {
            prompt.set(String::new());
        } else {
            return;
        }
        let (config, store) = env.get_value();
        let Some(contestant) = config.contestant(&pick.get_untracked()).cloned() else {
            chat.update(|c| c.fail("Pick a contestant first.".into()));
            return;
        };
        spawn_local(async move {
            let key = match contestants::key_name(&contestant) {
                Some(name) => keyring.key(store.as_ref(), &name).await,
                None => None,
            };
            let messages = chat.with_untracked(Chat::messages);
            let on_update: Rc<dyn Fn(AnswerUpdate)> = Rc::new(move |u| {
                if chat.is_disposed() {
                    return;
                }
                if let AnswerUpdate::Loading(p) = u {
                    loading.try_set(p);
                    return;
                }
                if loading.try_with_untracked(Option::is_some) == Some(true) {
                    loading.try_set(None);
                }
                let ended = matches!(u, AnswerUpdate::Done(_) | AnswerUpdate::Failed(_));
                chat.update(|c| match u {
                    AnswerUpdate::Loading(_) | AnswerUpdate::Reasoning(_) => {}
                    AnswerUpdate::Text(t) => c.push_text(&t),
                    AnswerUpdate::Done(r) => c.finish(r),
                    AnswerUpdate::Failed(f) => c.fail(f.sentence()),
                });
                if ended && let Some(r) = running.try_update_value(Option::take).flatten() {
                    r.detach();
                }
            });
            let pool = local.and_then(LocalModels::pool);
            let r = contestants::start(&contestant, key, &messages, pool, on_update);
            running.set_value(Some(r));
        });
    });
    let stop = move |()| {
        chat.update(Chat::stop);
        loading.set(None);
        if let Some(r) = running.try_update_value(Option::take).flatten() {
            r.abort();
        }
    };
    let answering = move || chat.with(Chat::is_answering);
    let options = contestants
        .iter()
        .map(|c| view! { <option value=c.id.clone()>{c.name.clone()}</option> })
        .collect_view();
    view! {
        <div class="pickers">
            <label>
                "Chat with "
                <select
                    data-testid="chat-pick"
                    prop:value=move || pick.get()
                    disabled=move || chat.with(|c| !c.turns.is_empty())
                    on:change=move |ev| pick.set(event_target_value(&ev))
                >
                    {options}
                </select>
            </label>
            <button type="button" class="button" data-testid="chat-clear"
                on:click=move |_| {
                    stop(());
                    chat.set(Chat::default());
                }>
                "New chat"
            </button>
        </div>
        <section class="answer chat" class:streaming=answering data-testid="chat-log">
            <header class="answer-head">
                <span class="model-name">"Conversation"</span>
                <Show when=answering>
                    <button type="button" class="button small" data-testid="chat-stop" on:click=move |_| stop(())>
                        "Stop"
                    </button>
                </Show>
            </header>
            <LoadBar progress=loading testid="load-progress-chat" />
            <div class="answer-body">
                <For
                    each=move || chat.get().turns.into_iter().enumerate()
                    key=|(i, (_, a))| (*i, a.text.len(), format!("{:?}", a.state))
                    let:item
                >
                    <TurnView index=1 prompt=item.1.0 answer=item.1.1 />
                </For>
            </div>
        </section>
        <Composer
            text=prompt
            enabled=Signal::derive(move || !answering())
            placeholder=Signal::derive(|| "Message the model…".to_string())
            on_send=send
            on_random=Callback::new(move |()| {
                let mut rng = rand_chacha::ChaCha8Rng::from_seed(crate::browser::random::seed());
                let sets = arena_core::prompts::built_in();
                if let Some((p, _)) = arena_core::prompts::random_prompt(&sets, None, &mut rng) {
                    prompt.set(p.to_string());
                }
            })
        />
    }
}
