//! An endpoint: a preset, a base URL and a key. It builds requests and makes decoders.

use serde_json::Value;

use crate::codec::{anthropic, gemini, ollama, openai};
use crate::decode::ChatDecoder;
use crate::error::{self, ErrorInfo};
use crate::redact::Scrubber;
use crate::request::Headers;
use crate::{
    ApiKey, ChatRequest, HttpRequest, IdlePolicy, IdleWatch, Method, Preset, PresetInfo,
    ProviderError, ResponseHead, Wire,
};

/// A model a provider offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The id to put in requests.
    pub id: String,
    /// A display name, when the provider gives one.
    pub name: Option<String>,
}

/// Why a request could not be built. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("No model is set for this contestant.")]
    MissingModel,
    #[error("No API key is set for this provider.")]
    MissingKey,
    #[error("There is no message to send.")]
    NoMessages,
    #[error(
        "The base URL must start with http:// or https:// and hold no query, fragment or login."
    )]
    BadBaseUrl,
}

/// Where and how to reach one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    preset: Preset,
    base_url: String,
    api_key: Option<ApiKey>,
    referer: Option<String>,
    title: Option<String>,
}

impl Endpoint {
    /// The preset at its default base URL, without a key.
    pub fn new(preset: Preset) -> Self {
        Self {
            preset,
            base_url: preset.info().default_base_url.to_owned(),
            api_key: None,
            referer: None,
            title: None,
        }
    }

    /// Another base URL (a proxy, a self-hosted server, the test server). A trailing `/` is
    /// dropped.
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        let url: String = url.into();
        url.trim()
            .trim_end_matches('/')
            .clone_into(&mut self.base_url);
        self
    }

    #[must_use]
    pub fn with_api_key(mut self, key: ApiKey) -> Self {
        self.api_key = (!key.expose().is_empty()).then_some(key);
        self
    }

    /// OpenRouter's optional app attribution headers (`HTTP-Referer`, `X-Title`). Ignored by
    /// every other preset, since non-standard headers can fail their CORS preflight.
    #[must_use]
    pub fn with_attribution(mut self, referer: Option<String>, title: Option<String>) -> Self {
        self.referer = referer;
        self.title = title;
        self
    }

    pub fn preset(&self) -> Preset {
        self.preset
    }

    pub fn info(&self) -> PresetInfo {
        self.preset.info()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How long a stream may stall: see [`IdlePolicy`].
    pub fn idle_policy(&self) -> IdlePolicy {
        self.info().idle
    }

    /// A stall detector for a request sent at `now_ms`.
    pub fn idle_watch(&self, now_ms: u64) -> IdleWatch {
        IdleWatch::new(self.idle_policy(), now_ms)
    }

    fn scrubber(&self) -> Scrubber {
        Scrubber::new(self.api_key.as_ref().map(ApiKey::expose))
    }

    fn check_base(&self) -> Result<(), RequestError> {
        let u = &self.base_url;
        let rest = u
            .strip_prefix("https://")
            .or_else(|| u.strip_prefix("http://"))
            .ok_or(RequestError::BadBaseUrl)?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') || u.contains(['?', '#']) {
            return Err(RequestError::BadBaseUrl);
        }
        Ok(())
    }

    fn key(&self) -> Result<Option<&ApiKey>, RequestError> {
        match &self.api_key {
            None if self.info().needs_key => Err(RequestError::MissingKey),
            k => Ok(k.as_ref()),
        }
    }

    /// The base without a trailing API-version or API segment the paths add themselves.
    fn root(&self, strip: &str) -> &str {
        self.base_url.strip_suffix(strip).unwrap_or(&self.base_url)
    }

    fn headers(&self, key: Option<&ApiKey>, json_body: bool) -> Headers {
        let mut h = Headers::default();
        if json_body {
            h.push("content-type", "application/json");
        }
        match self.info().wire {
            Wire::OpenAi | Wire::Ollama => {
                if let Some(k) = key {
                    h.push_secret("authorization", format!("Bearer {}", k.expose()));
                }
                if self.preset == Preset::OpenRouter {
                    if let Some(r) = self.referer.as_deref().filter(|s| !s.is_empty()) {
                        h.push("http-referer", r);
                    }
                    if let Some(t) = self.title.as_deref().filter(|s| !s.is_empty()) {
                        h.push("x-title", t);
                    }
                }
            }
            Wire::Anthropic => {
                if let Some(k) = key {
                    h.push_secret("x-api-key", k.expose());
                }
                h.push("anthropic-version", anthropic::ANTHROPIC_VERSION);
                // Without it the API refuses any request that carries an Origin header.
                h.push("anthropic-dangerous-direct-browser-access", "true");
            }
            Wire::Gemini => {
                // In a header, never `?key=`: URLs end up in logs and histories.
                if let Some(k) = key {
                    h.push_secret("x-goog-api-key", k.expose());
                }
            }
        }
        h
    }

    /// The streaming chat request for one turn.
    pub fn chat_request(&self, req: &ChatRequest) -> Result<HttpRequest, RequestError> {
        self.check_base()?;
        let key = self.key()?;
        if req.model.trim().is_empty() {
            return Err(RequestError::MissingModel);
        }
        if req.messages.is_empty() {
            return Err(RequestError::NoMessages);
        }
        let info = self.info();
        let (url, body) = match info.wire {
            Wire::OpenAi => (
                format!("{}/chat/completions", self.base_url),
                openai::chat_body(&info, req),
            ),
            Wire::Anthropic => (
                format!("{}/v1/messages", self.root("/v1")),
                anthropic::chat_body(req),
            ),
            Wire::Gemini => (
                format!(
                    "{}/{}:streamGenerateContent?alt=sse",
                    self.base_url,
                    gemini::model_path(req.model.trim())
                ),
                gemini::chat_body(req),
            ),
            Wire::Ollama => (
                format!("{}/api/chat", self.root("/api")),
                ollama::chat_body(req),
            ),
        };
        Ok(HttpRequest {
            method: Method::Post,
            url,
            headers: self.headers(key, true),
            body: Some(body.to_string()),
        })
    }

    /// The request that lists the provider's models.
    pub fn models_request(&self) -> Result<HttpRequest, RequestError> {
        self.check_base()?;
        let key = self.key()?;
        let url = match self.info().wire {
            Wire::OpenAi => format!("{}/models", self.base_url),
            Wire::Anthropic => format!("{}/v1/models?limit=1000", self.root("/v1")),
            Wire::Gemini => format!("{}/models?pageSize=1000", self.base_url),
            Wire::Ollama => format!("{}/api/tags", self.root("/api")),
        };
        Ok(HttpRequest {
            method: Method::Get,
            url,
            headers: self.headers(key, false),
            body: None,
        })
    }

    /// Reads the answer to [`Endpoint::models_request`].
    pub fn parse_models(
        &self,
        head: &ResponseHead,
        body: &[u8],
    ) -> Result<Vec<ModelInfo>, ProviderError> {
        let scrub = self.scrubber();
        if !head.is_success() {
            return Err(error::from_response(head, body, &scrub));
        }
        let unreadable = || ProviderError::Other {
            status: Some(head.status),
            message: "the model list could not be read".to_owned(),
        };
        let v: Value = serde_json::from_slice(body).map_err(|_| unreadable())?;
        let models = match self.info().wire {
            Wire::OpenAi => openai::parse_models(&v),
            Wire::Anthropic => anthropic::parse_models(&v),
            Wire::Gemini => gemini::parse_models(&v),
            Wire::Ollama => ollama::parse_models(&v),
        };
        match models {
            Some(mut list) => {
                let mut seen = std::collections::HashSet::new();
                list.retain(|m| seen.insert(m.id.clone()));
                Ok(list)
            }
            None => Err(match ErrorInfo::from_json(&v) {
                Some(info) => error::classify(Some(head.status), None, &info, &scrub),
                None => unreadable(),
            }),
        }
    }

    /// A decoder for the response whose status and headers are `head`.
    pub fn decoder(&self, head: &ResponseHead) -> ChatDecoder {
        ChatDecoder::new(self.info().wire, head, self.scrubber())
    }

    /// The error for a request that got no response at all (`fetch` rejected), with the
    /// preset's fix. `detail` is the browser's words, if any; `page_origin` the arena's origin.
    pub fn network_error(&self, detail: Option<&str>, page_origin: Option<&str>) -> ProviderError {
        ProviderError::Network {
            detail: detail.map(|d| self.scrubber().clean(d)),
            fix: Some(self.preset.network_fix(page_origin)),
        }
    }
}
