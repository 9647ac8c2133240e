//! The Data page's shared-arena card: the sync server's address and token, what is sent, the
//! queue, and "Sync now". A server on another origin than this page takes effect only after
//! the judge confirms it (unless it is the arena config's own `sync_url`), since every vote
//! cast here would go there.

use arena_core::sync::normalise_url;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::notice::ErrorNotice;
use crate::state::{sync_settings, use_config, use_store, use_sync};

/// The origin of `url` (scheme, host, port), as the browser computes it.
fn origin_of(url: &str) -> Option<String> {
    web_sys::Url::new(url).ok().map(|u| u.origin())
}

#[component]
pub fn SyncPanel() -> impl IntoView {
    let sync = use_sync();
    let store = use_store();
    let config = use_config();
    let changed = RwSignal::new(0u64);
    let url = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    // A server on another origin waiting for the judge's confirmation.
    let confirm = RwSignal::new(None::<(String, String)>);
    let config_url = move || {
        config
            .get()
            .and_then(Result::ok)
            .and_then(|c| c.sync_url)
            .and_then(|u| normalise_url(&u).ok())
    };
    let conversations = move || {
        config
            .get()
            .and_then(Result::ok)
            .is_some_and(|c| c.sync_conversations)
    };
    let current = LocalResource::new(move || {
        changed.track();
        let cu = config_url();
        async move {
            let s = store.await.ok()?;
            Some(sync_settings(&s, cu.as_deref()).await)
        }
    });
    // The address field shows the server in use until the judge types in it.
    let typed = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Some(s)) = current.get()
            && !typed.get_untracked()
        {
            url.set(s.url.unwrap_or_default());
        }
    });

    let apply = move |address: String| {
        let Some(Ok(s)) = store.get_untracked() else {
            error.set(Some("Storage is not open yet; try again.".into()));
            return;
        };
        let t = token.get_untracked();
        spawn_local(async move {
            let t = (!t.trim().is_empty()).then_some(t);
            match sync.configure(s.as_ref(), &address, t.as_deref()).await {
                Ok(()) => {
                    token.set(String::new());
                    typed.set(false);
                    error.set(None);
                    saved.set(Some(format!("Syncing with {address}.")));
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        let address = match normalise_url(&url.get_untracked()) {
            Ok(a) => a,
            Err(e) => {
                error.set(Some(format!("{e}.")));
                return;
            }
        };
        let here = window().location().origin().unwrap_or_default();
        let there = origin_of(&address).unwrap_or_default();
        if there != here && config_url().as_deref() != Some(address.as_str()) {
            confirm.set(Some((address, there)));
        } else {
            apply(address);
        }
    };
    let stop = move |_| {
        let Some(Ok(s)) = store.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match sync.stop(s.as_ref()).await {
                Ok(()) => {
                    saved.set(Some("Sync is off; the token is deleted.".into()));
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let status = sync.status;
    let in_use = move || current.get().flatten().and_then(|s| s.url);
    let has_token = move || current.get().flatten().is_some_and(|s| s.has_token);

    view! {
        <section class="card sync-card" aria-labelledby="sync-title">
            <h2 id="sync-title">"Shared arena"</h2>
            <p class="muted">
                "Sync with an arena server (" <code>"arena serve"</code> ") to pool votes with \
                 other judges: votes cast here are queued in this browser and sent when the \
                 server can be reached; every vote on the server comes back here and counts in \
                 the leaderboard. API keys are never sent."
            </p>
            <p class="sync-sent" data-testid="sync-sends">
                {move || if conversations() {
                    "This arena's config sends each vote with its conversation (prompts and answers)."
                } else {
                    "Only the verdicts are sent (models, winner, time, categories), not the \
                     conversations."
                }}
            </p>
            <div class="sync-state">
                <span class="sync-dot" data-state=move || status.get().state()></span>
                <span data-testid="sync-detail">{move || status.get().label()}</span>
                {move || (sync.pulled.get() > 0).then(|| view! {
                    <span class="muted">{move || { let n = sync.pulled.get(); format!("· {n} {} pulled this session", if n == 1 { "vote" } else { "votes" }) }}</span>
                })}
            </div>
            <form class="sync-form" on:submit=save>
                <label class="field grow">
                    <span>"Server address"</span>
                    <input type="url" data-testid="sync-url" placeholder="https://arena.example.org"
                        autocomplete="off" spellcheck="false"
                        prop:value=move || url.get()
                        on:input=move |ev| {
                            typed.set(true);
                            url.set(event_target_value(&ev));
                        } />
                </label>
                <label class="field">
                    <span>"Token"</span>
                    <input type="password" data-testid="sync-token" autocomplete="off"
                        spellcheck="false"
                        placeholder=move || if has_token() { "stored (leave empty to keep)" } else { "paste the server's token" }
                        prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev)) />
                </label>
                <div class="sync-actions">
                    <button type="submit" class="button primary" data-testid="sync-save">"Save and sync"</button>
                    <button type="button" class="button" data-testid="sync-now"
                        disabled=move || in_use().is_none()
                        on:click=move |_| sync.sync_now()>"Sync now"</button>
                    <button type="button" class="button" data-testid="sync-stop"
                        disabled=move || in_use().is_none()
                        on:click=stop>"Stop syncing"</button>
                </div>
            </form>
            {move || current.get().flatten().filter(|s| s.from_config && s.url.is_some()).map(|_| view! {
                <p class="hint">"The server address comes from this arena's config."</p>
            })}
            {move || confirm.get().map(|(address, there)| {
                let go = address.clone();
                view! {
                    <div class="notice notice-warn consent" role="alertdialog" data-testid="sync-consent">
                        <p>
                            "Send the votes cast here to " <code>{address.clone()}</code> "? It is on \
                             another site (" {there} ") than this arena. Use it only if you trust \
                             that server."
                        </p>
                        <div class="consent-actions">
                            <button type="button" class="button primary" data-testid="sync-confirm"
                                on:click=move |_| { confirm.set(None); apply(go.clone()); }>
                                "Send votes there"
                            </button>
                            <button type="button" class="button" data-testid="sync-cancel"
                                on:click=move |_| confirm.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })}
            <p class="status" role="status">{move || saved.get()}</p>
            {move || error.get().map(|e| view! { <ErrorNotice message=e /> })}
        </section>
    }
}

/// The header's `sync-status` indicator: shown while a server is set, a link to the Data page.
#[component]
pub fn SyncIndicator() -> impl IntoView {
    let status = use_sync().status;
    move || {
        let s = status.get();
        (s.state() != "off").then(|| {
            let (label, title, short) = (s.label(), s.label(), s.short_label());
            view! {
                <a class="sync-status" href="#/data" data-testid="sync-status"
                    data-state=s.state() data-pending=s.pending().to_string() title=title>
                    <span class="sync-dot" data-state=s.state()></span>
                    <span class="sync-label">{label}</span>
                    <span class="sync-short" aria-hidden="true">{short}</span>
                </a>
            }
        })
    }
}
