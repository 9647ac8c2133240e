//! The contestants: those of `arena.json` (read-only) and the judge's own, each with a
//! "Test connection" button whose result is shown in plain words.

use std::collections::HashMap;

use arena_core::config::{Contestant, ProviderKind};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::provider_label;
use crate::contestants::{self, Check};
use crate::llm::protocol::DEVICE_CPU;
use crate::state::{use_keyring, use_store};

#[derive(Debug, Clone, PartialEq, Eq)]
enum CheckState {
    Running,
    Done(Check),
}

// One form, one `view!`: the markup reads best in one place.
#[allow(clippy::too_many_lines)]
#[component]
pub fn ContestantList(
    config: Vec<Contestant>,
    user: Vec<Contestant>,
    #[prop(into)] on_edit: Callback<Contestant>,
    #[prop(into)] on_delete: Callback<String>,
) -> impl IntoView {
    let store = use_store();
    let keyring = use_keyring();
    let checks = RwSignal::new(HashMap::<String, CheckState>::new());
    // The contestant whose delete button asks for confirmation.
    let confirming = RwSignal::new(None::<String>);

    let test = move |c: Contestant| {
        let Some(Ok(s)) = store.get_untracked() else {
            return;
        };
        let id = c.id.clone();
        checks.update(|m| {
            m.insert(id.clone(), CheckState::Running);
        });
        spawn_local(async move {
            let key = match contestants::key_name(&c) {
                Some(name) => keyring.key(s.as_ref(), &name).await,
                None => None,
            };
            let result = contestants::test_connection(&c, key).await;
            checks.update(|m| {
                m.insert(id, CheckState::Done(result));
            });
        });
    };

    let empty = config.is_empty() && user.is_empty();
    let rows = config
        .into_iter()
        .map(|c| (c, false))
        .chain(user.into_iter().map(|c| (c, true)))
        .map(|(c, mine)| {
            let id = c.id.clone();
            let state = {
                let id = id.clone();
                move || checks.with(|m| m.get(&id).cloned())
            };
            let running = {
                let state = state.clone();
                move || matches!(state(), Some(CheckState::Running))
            };
            let params = summary(&c);
            let edit_c = c.clone();
            let test_c = c.clone();
            let del_id = id.clone();
            let is_confirming = {
                let id = id.clone();
                move || confirming.with(|x| x.as_deref() == Some(id.as_str()))
            };
            view! {
                <tr data-testid="contestant-row" data-id=id.clone()
                    data-source=if mine { "user" } else { "config" }>
                    <td>{c.name.clone()}</td>
                    <td>
                        {provider_label(&c)}
                        {host(&c).map(|h| view! { <div class="params" title="Where its requests (and its key) go">{h}</div> })}
                        {(c.provider == ProviderKind::Local).then(|| view! {
                            <div class="params" data-testid="runs-on">{format!("runs on the {DEVICE_CPU}")}</div>
                        })}
                    </td>
                    <td>
                        <code>{c.model.clone()}</code>
                        {(!params.is_empty()).then(|| view! { <div class="params">{params}</div> })}
                    </td>
                    <td class="num">{format!("{:.2}", c.weight)}</td>
                    <td>
                        {if mine {
                            view! { <span class="source-badge mine">"yours"</span> }.into_any()
                        } else {
                            view! { <span class="source-badge" title="Set by the arena's config file; read-only">"arena.json"</span> }.into_any()
                        }}
                    </td>
                    <td class="check">
                        <div class="row-actions">
                            <button type="button" class="button small" data-testid="test-connection"
                                disabled=running.clone()
                                on:click=move |_| test(test_c.clone())>
                                {let running = running.clone(); move || if running() { "Testing…" } else { "Test connection" }}
                            </button>
                            {mine.then(|| {
                                let is_confirming = is_confirming.clone();
                                let is_confirming2 = is_confirming.clone();
                                view! {
                                    <button type="button" class="button small" data-testid="edit-contestant"
                                        on:click=move |_| on_edit.run(edit_c.clone())>
                                        "Edit"
                                    </button>
                                    <button type="button" class="button small danger" data-testid="delete-contestant"
                                        class:confirm=is_confirming
                                        on:click=move |_| {
                                            if is_confirming2() {
                                                confirming.set(None);
                                                on_delete.run(del_id.clone());
                                            } else {
                                                confirming.set(Some(del_id.clone()));
                                            }
                                        }>
                                        {let c = is_confirming.clone(); move || if c() { "Really delete?" } else { "Delete" }}
                                    </button>
                                }
                            })}
                        </div>
                        {move || state().and_then(|s| match s {
                            CheckState::Running => None,
                            CheckState::Done(check) => Some(check_view(check)),
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();

    view! {
        {empty.then(|| view! {
            <div class="notice notice-info" data-testid="no-contestants">
                "No contestants yet. Add two to start a battle."
            </div>
        })}
        <div class="table-wrap">
            <table class="table contestants" data-testid="contestant-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Model"</th>
                        <th scope="col" class="num">"Weight"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Connection"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The result of a connection test: what happened, and what to do when it failed.
fn check_view(check: Check) -> AnyView {
    match check {
        Check::Ok(m) => view! {
            <p class="check-result ok" data-testid="connection-result" data-outcome="ok" role="status">{m}</p>
        }
        .into_any(),
        Check::Warn(m) => view! {
            <p class="check-result warn" data-testid="connection-result" data-outcome="warn" role="status">{m}</p>
        }
        .into_any(),
        Check::Failed(f) => view! {
            <div class="check-result failed" data-testid="connection-result" data-outcome="failed"
                data-kind=f.kind.clone() role="alert">
                <strong>{f.message}</strong>
                {(!f.hint.is_empty()).then(|| view! { <span class="hint">{f.hint}</span> })}
            </div>
        }
        .into_any(),
    }
}

/// The host a provider contestant's requests (and so its provider's key) go to.
fn host(c: &Contestant) -> Option<String> {
    let base = match &c.base_url {
        Some(u) => u.clone(),
        None => contestants::preset_of(c)?
            .info()
            .default_base_url
            .to_string(),
    };
    let rest = base.split_once("://").map_or(base.as_str(), |(_, r)| r);
    rest.split('/').next().map(str::to_string)
}

/// The non-default parameters, in one short line.
fn summary(c: &Contestant) -> String {
    let p = &c.params;
    let mut parts = Vec::new();
    if let Some(t) = p.temperature {
        parts.push(format!("temperature {t}"));
    }
    if let Some(m) = p.max_tokens {
        parts.push(format!("max {m} tokens"));
    }
    if p.system_prompt.is_some() {
        parts.push("system prompt".to_string());
    }
    if let Some(s) = p.idle_timeout_secs {
        parts.push(format!("idle limit {s} s"));
    }
    parts.join(" · ")
}
