//! Provider presets: which wire codec, which default base URL, which quirks.

use std::time::Duration;

/// The wire protocol a preset speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wire {
    /// `POST {base}/chat/completions`, SSE, `data: [DONE]`.
    OpenAi,
    /// `POST {base}/v1/messages`, named SSE events.
    Anthropic,
    /// `POST {base}/models/{model}:streamGenerateContent?alt=sse`, data-only SSE.
    Gemini,
    /// `POST {base}/api/chat`, NDJSON.
    Ollama,
}

/// A known provider, or a server that speaks one's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    OpenAi,
    OpenRouter,
    Groq,
    Together,
    Mistral,
    DeepSeek,
    Xai,
    Vllm,
    LmStudio,
    LlamaCpp,
    /// Ollama's OpenAI-compatible `/v1` endpoint.
    OllamaOpenAi,
    Anthropic,
    Gemini,
    /// Ollama's native `/api/chat`.
    Ollama,
}

/// How long a stream may go without a decoded event (text, reasoning, finish, usage) before
/// it counts as stalled. Keep-alive comments and pings do not count: a stream that sends only
/// those is stalled too (DeepSeek keeps a queued request open with `: keep-alive` lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdlePolicy {
    /// From sending the request to the first event (covers queueing and model loading).
    pub first_event: Duration,
    /// Between two events once the answer has started.
    pub between_events: Duration,
}

impl IdlePolicy {
    const CLOUD: IdlePolicy = IdlePolicy {
        first_event: Duration::from_secs(90),
        between_events: Duration::from_secs(60),
    };
    /// Local servers may load a model from disk before the first token.
    const LOCAL: IdlePolicy = IdlePolicy {
        first_event: Duration::from_secs(300),
        between_events: Duration::from_secs(60),
    };
    /// DeepSeek holds busy requests open with keep-alives: give up sooner.
    const DEEPSEEK: IdlePolicy = IdlePolicy {
        first_event: Duration::from_secs(60),
        between_events: Duration::from_secs(30),
    };
}

/// The quirks and defaults of one preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetInfo {
    /// Stable id for configs and URLs.
    pub id: &'static str,
    /// Name to show.
    pub label: &'static str,
    pub wire: Wire,
    pub default_base_url: &'static str,
    /// Whether the provider refuses requests without a key (local servers do not need one).
    pub needs_key: bool,
    pub idle: IdlePolicy,
    /// Whether to send `stream_options.include_usage` (Mistral rejects unknown fields and
    /// sends usage anyway).
    pub stream_options: bool,
    /// The field for the token limit: `max_completion_tokens` on OpenAI (newer models refuse
    /// `max_tokens`), `max_tokens` on the compatibles.
    pub max_tokens_field: &'static str,
}

impl Preset {
    pub const ALL: [Preset; 14] = [
        Preset::OpenAi,
        Preset::OpenRouter,
        Preset::Groq,
        Preset::Together,
        Preset::Mistral,
        Preset::DeepSeek,
        Preset::Xai,
        Preset::Vllm,
        Preset::LmStudio,
        Preset::LlamaCpp,
        Preset::OllamaOpenAi,
        Preset::Anthropic,
        Preset::Gemini,
        Preset::Ollama,
    ];

    // One arm per preset: a table, clearer in one place than split up.
    #[allow(clippy::too_many_lines)]
    pub fn info(self) -> PresetInfo {
        let oa = |id, label, base, needs_key, idle| PresetInfo {
            id,
            label,
            wire: Wire::OpenAi,
            default_base_url: base,
            needs_key,
            idle,
            stream_options: true,
            max_tokens_field: "max_tokens",
        };
        match self {
            Preset::OpenAi => PresetInfo {
                max_tokens_field: "max_completion_tokens",
                ..oa(
                    "openai",
                    "OpenAI",
                    "https://api.openai.com/v1",
                    true,
                    IdlePolicy::CLOUD,
                )
            },
            Preset::OpenRouter => oa(
                "openrouter",
                "OpenRouter",
                "https://openrouter.ai/api/v1",
                true,
                IdlePolicy::CLOUD,
            ),
            Preset::Groq => oa(
                "groq",
                "Groq",
                "https://api.groq.com/openai/v1",
                true,
                IdlePolicy::CLOUD,
            ),
            Preset::Together => oa(
                "together",
                "Together AI",
                "https://api.together.xyz/v1",
                true,
                IdlePolicy::CLOUD,
            ),
            Preset::Mistral => PresetInfo {
                stream_options: false,
                ..oa(
                    "mistral",
                    "Mistral",
                    "https://api.mistral.ai/v1",
                    true,
                    IdlePolicy::CLOUD,
                )
            },
            Preset::DeepSeek => oa(
                "deepseek",
                "DeepSeek",
                "https://api.deepseek.com",
                true,
                IdlePolicy::DEEPSEEK,
            ),
            Preset::Xai => oa("xai", "xAI", "https://api.x.ai/v1", true, IdlePolicy::CLOUD),
            Preset::Vllm => oa(
                "vllm",
                "vLLM",
                "http://localhost:8000/v1",
                false,
                IdlePolicy::LOCAL,
            ),
            Preset::LmStudio => oa(
                "lmstudio",
                "LM Studio",
                "http://localhost:1234/v1",
                false,
                IdlePolicy::LOCAL,
            ),
            Preset::LlamaCpp => oa(
                "llamacpp",
                "llama.cpp server",
                "http://localhost:8080/v1",
                false,
                IdlePolicy::LOCAL,
            ),
            Preset::OllamaOpenAi => oa(
                "ollama-openai",
                "Ollama (OpenAI API)",
                "http://localhost:11434/v1",
                false,
                IdlePolicy::LOCAL,
            ),
            Preset::Anthropic => PresetInfo {
                id: "anthropic",
                label: "Anthropic",
                wire: Wire::Anthropic,
                default_base_url: "https://api.anthropic.com",
                needs_key: true,
                idle: IdlePolicy::CLOUD,
                stream_options: false,
                max_tokens_field: "max_tokens",
            },
            Preset::Gemini => PresetInfo {
                id: "gemini",
                label: "Google Gemini",
                wire: Wire::Gemini,
                default_base_url: "https://generativelanguage.googleapis.com/v1beta",
                needs_key: true,
                idle: IdlePolicy::CLOUD,
                stream_options: false,
                max_tokens_field: "maxOutputTokens",
            },
            Preset::Ollama => PresetInfo {
                id: "ollama",
                label: "Ollama",
                wire: Wire::Ollama,
                default_base_url: "http://localhost:11434",
                needs_key: false,
                idle: IdlePolicy::LOCAL,
                stream_options: false,
                max_tokens_field: "num_predict",
            },
        }
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn from_id(id: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Guesses the preset of an OpenAI-compatible base URL by host (and, for local servers,
    /// by their usual port); `None` when nothing matches, which means plain OpenAI rules.
    pub fn guess_from_base_url(url: &str) -> Option<Preset> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p))
                if !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_digit())
                    && (!h.starts_with('[') || h.ends_with(']')) =>
            {
                (h.to_owned(), Some(p.to_owned()))
            }
            _ => (authority.clone(), None),
        };
        let is = |d: &str| host == d || host.ends_with(&format!(".{d}"));
        let local = matches!(
            host.as_str(),
            "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
        );
        Some(match () {
            () if is("openai.com") => Preset::OpenAi,
            () if is("openrouter.ai") => Preset::OpenRouter,
            () if is("groq.com") => Preset::Groq,
            () if is("together.xyz") || is("together.ai") => Preset::Together,
            () if is("mistral.ai") => Preset::Mistral,
            () if is("deepseek.com") => Preset::DeepSeek,
            () if is("x.ai") => Preset::Xai,
            () if local && port.as_deref() == Some("1234") => Preset::LmStudio,
            () if local && port.as_deref() == Some("11434") => Preset::OllamaOpenAi,
            () if local && port.as_deref() == Some("8080") => Preset::LlamaCpp,
            () if local && port.as_deref() == Some("8000") => Preset::Vllm,
            () => return None,
        })
    }

    /// Advice for a request that got no answer at all. In a browser, a CORS refusal and an
    /// unreachable server look the same (`fetch` rejects with a bare `TypeError`), so this
    /// names the provider's own switch as well as the address. `page_origin` is the arena's
    /// origin, when known, to quote in the fix.
    pub fn network_fix(self, page_origin: Option<&str>) -> String {
        let origin = page_origin.unwrap_or("this page's origin");
        match self {
            Preset::Anthropic => "Anthropic answers browser calls only when they carry the header \
                 `anthropic-dangerous-direct-browser-access: true`. Arena sends it; if a proxy sits \
                 in between, let that header through and answer the CORS preflight. Also check \
                 the base URL and your connection."
                .to_owned(),
            Preset::Ollama | Preset::OllamaOpenAi => format!(
                "Ollama accepts browser calls only from origins listed in OLLAMA_ORIGINS. Restart \
                 it with OLLAMA_ORIGINS={origin} (for example `OLLAMA_ORIGINS={origin} ollama \
                 serve`), and check that it is running at the base URL."
            ),
            Preset::LmStudio => "Turn on \"Enable CORS\" in LM Studio's server settings (Developer \
                 tab), or start the server with `lms server start --cors`, and check that it is \
                 running at the base URL."
                .to_owned(),
            Preset::LlamaCpp => "Check that llama-server is running at the base URL and reachable \
                 from this browser."
                .to_owned(),
            Preset::Vllm => format!(
                "Check that vLLM is running at the base URL, started with \
                 `--allowed-origins '[\"{origin}\"]'` (or \"*\")."
            ),
            Preset::Mistral => "Mistral's API refuses browser requests that carry extra headers; \
                 Arena sends none, so check the base URL, your connection, and any extension \
                 that adds headers."
                .to_owned(),
            Preset::OpenAi
            | Preset::OpenRouter
            | Preset::Groq
            | Preset::Together
            | Preset::DeepSeek
            | Preset::Xai
            | Preset::Gemini => "Check your connection and the base URL; an ad blocker or a \
                 corporate proxy can also block the call."
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for p in Preset::ALL {
            assert!(seen.insert(p.id()), "{p:?}");
            assert_eq!(Preset::from_id(p.id()), Some(p));
            let base = p.info().default_base_url;
            assert!(base.starts_with("http") && !base.ends_with('/'), "{base}");
        }
    }

    #[test]
    fn guesses_presets_from_base_urls() {
        let cases = [
            ("https://openrouter.ai/api/v1", Some(Preset::OpenRouter)),
            ("https://api.groq.com/openai/v1", Some(Preset::Groq)),
            ("https://api.mistral.ai/v1/", Some(Preset::Mistral)),
            ("https://api.deepseek.com", Some(Preset::DeepSeek)),
            ("http://localhost:1234/v1", Some(Preset::LmStudio)),
            ("http://127.0.0.1:11434/v1", Some(Preset::OllamaOpenAi)),
            ("http://localhost:8080/v1", Some(Preset::LlamaCpp)),
            ("https://example.org/v1", None),
            ("https://notmistral.ai.example.org", None),
            ("ftp://api.openai.com", None),
        ];
        for (url, want) in cases {
            assert_eq!(Preset::guess_from_base_url(url), want, "{url}");
        }
    }

    #[test]
    fn network_fix_names_the_switch() {
        assert!(
            Preset::Ollama
                .network_fix(Some("https://arena.example"))
                .contains("OLLAMA_ORIGINS=https://arena.example")
        );
        assert!(Preset::LmStudio.network_fix(None).contains("Enable CORS"));
        assert!(
            Preset::Anthropic
                .network_fix(None)
                .contains("anthropic-dangerous-direct-browser-access")
        );
    }

    #[test]
    fn deepseek_gives_up_sooner_than_local_servers() {
        let ds = Preset::DeepSeek.info().idle;
        let local = Preset::Ollama.info().idle;
        assert!(ds.between_events < local.between_events);
        assert!(ds.first_event < local.first_event);
    }
}
