//! Import: a file input, a "skip bad lines" switch and a progress bar. The file is read and
//! written to IndexedDB by the data worker, slice by slice, so a large file neither sits in
//! memory whole nor freezes the page.

use std::fmt::Write as _;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::notice::ErrorNotice;
use crate::state::use_votes_changed;
use crate::store::idb::DB_NAME;
use crate::worker::WorkerClient;
use crate::worker::protocol::{ImportPhase, Imported, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq)]
struct Progress {
    phase: ImportPhase,
    bytes: f64,
    total: f64,
    records: usize,
}

fn summary(name: &str, done: &Imported) -> String {
    let mut s = format!(
        "Imported {name}: {} new vote{}, {} already stored.",
        done.report.added,
        if done.report.added == 1 { "" } else { "s" },
        done.report.duplicates
    );
    if done.bad_total > 0 {
        let lines: Vec<String> = done
            .bad
            .iter()
            .map(|b| format!("line {}: {}", b.line, b.message))
            .collect();
        let _ = write!(
            s,
            " Skipped {} bad record{} ({}{}).",
            done.bad_total,
            if done.bad_total == 1 { "" } else { "s" },
            lines.join("; "),
            if done.bad_total > done.bad.len() {
                "; …"
            } else {
                ""
            }
        );
    }
    s
}

// One view tree with its handlers, read top to bottom.
#[allow(clippy::too_many_lines)]
#[component]
pub fn ImportForm() -> impl IntoView {
    let changed = use_votes_changed();
    let skip_bad = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let progress = RwSignal::new(None::<Progress>);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let file_name = StoredValue::new(String::new());
    let next_id = StoredValue::new(0u64);

    let client = WorkerClient::spawn(
        move |response| match response {
            Response::Progress {
                phase,
                bytes,
                total,
                records,
                ..
            } => progress.set(Some(Progress {
                phase,
                bytes,
                total,
                records,
            })),
            Response::Imported { result, .. } => {
                busy.set(false);
                progress.set(None);
                match result {
                    Ok(done) => {
                        error.set(None);
                        status.set(Some(summary(&file_name.get_value(), &done)));
                    }
                    Err(failure) => {
                        status.set(None);
                        error.set(Some(failure.sentence()));
                    }
                }
                // Even a failed import may have kept earlier batches.
                changed.0.update(|n| *n += 1);
            }
            Response::Failed { message, .. } => {
                busy.set(false);
                progress.set(None);
                error.set(Some(message));
            }
            _ => {}
        },
        move |message| {
            busy.set(false);
            error.set(Some(message));
        },
    );
    let client = match client {
        Ok(c) => Some(c),
        Err(e) => {
            error.set(Some(e));
            None
        }
    };
    let client = StoredValue::new_local(client);

    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Cleared, so choosing the same file again imports it again (and adds nothing).
        input.set_value("");
        file_name.set_value(file.name());
        let id = next_id.get_value() + 1;
        next_id.set_value(id);
        busy.set(true);
        error.set(None);
        status.set(Some(format!("Reading {}…", file.name())));
        progress.set(Some(Progress {
            phase: ImportPhase::Checking,
            bytes: 0.0,
            total: file.size(),
            records: 0,
        }));
        client.with_value(|c| {
            if let Some(c) = c {
                c.send(
                    &Request::Import {
                        id,
                        db: DB_NAME.to_string(),
                        skip_bad_lines: skip_bad.get_untracked(),
                    },
                    Some(&file),
                );
            }
        });
    };

    view! {
        <div class="card import">
            <h2>"Import"</h2>
            <p>
                "Arena JSON lines, FastChat clean battles (JSON array or JSON lines), CSV with \
                 the battle fields, or the Kaggle arena-human-preference CSV. Votes already \
                 stored (same id, or the same FastChat row) are not added twice."
            </p>
            <div class="import-row">
                <label class="button primary file-button" class:disabled=move || busy.get()>
                    "Choose a file…"
                    <input
                        type="file"
                        class="visually-hidden"
                        data-testid="import-input"
                        accept=".jsonl,.ndjson,.json,.csv,.txt,application/json,text/csv"
                        prop:disabled=move || busy.get()
                        on:change=on_change
                    />
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="import-skip-bad"
                        prop:checked=move || skip_bad.get()
                        on:change=move |e| skip_bad.set(event_target_checked(&e))
                    />
                    <span>"Skip bad lines"</span>
                </label>
            </div>
            {move || {
                progress
                    .get()
                    .map(|p| {
                        let what = match p.phase {
                            ImportPhase::Checking => "Checking",
                            ImportPhase::Writing => "Writing",
                        };
                        let pct = if p.total > 0.0 { 100.0 * p.bytes / p.total } else { 0.0 };
                        view! {
                            <div class="import-progress">
                                <progress
                                    data-testid="import-progress"
                                    max=p.total.max(1.0).to_string()
                                    value=p.bytes.to_string()
                                ></progress>
                                <span class="hint">
                                    {format!("{what}: {pct:.0} %, {} records", p.records)}
                                </span>
                            </div>
                        }
                    })
            }}
            <p class="status" role="status" data-testid="import-status">{move || status.get()}</p>
            {move || error.get().map(|e| view! { <ErrorNotice message=e /> })}
        </div>
    }
}
