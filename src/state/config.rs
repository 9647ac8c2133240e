//! The arena config: `arena.json` beside `index.html` (fetched once), joined by the judge's
//! own contestants from the store's `contestants` object store. Pages read the joined config
//! through [`use_config`], so a battle finds a user contestant by id like any other.

use arena_core::ArenaConfig;
use arena_core::config::Contestant;
use arena_core::store::Store;
use leptos::prelude::*;

use super::use_store;

/// The config, or a message saying plainly why it could not be loaded.
pub type ConfigResource = LocalResource<Result<ArenaConfig, String>>;

/// The two halves of the config, for the Models page: what `arena.json` says (read-only)
/// and the judge's own contestants, with a counter to bump after changing those.
#[derive(Clone, Copy)]
pub struct ConfigParts {
    pub base: ConfigResource,
    pub user: LocalResource<Result<Vec<Contestant>, String>>,
    pub user_changed: RwSignal<u64>,
}

impl std::fmt::Debug for ConfigParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigParts").finish_non_exhaustive()
    }
}

impl ConfigParts {
    /// Reloads the user contestants (and so the joined config) after a change.
    pub fn reload_user(self) {
        self.user_changed.update(|n| *n += 1);
    }
}

/// Where the config comes from: `arena.json` beside the page, or the page's `?config=URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Default,
    /// A `?config=` URL on the page's own origin: used as it is.
    SameOrigin(String),
    /// A `?config=` URL on another origin: it would decide which models the judge talks to
    /// and where votes are synced, so it is used only once the judge confirms.
    Foreign {
        url: String,
        origin: String,
    },
}

/// The judge's answer to a config from another origin (`None` while undecided).
#[derive(Debug, Clone)]
pub struct ConfigConsent {
    pub url: String,
    pub origin: String,
    pub decided: RwSignal<Option<bool>>,
}

/// Told apart by origin, as the browser does (scheme, host and port).
fn source() -> Source {
    let location = window().location();
    let (Ok(href), Ok(search)) = (location.href(), location.search()) else {
        return Source::Default;
    };
    let Some(wanted) = web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|p| p.get("config"))
        .filter(|v| !v.trim().is_empty())
    else {
        return Source::Default;
    };
    let Ok(url) = web_sys::Url::new_with_base(wanted.trim(), &href) else {
        return Source::Default;
    };
    if !matches!(url.protocol().as_str(), "https:" | "http:") {
        return Source::Default;
    }
    let here = location.origin().unwrap_or_default();
    if url.origin() == here {
        Source::SameOrigin(url.href())
    } else {
        Source::Foreign {
            url: url.href(),
            origin: url.origin(),
        }
    }
}

/// Provides the config; call after `provide_store`.
pub fn provide_config() {
    let store = use_store();
    let source = source();
    let decided = RwSignal::new(None::<bool>);
    if let Source::Foreign { url, origin } = &source {
        provide_context(ConfigConsent {
            url: url.clone(),
            origin: origin.clone(),
            decided,
        });
    }
    let base = LocalResource::new(move || {
        let answer = decided.get();
        let source = source.clone();
        async move {
            match source {
                Source::Default => load_config("arena.json").await,
                Source::SameOrigin(url) => load_config(&url).await,
                Source::Foreign { url, .. } => match answer {
                    Some(true) => load_config(&url).await,
                    Some(false) => load_config("arena.json").await,
                    None => Err("This link asks to load an arena config from another site;                                  confirm or decline it above."
                        .to_string()),
                },
            }
        }
    });
    let user_changed = RwSignal::new(0u64);
    let user = LocalResource::new(move || {
        user_changed.track();
        async move {
            let store = store.await.map_err(|e| e.to_string())?;
            let mut list = store.contestants().await.map_err(|e| e.to_string())?;
            list.sort_by_key(|c| c.name.to_lowercase());
            Ok(list)
        }
    });
    let joined: ConfigResource = LocalResource::new(move || async move {
        let base = base.await?;
        // A storage failure must not take the arena down: the config's contestants still run,
        // and the Models page shows the storage error.
        let user = user.await.unwrap_or_default();
        Ok(base.with_user_contestants(&user).0)
    });
    provide_context(ConfigParts {
        base,
        user,
        user_changed,
    });
    provide_context::<ConfigResource>(joined);
}

pub fn use_config() -> ConfigResource {
    expect_context()
}

pub fn use_config_parts() -> ConfigParts {
    expect_context()
}

/// Fetches and validates a config; every failure becomes a sentence the page can show.
pub async fn load_config(url: &str) -> Result<ArenaConfig, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("Could not fetch {url}: {e}."))?;
    if !response.ok() {
        return Err(format!(
            "{url} could not be loaded (HTTP {}). An arena needs a config file named arena.json \
             beside index.html; the README shows one.",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("Could not read {url}: {e}."))?;
    ArenaConfig::parse(&text).map_err(|e| e.to_string())
}
