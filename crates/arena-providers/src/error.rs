//! One typed set of failures for every provider, with plain words and what to do.
//!
//! **Architecture Invariant:** `Display` (the message) names no provider or model, so it can be
//! shown in a blind battle before the vote. Provider-specific advice lives in
//! [`ProviderError::hint`], which the UI may show once names are revealed or in the Models
//! page. No variant ever holds a key: provider text passes through [`crate::Scrubber`].

use std::time::Duration;

use serde_json::Value;

use crate::redact::Scrubber;
use crate::request::ResponseHead;

/// A failure of one contestant's request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 401/403, or a provider's own "invalid key" code.
    #[error("The API key was refused.")]
    BadKey {
        status: Option<u16>,
        detail: Option<String>,
    },
    /// 429 or a rate-limit error code.
    #[error("{}", rate_limited_message(*.retry_after))]
    RateLimited {
        retry_after: Option<RetryAfter>,
        detail: Option<String>,
    },
    /// The account has no credit or quota left (402, `insufficient_quota`).
    #[error("The account has run out of credit or quota.")]
    OutOfCredit { detail: Option<String> },
    /// The conversation does not fit the model's context window.
    #[error("The conversation is too long for this model.")]
    ContextTooLong { detail: Option<String> },
    /// 5xx, Anthropic's 529 / `overloaded_error`, Gemini's `UNAVAILABLE`.
    #[error("The service is overloaded or failing right now.")]
    Overloaded {
        status: Option<u16>,
        detail: Option<String>,
    },
    /// 404: wrong model name or base URL.
    #[error("The model or address was not found.")]
    NotFound { detail: Option<String> },
    /// The request never got an answer: offline, wrong address, CORS, or the connection broke.
    #[error("The service could not be reached, or the connection broke.")]
    Network {
        detail: Option<String>,
        /// Provider-specific advice (CORS switches and the like).
        fix: Option<String>,
    },
    /// Nothing arrived for too long.
    #[error("The answer stalled: nothing arrived for {} seconds.", .after.as_secs())]
    IdleTimeout {
        after: Duration,
        /// Whether it stalled before any text came.
        before_first_token: bool,
    },
    /// The user stopped it, or left the page.
    #[error("Stopped.")]
    Aborted,
    /// The provider refused the request as malformed (other 400/422). `message` is the
    /// provider's words (see [`ProviderError::detail`]); `Display` leaves them out.
    #[error("The request was refused as invalid.")]
    BadRequest { status: u16, message: String },
    /// Anything else, including a stream Arena could not read.
    #[error("Something went wrong with this answer.")]
    Other {
        status: Option<u16>,
        message: String,
    },
}

/// The kind of a [`ProviderError`], without its data: for `data-` attributes, metrics, tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    BadKey,
    RateLimited,
    OutOfCredit,
    ContextTooLong,
    Overloaded,
    NotFound,
    Network,
    IdleTimeout,
    Aborted,
    BadRequest,
    Other,
}

impl ErrorKind {
    /// A stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadKey => "bad-key",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::OutOfCredit => "out-of-credit",
            ErrorKind::ContextTooLong => "context-too-long",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Network => "network",
            ErrorKind::IdleTimeout => "idle-timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::Other => "other",
        }
    }
}

fn rate_limited_message(retry_after: Option<RetryAfter>) -> String {
    match retry_after {
        Some(RetryAfter::Delay(d)) => format!(
            "Too many requests: the service asks to wait {} seconds.",
            d.as_secs_f64().ceil()
        ),
        _ => "Too many requests: the service asks to slow down.".to_owned(),
    }
}

impl ProviderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::BadKey { .. } => ErrorKind::BadKey,
            ProviderError::RateLimited { .. } => ErrorKind::RateLimited,
            ProviderError::OutOfCredit { .. } => ErrorKind::OutOfCredit,
            ProviderError::ContextTooLong { .. } => ErrorKind::ContextTooLong,
            ProviderError::Overloaded { .. } => ErrorKind::Overloaded,
            ProviderError::NotFound { .. } => ErrorKind::NotFound,
            ProviderError::Network { .. } => ErrorKind::Network,
            ProviderError::IdleTimeout { .. } => ErrorKind::IdleTimeout,
            ProviderError::Aborted => ErrorKind::Aborted,
            ProviderError::BadRequest { .. } => ErrorKind::BadRequest,
            ProviderError::Other { .. } => ErrorKind::Other,
        }
    }

    /// The provider's own words about it, keys removed, if it said any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ProviderError::BadKey { detail, .. }
            | ProviderError::RateLimited { detail, .. }
            | ProviderError::OutOfCredit { detail }
            | ProviderError::ContextTooLong { detail }
            | ProviderError::Overloaded { detail, .. }
            | ProviderError::NotFound { detail }
            | ProviderError::Network { detail, .. } => detail.as_deref(),
            ProviderError::BadRequest { message, .. } | ProviderError::Other { message, .. } => {
                Some(message)
            }
            ProviderError::IdleTimeout { .. } | ProviderError::Aborted => None,
        }
    }

    /// Whether trying the same request again later may work.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::RateLimited
                | ErrorKind::Overloaded
                | ErrorKind::Network
                | ErrorKind::IdleTimeout
        )
    }

    /// What the user can do about it, in plain words.
    pub fn hint(&self) -> String {
        match self {
            ProviderError::BadKey { .. } => {
                "Check the key for this provider on the Models page: it may be mistyped, revoked, \
                 or lack access to this model."
                    .to_owned()
            }
            ProviderError::RateLimited { retry_after, .. } => match retry_after {
                Some(RetryAfter::Delay(d)) => format!(
                    "Wait {} seconds and try again, or lower the request rate on your plan.",
                    d.as_secs_f64().ceil()
                ),
                Some(RetryAfter::At { .. }) | None => {
                    "Wait a minute and try again, or lower the request rate on your plan."
                        .to_owned()
                }
            },
            ProviderError::OutOfCredit { .. } => {
                "Add credit or raise the quota in the provider's billing settings.".to_owned()
            }
            ProviderError::ContextTooLong { .. } => {
                "Start a new round with a shorter prompt, or lower max tokens for this \
                 contestant."
                    .to_owned()
            }
            ProviderError::Overloaded { .. } => {
                "Try again in a little while; the problem is on the provider's side.".to_owned()
            }
            ProviderError::NotFound { .. } => {
                "Check the model name and the base URL on the Models page.".to_owned()
            }
            ProviderError::Network { fix, .. } => fix.clone().unwrap_or_else(|| {
                "Check your connection and the base URL; an ad blocker or proxy can also block \
                 the call."
                    .to_owned()
            }),
            ProviderError::IdleTimeout {
                before_first_token: true,
                ..
            } => "The provider may be queueing or loading the model; try again, or pick \
                  another model."
                .to_owned(),
            ProviderError::IdleTimeout { .. } => {
                "The stream stopped mid-answer; try again.".to_owned()
            }
            ProviderError::Aborted => "Regenerate to ask again.".to_owned(),
            ProviderError::BadRequest { .. } => {
                "Check this contestant's parameters (temperature, top p, max tokens) on the \
                 Models page; some models accept only some of them."
                    .to_owned()
            }
            ProviderError::Other { .. } => "Try again; if it keeps failing, check the \
                                            contestant's settings."
                .to_owned(),
        }
    }
}

/// When a rate-limited request may be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// After this long (from `retry-after: 7`, `retry-after-ms`, Gemini's `retryDelay`).
    Delay(Duration),
    /// At this time (from an HTTP date). The crate has no clock: see [`RetryAfter::delay`].
    At { unix_seconds: u64 },
}

impl RetryAfter {
    /// How long to wait from `now_unix_seconds`.
    pub fn delay(self, now_unix_seconds: u64) -> Duration {
        match self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At { unix_seconds } => {
                Duration::from_secs(unix_seconds.saturating_sub(now_unix_seconds))
            }
        }
    }

    /// Parses a `retry-after` value: delay-seconds or an IMF-fixdate HTTP date.
    pub fn parse_header(value: &str) -> Option<Self> {
        let v = value.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return v
                .parse()
                .ok()
                .map(|s| RetryAfter::Delay(Duration::from_secs(s)));
        }
        // Some servers send fractional seconds.
        if let Ok(f) = v.parse::<f64>()
            && f.is_finite()
            && f >= 0.0
        {
            return Some(RetryAfter::Delay(Duration::from_secs_f64(f)));
        }
        parse_http_date(v).map(|unix_seconds| RetryAfter::At { unix_seconds })
    }

    /// From the response headers: `retry-after-ms` first (more precise), then `retry-after`.
    pub fn from_headers(head: &ResponseHead) -> Option<Self> {
        if let Some(ms) = head
            .get("retry-after-ms")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite() && *f >= 0.0)
        {
            return Some(RetryAfter::Delay(Duration::from_secs_f64(ms / 1000.0)));
        }
        head.get("retry-after").and_then(Self::parse_header)
    }
}

/// Parses an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, to Unix seconds.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let rest = s.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, i64::try_from(day).ok()?);
    let days = u64::try_from(days).ok()?;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What an error body or error event said, in whichever shape the provider used.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ErrorInfo {
    pub message: Option<String>,
    /// `type` (OpenAI, Anthropic) or `status` (Gemini).
    pub kind: Option<String>,
    /// A string `code` (OpenAI `context_length_exceeded`, Gemini reasons).
    pub code: Option<String>,
    /// A numeric code (OpenRouter, Gemini, vLLM put the HTTP status here).
    pub http_code: Option<u16>,
    /// A delay the body asked for (Gemini `RetryInfo.retryDelay`).
    pub retry_delay: Option<Duration>,
}

impl ErrorInfo {
    /// Recognises the error shapes of the providers we speak:
    /// `{"error":{"message","type","code"}}` (OpenAI and compatibles, OpenRouter),
    /// `{"type":"error","error":{"type","message"}}` (Anthropic),
    /// `{"error":{"code","message","status","details"}}` (Gemini),
    /// `{"error":"text"}` (Ollama), `{"object":"error","message",…}` (vLLM, Mistral),
    /// `{"message":…}` and `{"detail":…}` (gateways, FastAPI validation).
    pub fn from_json(v: &Value) -> Option<Self> {
        let obj = v.as_object()?;
        if let Some(err) = obj.get("error") {
            return match err {
                Value::String(s) => Some(ErrorInfo {
                    message: Some(s.clone()),
                    ..Self::default()
                }),
                Value::Object(_) => Some(Self::from_fields(err)),
                _ => None,
            };
        }
        if obj.get("object").and_then(Value::as_str) == Some("error")
            || obj.get("type").and_then(Value::as_str) == Some("error")
        {
            return Some(Self::from_fields(v));
        }
        if let Some(detail) = obj.get("detail") {
            let message = match detail {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.get("msg").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            return Some(ErrorInfo {
                message: Some(message),
                ..Self::default()
            });
        }
        if obj.len() <= 3
            && let Some(m) = obj.get("message").and_then(Value::as_str)
        {
            return Some(ErrorInfo {
                message: Some(m.to_owned()),
                ..Self::default()
            });
        }
        None
    }

    /// Reads an error object itself (`{"message","type","code",…}`).
    pub fn from_fields(e: &Value) -> Self {
        if let Value::String(s) = e {
            return ErrorInfo {
                message: Some(s.clone()),
                ..Self::default()
            };
        }
        let str_of = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut info = ErrorInfo {
            message: str_of("message"),
            kind: str_of("type").or_else(|| str_of("status")),
            ..Self::default()
        };
        match e.get("code") {
            Some(Value::String(s)) => info.code = Some(s.clone()),
            Some(Value::Number(n)) => info.http_code = n.as_u64().and_then(|n| n.try_into().ok()),
            _ => {}
        }
        if let Some(details) = e.get("details").and_then(Value::as_array) {
            for d in details {
                if let Some(reason) = d.get("reason").and_then(Value::as_str) {
                    info.code.get_or_insert_with(|| reason.to_owned());
                }
                if let Some(delay) = d.get("retryDelay").and_then(Value::as_str) {
                    info.retry_delay = parse_seconds_suffix(delay);
                }
            }
        }
        if info.message.is_none() {
            info.message = e
                .get("metadata")
                .and_then(|m| m.get("raw"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        info
    }

    /// From a raw body: JSON if it parses, else the text itself.
    pub fn from_body(body: &[u8]) -> Self {
        if let Ok(v) = serde_json::from_slice::<Value>(body)
            && let Some(info) = Self::from_json(&v)
        {
            return info;
        }
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let looks_html = text.starts_with('<');
        ErrorInfo {
            message: (!text.is_empty() && !looks_html).then(|| text.to_owned()),
            ..Self::default()
        }
    }

    fn words(&self) -> String {
        let mut s = String::new();
        for part in [&self.message, &self.kind, &self.code]
            .into_iter()
            .flatten()
        {
            s.push_str(&part.to_ascii_lowercase());
            s.push(' ');
        }
        s
    }
}

/// Parses `"38s"` or `"1.5s"` (protobuf `Duration` JSON).
fn parse_seconds_suffix(s: &str) -> Option<Duration> {
    let n: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    (n.is_finite() && n >= 0.0).then(|| Duration::from_secs_f64(n))
}

/// "Please try again in 7.66s." / "try again in 1m30s" (OpenAI, Groq put it in the message).
fn retry_from_message(msg: &str) -> Option<Duration> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find("try again in ")? + "try again in ".len();
    let tail = &lower[at..];
    let end = tail
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'm' | 's' | 'h')))
        .unwrap_or(tail.len());
    let spec = tail[..end].trim_end_matches('.');
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                0.001
            }
            ('h', _) => 3600.0,
            ('m', _) => 60.0,
            ('s', _) => 1.0,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * unit;
        num.clear();
        any = true;
    }
    (any && num.is_empty() && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

const CONTEXT_WORDS: [&str; 14] = [
    "context_length",
    "context length",
    "context window",
    "maximum context",
    "context size",
    "exceed_context_size",
    "prompt is too long",
    "too many tokens",
    "input token count",
    "exceeds the maximum number of tokens",
    "too large for model",
    "reduce the length",
    "maximum prompt length",
    "string_above_max_length",
];

const KEY_WORDS: [&str; 8] = [
    "api_key_invalid",
    "api key not valid",
    "invalid_api_key",
    "invalid api key",
    "incorrect api key",
    "authentication_error",
    "unauthenticated",
    "permission_denied",
];

/// Maps what a provider said (HTTP status when there was one, headers, error info) to the
/// typed set. Used for error responses and for errors that arrive mid-stream.
pub(crate) fn classify(
    status: Option<u16>,
    retry_header: Option<RetryAfter>,
    info: &ErrorInfo,
    scrub: &Scrubber,
) -> ProviderError {
    let words = info.words();
    let detail = info.message.as_deref().map(|m| scrub.clean(m));
    let has = |list: &[&str]| list.iter().any(|w| words.contains(w));
    let status = status.filter(|s| *s >= 400).or(info.http_code);
    let kind = info.kind.as_deref().unwrap_or("");
    let code = info.code.as_deref().unwrap_or("");

    let retry_after = || {
        retry_header
            .or_else(|| info.retry_delay.map(RetryAfter::Delay))
            .or_else(|| {
                info.message
                    .as_deref()
                    .and_then(retry_from_message)
                    .map(RetryAfter::Delay)
            })
    };

    if code == "insufficient_quota" || kind == "insufficient_quota" || status == Some(402) {
        return ProviderError::OutOfCredit { detail };
    }
    if matches!(status, Some(401 | 403)) {
        return ProviderError::BadKey { status, detail };
    }
    // A 429 may mention "tokens" and "reduce the length" of a per-minute budget: it is still
    // a rate limit, so this comes before the context check.
    if status != Some(429)
        && (has(&CONTEXT_WORDS) || kind == "request_too_large" || status == Some(413))
    {
        return ProviderError::ContextTooLong { detail };
    }
    if has(&KEY_WORDS) || kind == "permission_error" {
        return ProviderError::BadKey { status, detail };
    }
    if status == Some(429)
        || matches!(
            kind,
            "rate_limit_error" | "rate_limit_exceeded" | "RESOURCE_EXHAUSTED" | "tokens"
        )
        || code == "rate_limit_exceeded"
    {
        return ProviderError::RateLimited {
            retry_after: retry_after(),
            detail,
        };
    }
    if matches!(
        kind,
        "overloaded_error" | "api_error" | "server_error" | "UNAVAILABLE" | "INTERNAL"
    ) || matches!(status, Some(500..=599))
        || code == "server_error"
    {
        return ProviderError::Overloaded { status, detail };
    }
    if status == Some(404)
        || matches!(kind, "not_found_error" | "NOT_FOUND")
        || code == "model_not_found"
    {
        return ProviderError::NotFound { detail };
    }
    let message = detail.unwrap_or_else(|| match status {
        Some(s) => format!("HTTP {s}"),
        None => "the provider reported an error".to_owned(),
    });
    match status {
        Some(s @ (400 | 409 | 422)) => ProviderError::BadRequest { status: s, message },
        Some(s) => ProviderError::Other {
            status: Some(s),
            message,
        },
        None if matches!(kind, "invalid_request_error" | "INVALID_ARGUMENT") => {
            ProviderError::BadRequest {
                status: 400,
                message,
            }
        }
        None => ProviderError::Other {
            status: None,
            message,
        },
    }
}

/// Maps a complete non-2xx response.
pub(crate) fn from_response(head: &ResponseHead, body: &[u8], scrub: &Scrubber) -> ProviderError {
    let info = ErrorInfo::from_body(body);
    classify(
        Some(head.status),
        RetryAfter::from_headers(head),
        &info,
        scrub,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
        expected: ErrorKind,
    ) -> ProviderError {
        let mut head = ResponseHead::new(status);
        for (n, v) in headers {
            head.insert(*n, *v);
        }
        let err = from_response(&head, body.as_bytes(), &Scrubber::default());
        assert_eq!(err.kind(), expected, "{status} {body}: {err:?}");
        err
    }

    #[test]
    fn openai_shapes() {
        check(
            401,
            &[],
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            ErrorKind::BadKey,
        );
        let e = check(
            400,
            &[],
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
            ErrorKind::ContextTooLong,
        );
        assert_eq!(
            e.detail(),
            Some("This model's maximum context length is 8192 tokens.")
        );
        check(
            429,
            &[],
            r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            ErrorKind::OutOfCredit,
        );
        check(
            400,
            &[],
            r#"{"error":{"message":"Unsupported value: 'temperature'","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}"#,
            ErrorKind::BadRequest,
        );
        check(503, &[], "<html>bad gateway</html>", ErrorKind::Overloaded);
    }

    #[test]
    fn retry_after_seconds_header_is_honoured() {
        let e = check(
            429,
            &[("retry-after", "7")],
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
            ErrorKind::RateLimited,
        );
        assert_eq!(
            e,
            ProviderError::RateLimited {
                retry_after: Some(RetryAfter::Delay(Duration::from_secs(7))),
                detail: Some("Rate limit reached".into())
            }
        );
        assert_eq!(
            e.to_string(),
            "Too many requests: the service asks to wait 7 seconds."
        );
    }

    #[test]
    fn retry_after_ms_wins_over_seconds() {
        let e = check(
            429,
            &[("retry-after", "2"), ("retry-after-ms", "1500")],
            "",
            ErrorKind::RateLimited,
        );
        assert!(
            matches!(e, ProviderError::RateLimited { retry_after: Some(RetryAfter::Delay(d)), .. } if d == Duration::from_millis(1500))
        );
    }

    #[test]
    fn retry_after_http_date() {
        let e = check(
            429,
            &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
            "",
            ErrorKind::RateLimited,
        );
        let ProviderError::RateLimited {
            retry_after: Some(r),
            ..
        } = e
        else {
            panic!("{e:?}")
        };
        assert_eq!(
            r,
            RetryAfter::At {
                unix_seconds: 1_445_412_480
            }
        );
        assert_eq!(r.delay(1_445_412_470), Duration::from_secs(10));
        assert_eq!(r.delay(1_445_412_490), Duration::ZERO);
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("soon"), None);
    }

    #[test]
    fn retry_delay_in_message_and_gemini_details() {
        let e = check(
            429,
            &[],
            r#"{"error":{"message":"Rate limit reached. Please try again in 1m30.5s.","type":"tokens","code":"rate_limit_exceeded"}}"#,
            ErrorKind::RateLimited,
        );
        assert!(
            matches!(e, ProviderError::RateLimited { retry_after: Some(RetryAfter::Delay(d)), .. } if d == Duration::from_secs_f64(90.5))
        );
        let e = check(
            429,
            &[],
            r#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}"#,
            ErrorKind::RateLimited,
        );
        assert!(
            matches!(e, ProviderError::RateLimited { retry_after: Some(RetryAfter::Delay(d)), .. } if d == Duration::from_secs(38))
        );
    }

    #[test]
    fn anthropic_shapes() {
        check(
            529,
            &[],
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ErrorKind::Overloaded,
        );
        check(
            400,
            &[],
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#,
            ErrorKind::ContextTooLong,
        );
        check(
            401,
            &[],
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
            ErrorKind::BadKey,
        );
        check(
            404,
            &[],
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-nope"}}"#,
            ErrorKind::NotFound,
        );
        check(
            413,
            &[],
            r#"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#,
            ErrorKind::ContextTooLong,
        );
    }

    #[test]
    fn gemini_bad_key_is_a_400() {
        check(
            400,
            &[],
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#,
            ErrorKind::BadKey,
        );
        check(
            400,
            &[],
            r#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#,
            ErrorKind::ContextTooLong,
        );
        check(
            503,
            &[],
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
            ErrorKind::Overloaded,
        );
    }

    #[test]
    fn ollama_vllm_mistral_shapes() {
        check(
            404,
            &[],
            r#"{"error":"model \"llama9\" not found, try pulling it first"}"#,
            ErrorKind::NotFound,
        );
        check(
            400,
            &[],
            r#"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}"#,
            ErrorKind::ContextTooLong,
        );
        check(
            400,
            &[],
            r#"{"object":"error","message":"Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length","type":"invalid_request_message_error","param":null,"code":null}"#,
            ErrorKind::ContextTooLong,
        );
        let e = check(
            422,
            &[],
            r#"{"detail":[{"type":"extra_forbidden","loc":["body","foo"],"msg":"Extra inputs are not permitted"}]}"#,
            ErrorKind::BadRequest,
        );
        assert_eq!(e.detail(), Some("Extra inputs are not permitted"));
        check(
            402,
            &[],
            r#"{"error":{"code":402,"message":"Insufficient credits"}}"#,
            ErrorKind::OutOfCredit,
        );
    }

    #[test]
    fn mid_stream_errors_without_status() {
        let scrub = Scrubber::default();
        let info = ErrorInfo::from_json(
            &serde_json::json!({"error":{"code":502,"message":"Provider disconnected"}}),
        )
        .unwrap();
        assert_eq!(
            classify(Some(200), None, &info, &scrub).kind(),
            ErrorKind::Overloaded
        );
        let info = ErrorInfo::from_json(&serde_json::json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})).unwrap();
        assert_eq!(
            classify(None, None, &info, &scrub).kind(),
            ErrorKind::Overloaded
        );
        let info = ErrorInfo::from_json(
            &serde_json::json!({"error":{"message":"weird","type":"invalid_request_error"}}),
        )
        .unwrap();
        assert_eq!(
            classify(None, None, &info, &scrub).kind(),
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn keys_in_error_text_are_removed() {
        let scrub = Scrubber::new(["plainsecret-xyz"]);
        let head = ResponseHead::new(401);
        let err = from_response(
            &head,
            br#"{"error":{"message":"Incorrect API key provided: plainsecret-xyz (sk-proj-abc123def456)"}}"#,
            &scrub,
        );
        let all = format!("{err} {err:?} {}", err.hint());
        assert!(!all.contains("plainsecret"), "{all}");
        assert!(!all.contains("abc123def456"), "{all}");
    }

    #[test]
    fn every_kind_has_words_and_a_hint() {
        let all = [
            ProviderError::BadKey {
                status: Some(401),
                detail: None,
            },
            ProviderError::RateLimited {
                retry_after: None,
                detail: None,
            },
            ProviderError::OutOfCredit { detail: None },
            ProviderError::ContextTooLong { detail: None },
            ProviderError::Overloaded {
                status: None,
                detail: None,
            },
            ProviderError::NotFound { detail: None },
            ProviderError::Network {
                detail: None,
                fix: None,
            },
            ProviderError::IdleTimeout {
                after: Duration::from_secs(30),
                before_first_token: false,
            },
            ProviderError::Aborted,
            ProviderError::BadRequest {
                status: 400,
                message: "x".into(),
            },
            ProviderError::Other {
                status: None,
                message: "x".into(),
            },
        ];
        let mut kinds = std::collections::HashSet::new();
        for e in &all {
            assert!(e.to_string().len() > 5, "{e:?}");
            assert!(e.hint().len() > 10, "{e:?}");
            assert!(kinds.insert(e.kind().as_str()));
        }
        assert_eq!(
            all[7].to_string(),
            "The answer stalled: nothing arrived for 30 seconds."
        );
    }
}
