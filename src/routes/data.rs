//! Import, export and sync of votes.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser::download::download_text;
use crate::components::notice::ErrorNotice;
use crate::state::use_store;
use arena_core::store::Store;

#[component]
pub fn DataPage() -> impl IntoView {
    let store = use_store();
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let export = move |_| {
        let Some(result) = store.get() else {
            return;
        };
        spawn_local(async move {
            let outcome = async {
                let s = result.map_err(|e| e.to_string())?;
                let votes = s.votes().await.map_err(|e| e.to_string())?;
                let mut text = String::new();
                for v in &votes {
                    text.push_str(&serde_json::to_string(v).map_err(|e| e.to_string())?);
                    text.push('\n');
                }
                download_text("arena-votes.jsonl", "application/x-ndjson", &text)
                    .map_err(|e| format!("The browser refused the download: {e:?}"))?;
                Ok::<_, String>(votes.len())
            }
            .await;
            match outcome {
                Ok(n) => {
                    error.set(None);
                    status.set(Some(format!("Exported {n} votes.")));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="hero">
            <h1>"Data"</h1>
            <p class="lede">
                "Your votes live in this browser. Export them to pool with others or to rank \
                 them with the arena command-line tool."
            </p>
        </section>
        <div class="card">
            <h2>"Export"</h2>
            <p>"All votes as JSON lines, with FastChat's field names."</p>
            <button class="button primary" type="button" data-testid="export-button" on:click=export>
                "Export votes"
            </button>
            <p class="status" role="status">{move || status.get()}</p>
            {move || error.get().map(|e| view! { <ErrorNotice message=e /> })}
        </div>
    }
}
