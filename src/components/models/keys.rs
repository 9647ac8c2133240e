//! API keys per provider: set (saved in this browser or for this session only) and delete.
//! A key is never shown again once set; the list says only where it is kept.

use arena_providers::Preset;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::contestants;
use crate::state::{KeyPlace, use_config, use_keyring, use_store};

// One form, one `view!`: the markup reads best in one place.
#[allow(clippy::too_many_lines)]
#[component]
pub fn KeyManager() -> impl IntoView {
    let store = use_store();
    let keyring = use_keyring();
    let preset = RwSignal::new(Preset::OpenAi.id().to_string());
    let key = RwSignal::new(String::new());
    let place = RwSignal::new(KeyPlace::Saved);
    let message = RwSignal::new(None::<(bool, String)>);

    // Key names: every preset's own, and `preset@origin` for each contestant that speaks a
    // preset's protocol at another address (see `contestants::key_name`).
    let config = use_config();
    let names = Memo::new(move |_| {
        let mut names: Vec<String> = Preset::ALL.iter().map(|p| p.id().to_string()).collect();
        if let Some(Ok(c)) = config.get() {
            for n in c.contestants.iter().filter_map(contestants::key_name) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names
    });
    // Where each key is kept, refreshed after every change.
    let places = LocalResource::new(move || {
        keyring.changed.track();
        let names = names.get();
        async move {
            let Ok(s) = store.await else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for n in names {
                if let Some(at) = keyring.place(s.as_ref(), &n).await {
                    out.push((n, at));
                }
            }
            out
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(s)) = store.get_untracked() else {
            message.set(Some((false, "Storage is not open yet; try again.".into())));
            return;
        };
        let (p, k, at) = (
            preset.get_untracked(),
            key.get_untracked(),
            place.get_untracked(),
        );
        spawn_local(async move {
            match keyring.set(s.as_ref(), &p, &k, at).await {
                Ok(()) => {
                    key.set(String::new());
                    let label = contestants::key_label(&p);
                    let where_ = match at {
                        KeyPlace::Saved => "saved in this browser",
                        KeyPlace::Session => "kept for this session only",
                    };
                    message.set(Some((true, format!("The {label} key is {where_}."))));
                }
                Err(e) => message.set(Some((false, e.to_string()))),
            }
        });
    };
    let forget = move |name: String| {
        let Some(Ok(s)) = store.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match keyring.forget(s.as_ref(), &name).await {
                Ok(()) => message.set(Some((
                    true,
                    format!("The {} key is deleted.", contestants::key_label(&name)),
                ))),
                Err(e) => message.set(Some((false, e.to_string()))),
            }
        });
    };

    view! {
        <section class="card keys" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <p class="muted">
                "One key per provider, sent only to that provider. Keys never go into exports, \
                 sync or the address bar. A session-only key is forgotten when this tab closes."
            </p>
            <form class="key-form" on:submit=save>
                <label class="field">
                    <span>"Provider"</span>
                    <select data-testid="key-preset" prop:value=move || preset.get()
                        on:change=move |ev| preset.set(event_target_value(&ev))>
                        {move || names.get().into_iter().map(|n| {
                            let label = contestants::key_label(&n);
                            view! { <option value=n>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field grow">
                    <span>"Key"</span>
                    <input type="password" data-testid="key-input" autocomplete="off"
                        spellcheck="false" placeholder="Paste the key"
                        prop:value=move || key.get()
                        on:input=move |ev| key.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Keep it"</span>
                    <select data-testid="key-place"
                        on:change=move |ev| place.set(if event_target_value(&ev) == "session" {
                            KeyPlace::Session
                        } else {
                            KeyPlace::Saved
                        })>
                        <option value="saved" selected=true>"Saved in this browser"</option>
                        <option value="session">"This session only"</option>
                    </select>
                </label>
                <button type="submit" class="button primary" data-testid="save-key"
                    disabled=move || key.with(|k| k.trim().is_empty())>
                    "Save key"
                </button>
            </form>
            <p class="status" role="status" data-testid="key-status"
                class:status-error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                {move || message.get().map(|(_, m)| m)}
            </p>
            <Suspense fallback=|| ()>
                {move || places.get().map(|list| {
                    if list.is_empty() {
                        view! { <p class="muted" data-testid="no-keys">"No keys yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="key-list">
                                {list.into_iter().map(|(p, at)| { let name = p.clone(); view! {
                                    <li class="key-row" data-testid="key-row" data-preset=p.clone()>
                                        <span class="key-provider">{contestants::key_label(&p)}</span>
                                        <span class="key-place" class:session=at == KeyPlace::Session>
                                            {match at {
                                                KeyPlace::Saved => "saved in this browser",
                                                KeyPlace::Session => "this session only",
                                            }}
                                        </span>
                                        <button type="button" class="button small" data-testid="delete-key"
                                            on:click=move |_| forget(name.clone())>
                                            "Delete"
                                        </button>
                                    </li>
                                }}).collect_view()}
                            </ul>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
