//! Sans-IO provider codecs for Arena's API contestants.
//!
//! The crate does no I/O, reads no clock and draws no randomness, so it runs the same in the
//! browser (wasm32) and in native tests. A caller:
//!
//! 1. builds an [`Endpoint`] (a [`Preset`], a base URL, an [`ApiKey`]);
//! 2. turns a [`ChatRequest`] into an [`HttpRequest`] with [`Endpoint::chat_request`] and sends
//!    it however it can (`fetch` in the browser);
//! 3. makes a [`ChatDecoder`] from the response status and headers with
//!    [`Endpoint::decoder`], feeds it every body chunk ([`ChatDecoder::push`]) and the end
//!    ([`ChatDecoder::finish`]), and gets [`StreamEvent`]s back;
//! 4. maps a failed `fetch` with [`Endpoint::network_error`], a stop button to
//!    [`ProviderError::Aborted`], and a stall to [`ProviderError::IdleTimeout`] with an
//!    [`IdleWatch`] it feeds "now" to.
//!
//! ```
//! use arena_providers::{ApiKey, ChatRequest, Endpoint, Preset, ResponseHead, StreamEvent};
//!
//! let ep = Endpoint::new(Preset::OpenAi).with_api_key(ApiKey::new("sk-test"));
//! let req = ep.chat_request(&ChatRequest::new("gpt-4o-mini", "Hi")).unwrap();
//! assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
//!
//! let mut dec = ep.decoder(&ResponseHead::new(200).header("content-type", "text/event-stream"));
//! let mut events = dec.push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel");
//! events.extend(dec.push(b"lo\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"));
//! assert_eq!(events[0], StreamEvent::TextDelta("Hello".into()));
//! assert_eq!(events.last(), Some(&StreamEvent::Done));
//! ```

mod codec;
mod decode;
mod endpoint;
mod error;
mod event;
mod idle;
pub mod ndjson;
mod preset;
mod redact;
mod request;
pub mod sse;

pub use codec::anthropic::{ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_VERSION};
pub use decode::ChatDecoder;
pub use endpoint::{Endpoint, ModelInfo, RequestError};
pub use error::{ErrorKind, ProviderError, RetryAfter, parse_http_date};
pub use event::{FinishReason, StreamEvent, Usage};
pub use idle::IdleWatch;
pub use ndjson::NdjsonParser;
pub use preset::{IdlePolicy, Preset, PresetInfo, Wire};
pub use redact::{REDACTED, Scrubber};
pub use request::{
    ApiKey, ChatRequest, Header, Headers, HttpRequest, Message, Method, ResponseHead, Role,
};
pub use sse::{EndOfStream, SseEvent, SseParser};
