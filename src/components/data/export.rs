//! Exports as file downloads, in every format of `arena_core::formats::export`. The shared
//! data worker reads the votes and writes the file; the page only offers it for download.

use std::fmt::Write as _;

use arena_core::formats::export::ExportFormat;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser::download::download_blob;
use crate::components::notice::ErrorNotice;
use crate::state::use_data_worker;

fn label(f: ExportFormat) -> (&'static str, &'static str, &'static str) {
    // (test id, button, description)
    match f {
        ExportFormat::Jsonl => (
            "export-button",
            "Export votes",
            "All votes as JSON lines, with FastChat's field names (re-imports here, rates with the arena CLI).",
        ),
        ExportFormat::FastchatJson => (
            "export-fastchat",
            "FastChat JSON",
            "A clean-battle JSON array, FastChat's fields only.",
        ),
        ExportFormat::Csv => ("export-csv", "CSV", "One row per battle."),
        ExportFormat::Dpo => (
            "export-dpo",
            "Preference pairs",
            "prompt, chosen, rejected as JSON lines, for reward-model training; ties left out.",
        ),
        ExportFormat::Anonymised => (
            "export-anonymised",
            "Anonymised",
            "JSON lines without conversations; judges replaced by pseudonyms.",
        ),
    }
}

#[component]
pub fn ExportButtons() -> impl IntoView {
    let worker = use_data_worker();
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let export = move |format: ExportFormat| {
        let file = worker.export(format);
        spawn_local(async move {
            let outcome = async {
                let (n, file) = file.await?;
                download_blob(format.file_name(), &file)
                    .map_err(|e| format!("The browser refused the download: {e:?}"))?;
                Ok::<_, String>(n)
            }
            .await;
            // The page may be gone by the time the file is written.
            if error.is_disposed() {
                return;
            }
            match outcome {
                Ok(n) => {
                    error.set(None);
                    let mut s = format!("Exported {} votes to {}.", n.written, format.file_name());
                    if n.skipped > 0 {
                        let _ =
                            write!(s, " {} ties or incomplete battles have no pair.", n.skipped);
                    }
                    status.set(Some(s));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let buttons = ExportFormat::ALL
        .into_iter()
        .map(|f| {
            let (id, text, what) = label(f);
            let primary = f == ExportFormat::Jsonl;
            view! {
                <li>
                    <button
                        class="button"
                        class:primary=primary
                        type="button"
                        data-testid=id
                        on:click=move |_| export(f)
                    >
                        {text}
                    </button>
                    <span class="hint">{what}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="card">
            <h2>"Export"</h2>
            <ul class="export-list">{buttons}</ul>
            <p class="status" role="status" data-testid="export-status">{move || status.get()}</p>
            {move || error.get().map(|e| view! { <ErrorNotice message=e /> })}
        </div>
    }
}
