//! A local model's loading progress: a bar with bytes and percent, wherever a model loads
//! (the battle's answer panels, direct chat, the Models page).

use leptos::prelude::*;

use crate::llm::protocol::{LoadPhase, LoadProgress, Source};

#[component]
pub fn LoadBar(
    #[prop(into)] progress: Signal<Option<LoadProgress>>,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let attr = move |f: fn(&LoadProgress) -> String| move || progress.with(|p| p.as_ref().map(f));
    view! {
        {move || progress.get().is_some().then(|| view! {
            <div class="load-progress" data-testid=testid.clone() role="status"
                data-loaded=attr(|p| p.loaded.to_string())
                data-total=attr(|p| p.total.map_or_else(String::new, |t| t.to_string()))
                data-source=attr(|p| match p.source {
                    Source::Network => "network".into(),
                    Source::Cache => "cache".into(),
                    Source::File => "file".into(),
                })
                data-phase=attr(|p| match p.phase {
                    LoadPhase::Reading => "reading".into(),
                    LoadPhase::Preparing => "preparing".into(),
                })>
                <progress max="100"
                    value=move || progress.with(|p| p.as_ref().and_then(|p| {
                        (p.phase == LoadPhase::Reading).then(|| p.percent()).flatten()
                    }))>
                </progress>
                <span class="load-label">{move || progress.with(|p| p.as_ref().map(LoadProgress::label))}</span>
            </div>
        })}
    }
}
