use leptos::prelude::*;

use super::{ConfigConsentBanner, ThemeToggle};
use crate::router::Page;
use crate::state::use_config;

/// Header with the arena's title and navigation, then the page.
#[component]
pub fn Shell(page: ReadSignal<Page>, children: Children) -> impl IntoView {
    let config = use_config();
    let title = move || {
        config
            .get()
            .and_then(Result::ok)
            .map_or_else(|| "Arena".to_string(), |c| c.title)
    };
    // The document title follows the page, never a contestant.
    Effect::new(move |_| {
        document().set_title(&format!("{} · {}", page.get().label(), title()));
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="#/">
                <span class="brand-mark" aria-hidden="true">"⚔"</span>
                <span class="brand-name">{title}</span>
            </a>
            <nav class="site-nav" aria-label="Main">
                {Page::NAV
                    .into_iter()
                    .map(|p| {
                        view! {
                            <a
                                href=p.href()
                                class:active=move || page.get() == p
                                aria-current=move || (page.get() == p).then_some("page")
                            >
                                {p.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <crate::components::data::SyncIndicator />
            <ThemeToggle />
        </header>
        <main id="main" class="page" tabindex="-1">
            <ConfigConsentBanner />
            {children()}
        </main>
        <footer class="site-footer">
            <span>{concat!("Arena ", env!("CARGO_PKG_VERSION"))}</span>
            <span>"Votes stay in this browser unless you export or sync them."</span>
        </footer>
    }
}
