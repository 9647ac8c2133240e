//! Local models on the Models page: each file the local contestants use (and any other file
//! stored in this browser), whether it is stored here and its size, where it runs, and
//! buttons to download it now, load it from a file on disk, or delete the stored copy.

use std::rc::Rc;

use arena_core::config::Contestant;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::battle::LoadBar;
use crate::contestants::Failure;
use crate::contestants::local::{ModelFile, failure, model_files, source_word};
use crate::llm::protocol::{DEVICE_CPU, LoadProgress, Response, megabytes};
use crate::llm::{Job, cache};
use crate::state::{LocalModels, use_local_models};

/// The outcome of the last load or delete, for one file.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok(String),
    /// Stopped by the judge.
    Stopped,
    Failed(Failure),
}

#[component]
pub fn LocalModelList(contestants: Vec<Contestant>) -> impl IntoView {
    let local = use_local_models();
    let refresh = RwSignal::new(0u32);
    let stored = LocalResource::new(move || {
        refresh.track();
        cache::list()
    });
    // The file being loaded, its progress, and the last outcome per file.
    let busy = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<LoadProgress>);
    let outcome = RwSignal::new(None::<(String, Outcome)>);
    let job = StoredValue::new_local(None::<Job>);
    on_cleanup(move || {
        if let Some(j) = job.try_update_value(Option::take).flatten() {
            j.stop();
        }
    });

    let load = move |url: String, shown: String, file: Option<web_sys::File>| {
        let Some(pool) = local.and_then(LocalModels::pool) else {
            return;
        };
        busy.set(Some(url.clone()));
        progress.set(None);
        outcome.set(None);
        let key = url.clone();
        let on: Rc<dyn Fn(Response)> = Rc::new(move |r: Response| {
            if busy.is_disposed() {
                return;
            }
            let ended = match r {
                Response::Progress { progress: p, .. } => {
                    progress.set(Some(p));
                    None
                }
                Response::Loaded { loaded, .. } => {
                    let kept = if loaded.cached {
                        "stored in this browser".to_string()
                    } else {
                        format!(
                            "not stored: {}",
                            loaded
                                .cache_note
                                .as_deref()
                                .unwrap_or("the browser refused")
                        )
                    };
                    Some(Outcome::Ok(if loaded.bytes == 0 {
                        format!("Loaded and ready ({kept}); runs on the {}.", loaded.device)
                    } else {
                        format!(
                            "Loaded {} from {} in {:.1} s ({kept}); runs on the {}.",
                            megabytes(loaded.bytes),
                            source_word(loaded.source),
                            loaded.load_ms / 1000.0,
                            loaded.device
                        )
                    }))
                }
                Response::Failed { error, .. } => Some(Outcome::Failed(failure(&error, &shown))),
                _ => None,
            };
            if let Some(o) = ended {
                progress.set(None);
                busy.set(None);
                outcome.set(Some((key.clone(), o)));
                refresh.update(|n| *n += 1);
            }
        });
        let j = pool.load(&url, file.as_ref(), on);
        job.set_value(Some(j));
    };
    let cancel = move || {
        if let Some(j) = job.try_update_value(Option::take).flatten() {
            j.stop();
        }
        if let Some(url) = busy.get_untracked() {
            progress.set(None);
            busy.set(None);
            outcome.set(Some((url, Outcome::Stopped)));
        }
    };
    let delete = move |url: String| {
        outcome.set(None);
        spawn_local(async move {
            let result = cache::delete(&url).await;
            if busy.is_disposed() {
                return;
            }
            if let Some(pool) = local.and_then(LocalModels::pool) {
                pool.forget(&url);
            }
            outcome.set(Some((
                url,
                match result {
                    Ok(_) => Outcome::Ok("Deleted from this browser.".into()),
                    Err(e) => Outcome::Failed(Failure {
                        kind: "storage".into(),
                        message: "The stored copy could not be deleted.".into(),
                        hint: e,
                    }),
                },
            )));
            refresh.update(|n| *n += 1);
        });
    };

    let contestants = StoredValue::new(contestants);
    view! {
        <section class="card local-models" data-testid="local-models">
            <h2>"Local models"</h2>
            <p class="muted">
                "These run in your browser, in a background worker, on the "
                <strong>{DEVICE_CPU}</strong>
                ". A model is downloaded once and kept in this browser, so later battles start \
                 without the download."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Reading the stored models…"</p> }>
                {move || {
                    stored.get().map(move |s| {
                        let (list, error) = match s {
                            Ok(l) => (l, None),
                            Err(e) => (Vec::new(), Some(e)),
                        };
                        let files =
                            contestants.with_value(|c| model_files(c, &list, cache::absolute));
                        let rows = files
                            .into_iter()
                            .map(|f| file_row(&f, busy, progress, outcome, load, delete, cancel))
                            .collect_view();
                        view! {
                            {error.map(|e| view! {
                                <p class="check-result failed" role="alert">
                                    <strong>"The stored models could not be listed."</strong>
                                    <span class="hint">{e}</span>
                                </p>
                            })}
                            <div class="table-wrap">
                                <table class="table local-files" data-testid="local-model-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Model file"</th>
                                            <th scope="col">"Used by"</th>
                                            <th scope="col">"In this browser"</th>
                                            <th scope="col">"Runs on"</th>
                                            <th scope="col">"Actions"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

fn file_row(
    f: &ModelFile,
    busy: RwSignal<Option<String>>,
    progress: RwSignal<Option<LoadProgress>>,
    outcome: RwSignal<Option<(String, Outcome)>>,
    load: impl Fn(String, String, Option<web_sys::File>) + Copy + Send + Sync + 'static,
    delete: impl Fn(String) + Copy + Send + Sync + 'static,
    cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    let url = f.url.clone();
    let is_busy = {
        let url = url.clone();
        move || busy.with(|b| b.as_deref() == Some(url.as_str()))
    };
    let any_busy = move || busy.with(Option::is_some);
    let row_progress = {
        let is_busy = is_busy.clone();
        Signal::derive(move || if is_busy() { progress.get() } else { None })
    };
    let row_outcome = {
        let url = url.clone();
        move || {
            outcome.with(|o| {
                o.as_ref()
                    .filter(|(u, _)| *u == url)
                    .map(|(_, o)| o.clone())
            })
        }
    };
    let stored = f.stored;
    let size = match stored {
        Some(Some(b)) => megabytes(b),
        Some(None) => "stored (size unknown)".into(),
        None => "not downloaded".into(),
    };
    let used_by = if f.used_by.is_empty() {
        "no contestant".to_string()
    } else {
        f.used_by.join(", ")
    };
    let has_user = !f.used_by.is_empty();
    let (u1, s1, u2, s2, u3) = (
        url.clone(),
        f.shown.clone(),
        url.clone(),
        f.shown.clone(),
        url.clone(),
    );
    view! {
        <tr data-testid="local-model-row" data-url=url.clone()
            data-stored=stored.is_some().to_string()
            data-bytes=stored.flatten().map(|b| b.to_string()).unwrap_or_default()>
            <td><code>{f.shown.clone()}</code></td>
            <td>{used_by}</td>
            <td data-testid="local-model-size">{size}</td>
            <td data-testid="local-model-device">{DEVICE_CPU}</td>
            <td class="check">
                <div class="row-actions">
                    {(has_user && stored.is_none()).then(|| view! {
                        <button type="button" class="button small" data-testid="download-model"
                            disabled=any_busy
                            on:click=move |_| load(u1.clone(), s1.clone(), None)>
                            {let is_busy = is_busy.clone(); move || if is_busy() { "Loading…" } else { "Download now" }}
                        </button>
                    })}
                    {has_user.then(|| view! {
                        <label class="button small file-button" class:disabled=any_busy
                            title="Use a copy of this file from your disk instead of downloading it">
                            "Load from file…"
                            <input type="file" class="visually-hidden" data-testid="load-model-file"
                                accept=".gguf" prop:disabled=any_busy
                                on:change=move |ev| {
                                    let input: web_sys::HtmlInputElement = event_target(&ev);
                                    let file = input.files().and_then(|l| l.get(0));
                                    input.set_value("");
                                    if let Some(file) = file {
                                        load(u2.clone(), s2.clone(), Some(file));
                                    }
                                } />
                        </label>
                    })}
                    <Show when=is_busy.clone()>
                        <button type="button" class="button small" data-testid="cancel-load"
                            on:click=move |_| cancel()>
                            "Cancel"
                        </button>
                    </Show>
                    {stored.is_some().then(|| view! {
                        <button type="button" class="button small danger" data-testid="delete-model"
                            disabled=any_busy
                            on:click=move |_| delete(u3.clone())>
                            "Delete"
                        </button>
                    })}
                </div>
                <LoadBar progress=row_progress testid="load-progress-models" />
                {move || row_outcome().map(|o| match o {
                    Outcome::Ok(m) => view! {
                        <p class="check-result ok" data-testid="local-model-result" data-outcome="ok" role="status">{m}</p>
                    }.into_any(),
                    Outcome::Stopped => view! {
                        <p class="check-result warn" data-testid="local-model-result" data-outcome="stopped" role="status">
                            "Stopped; nothing was stored."
                        </p>
                    }.into_any(),
                    Outcome::Failed(f) => view! {
                        <div class="check-result failed" data-testid="local-model-result" data-outcome="failed"
                            data-kind=f.kind.clone() role="alert">
                            <strong>{f.message}</strong>
                            {(!f.hint.is_empty()).then(|| view! { <span class="hint">{f.hint}</span> })}
                        </div>
                    }.into_any(),
                })}
            </td>
        </tr>
    }
    .into_any()
}
