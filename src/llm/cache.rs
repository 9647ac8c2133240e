//! The browser's model cache: GGUF files kept in the Cache API (`caches.open(CACHE)`), keyed
//! by their absolute URL, so a reload does not download a model again. The worker fills it as
//! a download arrives; the Models page lists and deletes entries. Works from the page and
//! from a worker alike (`caches` is on both globals); where the browser offers no Cache API
//! (an insecure `http:` origin other than localhost) models simply are not kept.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Request, Response};

/// The cache's name; a new layout of entries would take a new name.
pub const CACHE: &str = "arena-models-v1";
/// Header of a cached entry: its size in bytes (as `Content-Length` is not always kept).
pub const SIZE_HEADER: &str = "x-arena-size";
/// Header of a cached entry: when it was stored (ms since the epoch).
pub const STORED_HEADER: &str = "x-arena-stored";

/// The cache, if this context has one.
pub async fn open() -> Option<Cache> {
    let storage = js_sys::Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    if storage.is_undefined() || storage.is_null() {
        return None;
    }
    let storage: CacheStorage = storage.unchecked_into();
    JsFuture::from(storage.open(CACHE))
        .await
        .ok()
        .map(JsCast::unchecked_into)
}

/// The cached response for `url`, if there is one.
pub async fn lookup(cache: &Cache, url: &str) -> Option<Response> {
    let found = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    found.dyn_into::<Response>().ok()
}

/// A model kept in this browser.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedModel {
    /// Absolute URL it was downloaded from (or stored under, for a picked file).
    pub url: String,
    pub bytes: Option<u64>,
    pub stored_ms: Option<f64>,
}

/// Every cached model (none when there is no cache).
pub async fn list() -> Result<Vec<CachedModel>, String> {
    let Some(cache) = open().await else {
        return Ok(Vec::new());
    };
    let keys = JsFuture::from(cache.keys())
        .await
        .map_err(|e| describe(&e))?;
    let mut out = Vec::new();
    for key in js_sys::Array::from(&keys).iter() {
        let Ok(request) = key.dyn_into::<Request>() else {
            continue;
        };
        let url = request.url();
        let (bytes, stored_ms) = match lookup(&cache, &url).await {
            Some(r) => {
                let header = |name: &str| r.headers().get(name).ok().flatten();
                (
                    header(SIZE_HEADER)
                        .or_else(|| header("content-length"))
                        .and_then(|v| v.parse().ok()),
                    header(STORED_HEADER).and_then(|v| v.parse().ok()),
                )
            }
            None => (None, None),
        };
        out.push(CachedModel {
            url,
            bytes,
            stored_ms,
        });
    }
    out.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(out)
}

/// Removes the model stored for `url`; true if there was one.
pub async fn delete(url: &str) -> Result<bool, String> {
    let Some(cache) = open().await else {
        return Ok(false);
    };
    let removed = JsFuture::from(cache.delete_with_str(url))
        .await
        .map_err(|e| describe(&e))?;
    Ok(removed.as_bool().unwrap_or(false))
}

/// `url` made absolute against this document (or worker) location, the cache's key.
pub fn absolute(url: &str) -> String {
    let base = js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| js_sys::Reflect::get(&l, &"href".into()).ok())
        .and_then(|h| h.as_string());
    base.and_then(|b| web_sys::Url::new_with_base(url, &b).ok())
        .map_or_else(|| url.to_string(), |u| u.href())
}

/// A JS error in words.
pub fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name = String::from(err.name());
        let message = String::from(err.message());
        return if name.is_empty() || name == "Error" {
            message
        } else {
            format!("{name}: {message}")
        };
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Whether a JS error is the storage quota running out.
pub fn is_quota(e: &JsValue) -> bool {
    e.dyn_ref::<js_sys::Error>()
        .is_some_and(|err| err.name() == "QuotaExceededError")
        || e.dyn_ref::<web_sys::DomException>()
            .is_some_and(|d| d.name() == "QuotaExceededError")
}
