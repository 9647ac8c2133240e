//! Asks before a config from another site takes effect (`?config=URL`): that config decides
//! which models the judge's prompts go to and where votes are synced.

use leptos::prelude::*;

use crate::state::ConfigConsent;

#[component]
pub fn ConfigConsentBanner() -> impl IntoView {
    let Some(consent) = use_context::<ConfigConsent>() else {
        return ().into_any();
    };
    let decided = consent.decided;
    view! {
        <Show when=move || decided.get().is_none()>
            <div class="notice notice-warn consent" role="alertdialog" aria-labelledby="consent-title"
                data-testid="config-consent">
                <h2 id="consent-title">"Use an arena config from another site?"</h2>
                <p>
                    "This link asks to load the arena from "
                    <code data-testid="config-consent-url">{consent.url.clone()}</code>
                    " (" {consent.origin.clone()} "). That config chooses which models your \
                     prompts are sent to and where votes are synced. Use it only if you trust \
                     that site."
                </p>
                <div class="consent-actions">
                    <button type="button" class="button primary" data-testid="config-accept"
                        on:click=move |_| decided.set(Some(true))>
                        "Use this config"
                    </button>
                    <button type="button" class="button" data-testid="config-decline"
                        on:click=move |_| decided.set(Some(false))>
                        "No, use this site's own arena"
                    </button>
                </div>
            </div>
        </Show>
    }
    .into_any()
}
