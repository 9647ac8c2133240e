//! The providers the server imitates: where they live under the server's root, which wire
//! format they speak, how they authenticate, and how they answer CORS.

/// Wire format of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Gemini,
    Ollama,
}

/// How a provider answers cross-origin requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cors {
    /// Any origin, any requested headers (OpenAI, Anthropic, Gemini, OpenRouter, …).
    AllowAny,
    /// Only these request headers; a preflight asking for any other is refused (Mistral).
    OnlyHeaders(&'static [&'static str]),
    /// No CORS headers at all (LM Studio with its CORS switch off).
    Off,
    /// Origins from the `OLLAMA_ORIGINS` list; others get 403 (Ollama).
    OllamaOrigins,
    /// Ollama started with an empty `OLLAMA_ORIGINS`: no cross-origin caller is allowed.
    OllamaNoOrigins,
}

/// One imitated provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavor {
    /// Route prefix and id, e.g. `openrouter`.
    pub id: &'static str,
    /// The part of the path the real provider's base URL has after its host:
    /// the test base URL is `http://ADDR/{id}{api_root}`.
    pub api_root: &'static str,
    pub wire: Wire,
    /// Whether a valid key is required (local servers take none).
    pub needs_key: bool,
    pub cors: Cors,
}

/// Request headers Mistral's preflight allows. Anything else — `HTTP-Referer`, `X-Title`,
/// `X-Stainless-*` — fails the preflight.
pub const MISTRAL_ALLOWED_HEADERS: &[&str] = &["authorization", "content-type", "accept"];

pub const FLAVORS: &[Flavor] = &[
    Flavor::oa("openai", "/v1", true, Cors::AllowAny),
    Flavor::oa("openrouter", "/api/v1", true, Cors::AllowAny),
    Flavor::oa("groq", "/openai/v1", true, Cors::AllowAny),
    Flavor::oa("together", "/v1", true, Cors::AllowAny),
    Flavor::oa(
        "mistral",
        "/v1",
        true,
        Cors::OnlyHeaders(MISTRAL_ALLOWED_HEADERS),
    ),
    Flavor::oa("deepseek", "", true, Cors::AllowAny),
    Flavor::oa("xai", "/v1", true, Cors::AllowAny),
    Flavor::oa("vllm", "/v1", false, Cors::AllowAny),
    Flavor::oa("lmstudio", "/v1", false, Cors::AllowAny),
    Flavor::oa("lmstudio-nocors", "/v1", false, Cors::Off),
    Flavor::oa("llamacpp", "/v1", false, Cors::AllowAny),
    Flavor {
        id: "anthropic",
        api_root: "",
        wire: Wire::Anthropic,
        needs_key: true,
        cors: Cors::AllowAny,
    },
    Flavor {
        id: "gemini",
        api_root: "/v1beta",
        wire: Wire::Gemini,
        needs_key: true,
        cors: Cors::AllowAny,
    },
    // Ollama serves its native API and the OpenAI one (`/v1`) side by side.
    Flavor {
        id: "ollama",
        api_root: "",
        wire: Wire::Ollama,
        needs_key: false,
        cors: Cors::OllamaOrigins,
    },
    Flavor {
        id: "ollama-strict",
        api_root: "",
        wire: Wire::Ollama,
        needs_key: false,
        cors: Cors::OllamaNoOrigins,
    },
];

impl Flavor {
    const fn oa(id: &'static str, api_root: &'static str, needs_key: bool, cors: Cors) -> Self {
        Flavor {
            id,
            api_root,
            wire: Wire::OpenAi,
            needs_key,
            cors,
        }
    }

    pub fn by_id(id: &str) -> Option<&'static Flavor> {
        FLAVORS.iter().find(|f| f.id == id)
    }

    /// The field name this provider uses for reasoning text in OpenAI-style deltas.
    pub fn reasoning_field(&self) -> &'static str {
        if self.id == "openrouter" {
            "reasoning"
        } else {
            "reasoning_content"
        }
    }

    /// Whether an Ollama-style origin check lets `origin` in.
    pub fn origin_allowed(&self, origin: Option<&str>, ollama_origins: &[String]) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        match self.cors {
            Cors::OllamaOrigins => ollama_origins.iter().any(|pat| origin_matches(pat, origin)),
            Cors::OllamaNoOrigins => false,
            _ => true,
        }
    }
}

/// Ollama's origin patterns: exact, `*`, or a prefix ending in `*`.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => origin.starts_with(prefix),
        None => pattern == origin,
    }
}

/// The origins Ollama allows when `OLLAMA_ORIGINS` is not set: its own machine only.
pub fn default_ollama_origins() -> Vec<String> {
    let mut v = Vec::new();
    for host in ["localhost", "127.0.0.1", "0.0.0.0"] {
        for scheme in ["http", "https"] {
            v.push(format!("{scheme}://{host}"));
            v.push(format!("{scheme}://{host}:*"));
        }
    }
    v.extend(["app://*", "file://*", "tauri://*"].map(str::to_owned));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_origin_patterns() {
        let allowed = default_ollama_origins();
        let ollama = Flavor::by_id("ollama").unwrap();
        assert!(ollama.origin_allowed(Some("http://127.0.0.1:8080"), &allowed));
        assert!(ollama.origin_allowed(None, &allowed));
        assert!(!ollama.origin_allowed(Some("https://arena.example"), &allowed));
        let strict = Flavor::by_id("ollama-strict").unwrap();
        assert!(!strict.origin_allowed(Some("http://127.0.0.1:8080"), &allowed));
        assert!(origin_matches("*", "https://anything"));
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = FLAVORS.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), FLAVORS.len());
    }
}
