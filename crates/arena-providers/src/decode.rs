//! Turning response bytes into [`StreamEvent`]s: the part common to every codec.
//!
//! The decoder picks its mode from the response head: an error status or a JSON body is
//! buffered whole and read at the end; a stream goes through the SSE or NDJSON parser and
//! each event or line is handed to the wire codec. The [`Emit`] sink enforces the event
//! order promised on [`StreamEvent`], so codecs cannot break it.

use serde_json::Value;

use crate::codec::Codec;
use crate::error::{self, ErrorInfo, classify};
use crate::ndjson::NdjsonParser;
use crate::redact::Scrubber;
use crate::sse::{EndOfStream, SseParser};
use crate::{FinishReason, ProviderError, ResponseHead, StreamEvent, Usage, Wire};

/// Largest error or JSON body kept; the rest is dropped (an error page can be large).
const MAX_BODY: usize = 1 << 20;

/// Decodes one response. Feed every chunk to [`ChatDecoder::push`] and call
/// [`ChatDecoder::finish`] when the body ends. Made by [`crate::Endpoint::decoder`].
#[derive(Debug)]
pub struct ChatDecoder {
    mode: Mode,
    codec: Codec,
    common: Common,
}

#[derive(Debug)]
enum Mode {
    Sse(SseParser),
    Ndjson(NdjsonParser),
    /// A whole body read at the end: an error response, or a 2xx that is JSON, not a stream.
    Body {
        head: ResponseHead,
        buf: Vec<u8>,
    },
}

#[derive(Debug)]
pub(crate) struct Common {
    pub scrub: Scrubber,
    terminal: bool,
    saw_finish: bool,
    usage: Option<Usage>,
}

/// The sink a codec writes to.
pub(crate) struct Emit<'a> {
    out: &'a mut Vec<StreamEvent>,
    common: &'a mut Common,
    /// Handling what the end of the body cut off: unreadable data there means truncation.
    eof: bool,
}

impl Emit<'_> {
    pub fn text(&mut self, s: &str) {
        if !self.common.terminal && !s.is_empty() {
            self.out.push(StreamEvent::TextDelta(s.to_owned()));
        }
    }

    pub fn reasoning(&mut self, s: &str) {
        if !self.common.terminal && !s.is_empty() {
            self.out.push(StreamEvent::ReasoningDelta(s.to_owned()));
        }
    }

    /// The first finish reason wins.
    pub fn finish(&mut self, reason: FinishReason) {
        if !self.common.terminal && !self.common.saw_finish {
            self.common.saw_finish = true;
            self.out.push(StreamEvent::Finish(reason));
        }
    }

    /// Usage is held and given once, just before `Done`; later reports refine earlier ones.
    pub fn usage(&mut self, u: Usage) {
        let held = self.common.usage.get_or_insert_with(Usage::default);
        if u.input.is_some() {
            held.input = u.input;
        }
        if u.output.is_some() {
            held.output = u.output;
        }
    }

    pub fn scrub(&self) -> &Scrubber {
        &self.common.scrub
    }

    pub fn done(&mut self) {
        if self.common.terminal {
            return;
        }
        if let Some(u) = self.common.usage.take()
            && u != Usage::default()
        {
            self.out.push(StreamEvent::Usage(u));
        }
        self.out.push(StreamEvent::Done);
        self.common.terminal = true;
    }

    pub fn error(&mut self, e: ProviderError) {
        if !self.common.terminal {
            self.out.push(StreamEvent::Error(e));
            self.common.terminal = true;
        }
    }

    /// An error object that arrived inside a 2xx stream.
    pub fn error_info(&mut self, info: &ErrorInfo) {
        let e = classify(None, None, info, &self.common.scrub);
        self.error(e);
    }

    /// Data the codec could not read.
    pub fn unreadable(&mut self, what: &str) {
        if self.eof {
            self.error(truncated());
            return;
        }
        self.error(ProviderError::Other {
            status: None,
            message: format!("the stream held data Arena could not read ({what})"),
        });
    }

    /// The stream ended: fine after a finish reason, otherwise it was cut short.
    pub fn end(&mut self) {
        if self.common.saw_finish {
            self.done();
        } else {
            self.error(truncated());
        }
    }
}

pub(crate) fn truncated() -> ProviderError {
    ProviderError::Network {
        detail: Some("the connection closed before the answer finished".to_owned()),
        fix: Some("The connection broke mid-answer; try again.".to_owned()),
    }
}

impl ChatDecoder {
    pub(crate) fn new(wire: Wire, head: &ResponseHead, scrub: Scrubber) -> Self {
        let codec = Codec(wire);
        let content_type = head.get("content-type").unwrap_or("").to_ascii_lowercase();
        let json_body = content_type.starts_with("application/json");
        let mode = if !head.is_success() || json_body {
            Mode::Body {
                head: head.clone(),
                buf: Vec::new(),
            }
        } else if wire == Wire::Ollama {
            Mode::Ndjson(NdjsonParser::new())
        } else {
            // Dispatch an event cut off by the end of the stream: see `EndOfStream::Dispatch`.
            Mode::Sse(SseParser::with_end(EndOfStream::Dispatch))
        };
        Self {
            mode,
            codec,
            common: Common {
                scrub,
                terminal: false,
                saw_finish: false,
                usage: None,
            },
        }
    }

    /// Whether the stream has ended (with `Done` or `Error`); later bytes are ignored.
    pub fn is_finished(&self) -> bool {
        self.common.terminal
    }

    /// How many SSE comment lines (keep-alives) were seen.
    pub fn keep_alives(&self) -> u64 {
        match &self.mode {
            Mode::Sse(p) => p.comments(),
            _ => 0,
        }
    }

    /// Feeds response bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.common.terminal {
            return out;
        }
        let mut emit = Emit {
            out: &mut out,
            common: &mut self.common,
            eof: false,
        };
        match &mut self.mode {
            Mode::Sse(p) => {
                for ev in p.push(bytes) {
                    self.codec.on_sse(&ev, &mut emit);
                }
            }
            Mode::Ndjson(p) => {
                for line in p.push(bytes) {
                    self.codec.on_line(&line, &mut emit);
                }
            }
            Mode::Body { buf, .. } => {
                let room = MAX_BODY.saturating_sub(buf.len());
                buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
            }
        }
        out
    }

    /// Ends the body; returns the last events, always ending in `Done` or `Error` unless one
    /// was already given.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.common.terminal {
            return out;
        }
        let mut emit = Emit {
            out: &mut out,
            common: &mut self.common,
            eof: true,
        };
        match &mut self.mode {
            Mode::Sse(p) => {
                for ev in p.finish() {
                    self.codec.on_sse(&ev, &mut emit);
                }
            }
            Mode::Ndjson(p) => {
                for line in p.finish() {
                    self.codec.on_line(&line, &mut emit);
                }
            }
            Mode::Body { head, buf } => {
                if head.is_success() {
                    match serde_json::from_slice::<Value>(buf) {
                        Ok(v) => match ErrorInfo::from_json(&v) {
                            Some(info) => emit.error_info(&info),
                            None => self.codec.on_json(&v, &mut emit),
                        },
                        Err(_) => emit.unreadable("a JSON body that did not parse"),
                    }
                } else {
                    emit.error(error::from_response(head, buf, emit.scrub()));
                }
            }
        }
        emit.end();
        out
    }
}
