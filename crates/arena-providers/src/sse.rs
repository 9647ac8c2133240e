//! An incremental `text/event-stream` parser following the WHATWG HTML rules
//! ("Server-sent events", section "Parsing an event stream").
//!
//! Bytes go in as they arrive from the network, split anywhere — inside a line, between a CR
//! and its LF, inside a UTF-8 character. The parser keeps the bytes of the unfinished line and
//! decodes a line only once it is complete, so a split character is never seen half-way.
//!
//! **Architecture Invariant:** the events out of a stream do not depend on how it was split
//! into chunks (property-tested in `tests/sse_props.rs`).

use memchr::{memchr, memchr2};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `"message"` when the event had none.
    pub event: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
    /// The last event id seen so far in the stream (it persists across events, as in the spec).
    pub id: String,
}

/// What the parser does with an event that has data but no closing blank line when the
/// stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndOfStream {
    /// Drop it, as the spec (and `EventSource`) does.
    #[default]
    Discard,
    /// Treat the end of the stream as the end of the line and of the event. Some servers close
    /// the connection right after the last `data:` line; a truncated JSON payload still fails
    /// to parse in the codec, so nothing half-received is taken as complete.
    Dispatch,
}

/// The incremental parser. Feed it with [`SseParser::push`], close it with
/// [`SseParser::finish`].
#[derive(Debug, Clone, Default)]
pub struct SseParser {
    /// Bytes of the line not yet terminated (or, at the very start, a possible BOM prefix).
    line: Vec<u8>,
    /// Still at the start of the stream, where one U+FEFF is dropped.
    bom_checked: bool,
    /// The previous chunk ended with CR: an LF at the start of the next one belongs to it.
    after_cr: bool,
    data: String,
    event: String,
    last_id: String,
    retry: Option<u64>,
    comments: u64,
    end: EndOfStream,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SseParser {
    /// A parser that follows the spec exactly at the end of the stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with the given end-of-stream rule.
    pub fn with_end(end: EndOfStream) -> Self {
        Self {
            end,
            ..Self::default()
        }
    }

    /// The reconnection time from the last valid `retry:` field, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// How many comment lines (`: keep-alive`, `: OPENROUTER PROCESSING`, …) were seen.
    pub fn comments(&self) -> u64 {
        self.comments
    }

    /// Whether a line or an event is partly received.
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || !self.data.is_empty() || !self.event.is_empty()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.push_into(bytes, &mut out);
        out
    }

    /// Like [`SseParser::push`], appending to `out` (saves an allocation per chunk).
    pub fn push_into(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if !self.bom_checked {
            // Hold bytes until we know whether the stream opens with a BOM.
            let want = BOM.len() - self.line.len();
            let take = want.min(bytes.len());
            self.line.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if !BOM.starts_with(&self.line) {
                self.bom_checked = true;
                let held = std::mem::take(&mut self.line);
                self.feed(&held, out);
            } else if self.line.len() == BOM.len() {
                self.bom_checked = true;
                self.line.clear();
            } else {
                return;
            }
        }
        self.feed(bytes, out);
    }

    /// Ends the stream. With [`EndOfStream::Discard`] an unfinished event is dropped; with
    /// [`EndOfStream::Dispatch`] it is returned. The parser is then reset to a fresh state.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if self.end == EndOfStream::Dispatch {
            // A stream still unchecked for a BOM holds a strict prefix of one: as a line that
            // is an unknown field, so it goes the same way as any other held bytes.
            if !self.line.is_empty() {
                let line = std::mem::take(&mut self.line);
                self.line_done(&line, &mut out);
            }
            self.dispatch(&mut out);
        }
        let end = self.end;
        *self = Self::with_end(end);
        out
    }

    fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        while let Some(i) = memchr2(b'\n', b'\r', bytes) {
            if self.line.is_empty() {
                self.line_done(&bytes[..i], out);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&bytes[..i]);
                self.line_done(&line, out);
                line.clear();
                self.line = line;
            }
            let mut next = i + 1;
            if bytes[i] == b'\r' {
                match bytes.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            bytes = &bytes[next..];
        }
        self.line.extend_from_slice(bytes);
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            self.comments += 1;
            return;
        }
        let (field, value) = match memchr(b':', line) {
            Some(c) => {
                let v = &line[c + 1..];
                (&line[..c], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                push_utf8(&mut self.data, value);
                self.data.push('\n');
            }
            b"event" => {
                self.event.clear();
                push_utf8(&mut self.event, value);
            }
            b"id" if memchr(0, value).is_none() => {
                self.last_id.clear();
                push_utf8(&mut self.last_id, value);
            }
            // Digits only, so this parses unless it overflows; the old value stays then.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()) {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.data.is_empty() {
            self.event.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if self.event.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(&mut self.event)
        };
        out.push(SseEvent {
            event,
            data,
            id: self.last_id.clone(),
        });
    }
}

/// Appends bytes decoded as UTF-8, replacing invalid sequences with U+FFFD as the spec says.
fn push_utf8(s: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(v) => s.push_str(v),
        Err(_) => s.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        }
    }

    fn check(input: &str, expected: &[SseEvent]) {
        let mut p = SseParser::new();
        let mut got = p.push(input.as_bytes());
        got.extend(p.finish());
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn spec_example_multiline_data() {
        check(
            "data: YHOO\ndata: +2\ndata: 10\n\n",
            &[ev("message", "YHOO\n+2\n10", "")],
        );
    }

    #[test]
    fn spec_example_space_is_optional_once() {
        check(
            "data:test\n\ndata: test\n\ndata:  two\n\n",
            &[
                ev("message", "test", ""),
                ev("message", "test", ""),
                ev("message", " two", ""),
            ],
        );
    }

    #[test]
    fn spec_example_empty_data_and_discarded_tail() {
        // "data" with no colon is the field "data" with an empty value.
        check(
            "data\n\ndata\ndata\n\ndata:",
            &[ev("message", "", ""), ev("message", "\n", "")],
        );
    }

    #[test]
    fn dispatch_at_end_when_asked() {
        let mut p = SseParser::with_end(EndOfStream::Dispatch);
        assert!(p.push(b"data: [DONE]").is_empty());
        assert_eq!(p.finish(), vec![ev("message", "[DONE]", "")]);
    }

    #[test]
    fn event_id_and_retry_fields() {
        let mut p = SseParser::new();
        let got = p.push(b"event: ping\nid: 7\nretry: 1500\ndata: {}\n\ndata: x\n\n");
        assert_eq!(got, vec![ev("ping", "{}", "7"), ev("message", "x", "7")]);
        assert_eq!(p.retry(), Some(1500));
    }

    #[test]
    fn bad_retry_and_id_with_nul_are_ignored() {
        let mut p = SseParser::new();
        let got = p.push(b"retry: 12a\nid: a\0b\ndata: x\n\n");
        assert_eq!(got, vec![ev("message", "x", "")]);
        assert_eq!(p.retry(), None);
    }

    #[test]
    fn comments_are_counted_not_dispatched() {
        let mut p = SseParser::new();
        let got = p.push(b": OPENROUTER PROCESSING\n\n: keep-alive\n\ndata: a\n\n");
        assert_eq!(got, vec![ev("message", "a", "")]);
        assert_eq!(p.comments(), 2);
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_type_resets() {
        check("event: foo\n\ndata: x\n\n", &[ev("message", "x", "")]);
    }

    #[test]
    fn cr_lf_and_crlf_line_ends() {
        check(
            "data: a\r\rdata: b\r\n\r\ndata: c\n\n",
            &[
                ev("message", "a", ""),
                ev("message", "b", ""),
                ev("message", "c", ""),
            ],
        );
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let mut p = SseParser::new();
        let mut got = p.push(b"data: a\r");
        got.extend(p.push(b"\ndata: b\r"));
        got.extend(p.push(b"\n\r"));
        got.extend(p.push(b"\n"));
        assert_eq!(got, vec![ev("message", "a\nb", "")]);
    }

    #[test]
    fn bom_is_dropped_once_even_when_split() {
        let mut p = SseParser::new();
        let mut got = p.push(b"\xEF");
        got.extend(p.push(b"\xBB"));
        got.extend(p.push(b"\xBFdata: x\n\n"));
        assert_eq!(got, vec![ev("message", "x", "")]);
        // A second BOM is content: it makes the field name "\u{feff}data", which is unknown.
        check("\u{feff}\u{feff}data: y\n\n", &[]);
    }

    #[test]
    fn short_stream_that_is_not_a_bom() {
        let mut p = SseParser::with_end(EndOfStream::Dispatch);
        assert!(p.push(b"da").is_empty());
        assert!(p.push(b"ta").is_empty());
        assert_eq!(p.finish(), vec![ev("message", "", "")]);
    }

    #[test]
    fn utf8_split_inside_character() {
        let text = "data: h\u{e9}llo \u{4f60}\u{597d} \u{1f389}\n\n";
        let bytes = text.as_bytes();
        let mut p = SseParser::new();
        let mut got = Vec::new();
        for b in bytes {
            got.extend(p.push(std::slice::from_ref(b)));
        }
        assert_eq!(
            got,
            vec![ev("message", "h\u{e9}llo \u{4f60}\u{597d} \u{1f389}", "")]
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_character() {
        let mut p = SseParser::new();
        assert_eq!(
            p.push(b"data: a\xFFb\n\n"),
            vec![ev("message", "a\u{fffd}b", "")]
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        check("foo: bar\ndata: x\n\n", &[ev("message", "x", "")]);
    }
}
