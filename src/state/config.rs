//! The arena config, fetched once from `arena.json` beside `index.html`.

use arena_core::ArenaConfig;
use leptos::prelude::*;

/// The config, or a message saying plainly why it could not be loaded.
pub type ConfigResource = LocalResource<Result<ArenaConfig, String>>;

pub fn provide_config() {
    provide_context::<ConfigResource>(LocalResource::new(|| load_config("arena.json")));
}

pub fn use_config() -> ConfigResource {
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
