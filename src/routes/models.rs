//! The contestants this arena knows.

use leptos::prelude::*;

use crate::components::notice::{ErrorNotice, Loading};
use crate::state::use_config;
use arena_core::config::ProviderKind;

fn provider_label(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Openai => "OpenAI",
        ProviderKind::OpenaiCompatible => "OpenAI-compatible",
        ProviderKind::Anthropic => "Anthropic",
        ProviderKind::Gemini => "Gemini",
        ProviderKind::Ollama => "Ollama",
        ProviderKind::Local => "Local (in this browser)",
    }
}

#[component]
pub fn ModelsPage() -> impl IntoView {
    let config = use_config();
    view! {
        <section class="hero">
            <h1>"Models"</h1>
            <p class="lede">"The contestants of this arena and how each is reached."</p>
        </section>
        <Suspense fallback=|| view! { <Loading what="contestants" /> }>
            {move || {
                config
                    .get()
                    .map(|r| match r {
                        Ok(c) => {
                            view! {
                                <table class="table" data-testid="contestant-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Provider"</th>
                                            <th scope="col">"Model"</th>
                                            <th scope="col" class="num">"Weight"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {c
                                            .contestants
                                            .into_iter()
                                            .map(|m| {
                                                view! {
                                                    <tr>
                                                        <td>{m.name}</td>
                                                        <td>{provider_label(m.provider)}</td>
                                                        <td><code>{m.model}</code></td>
                                                        <td class="num">{format!("{:.2}", m.weight)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorNotice message=e /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
