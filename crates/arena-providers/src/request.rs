//! The provider-neutral chat input and the HTTP request value a codec builds from it.

use std::fmt;

/// Who said a message. The system prompt is not a message: see [`ChatRequest::system`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    User,
    Assistant,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One chat turn to send: the same input for every provider.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The provider's model id.
    pub model: String,
    /// The conversation so far, oldest first; the last one is normally the user's prompt.
    pub messages: Vec<Message>,
    pub system: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Upper bound on generated tokens. Anthropic requires one; see
    /// [`crate::ANTHROPIC_DEFAULT_MAX_TOKENS`].
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    /// A request for `model` with one user message.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            messages: vec![Message::user(prompt)],
            ..Self::default()
        }
    }
}

/// An API key. It has no `Display`, and its `Debug` prints no part of it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_owned())
    }

    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request header. A secret one (carrying a key) is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// Lower-case name.
    pub name: &'static str,
    pub value: String,
    pub secret: bool,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            write!(f, "{}: <redacted>", self.name)
        } else {
            write!(f, "{}: {:?}", self.name, self.value)
        }
    }
}

/// The headers of a request, in sending order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Headers(Vec<Header>);

impl Headers {
    pub(crate) fn push(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
            secret: false,
        });
    }

    pub(crate) fn push_secret(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
            secret: true,
        });
    }

    /// The value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|h| h.name).collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// A request ready to send: the browser adapter turns this into a `fetch` call, a native
/// client into whatever it uses. The URL never holds a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Headers,
    /// JSON text, for `POST`.
    pub body: Option<String>,
}

/// The status line and headers of a response, as the caller received them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseHead {
    pub status: u16,
    headers: Vec<(String, String)>,
}

impl ResponseHead {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
        }
    }

    /// Adds a header (builder style).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a header.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.headers.push((name.into(), value.into()));
    }

    /// The first value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_debug_hides_the_key() {
        let key = ApiKey::new("sk-very-secret-123");
        let shown = format!("{key:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(key.expose(), "sk-very-secret-123");
    }

    #[test]
    fn header_debug_redacts_secret_values_only() {
        let mut h = Headers::default();
        h.push_secret("authorization", "Bearer sk-very-secret-123");
        h.push("content-type", "application/json");
        let shown = format!("{h:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("authorization: <redacted>"), "{shown}");
        assert!(shown.contains("application/json"), "{shown}");
    }

    #[test]
    fn response_head_lookup_ignores_case() {
        let head = ResponseHead::new(429).header("Retry-After", "7");
        assert_eq!(head.get("retry-after"), Some("7"));
        assert!(!head.is_success());
    }
}
