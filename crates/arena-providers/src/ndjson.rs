//! An incremental newline-delimited JSON splitter (Ollama's `/api/chat` stream).
//!
//! Lines end with LF; a CR before the LF is dropped. Blank lines are skipped. Bytes are kept
//! until their line is complete, so a chunk may end inside a UTF-8 character. The lines come
//! out as text; the codec parses the JSON.

use memchr::memchr;

/// The incremental splitter.
#[derive(Debug, Clone, Default)]
pub struct NdjsonParser {
    line: Vec<u8>,
}

impl NdjsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether part of a line is held.
    pub fn has_pending(&self) -> bool {
        self.line.iter().any(|b| !b.is_ascii_whitespace())
    }

    /// Feeds bytes; returns the complete, non-blank lines they finish.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(i) = memchr(b'\n', bytes) {
            if self.line.is_empty() {
                emit(&bytes[..i], &mut out);
            } else {
                self.line.extend_from_slice(&bytes[..i]);
                emit(&self.line, &mut out);
                self.line.clear();
            }
            bytes = &bytes[i + 1..];
        }
        self.line.extend_from_slice(bytes);
        out
    }

    /// Ends the stream: a last line without a newline is still a line.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        emit(&std::mem::take(&mut self.line), &mut out);
        out
    }
}

fn emit(line: &[u8], out: &mut Vec<String>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    out.push(String::from_utf8_lossy(line).into_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(chunks: &[&[u8]], expected: &[&str]) {
        let mut p = NdjsonParser::new();
        let mut got = Vec::new();
        for c in chunks {
            got.extend(p.push(c));
        }
        got.extend(p.finish());
        assert_eq!(got, expected);
    }

    #[test]
    fn lines_blank_lines_and_crlf() {
        check(
            &[b"{\"a\":1}\r\n\n  \n{\"b\":2}\n"],
            &["{\"a\":1}", "{\"b\":2}"],
        );
    }

    #[test]
    fn last_line_without_newline() {
        check(
            &[b"{\"a\":1}\n{\"done\":", b"true}"],
            &["{\"a\":1}", "{\"done\":true}"],
        );
    }

    #[test]
    fn split_inside_utf8() {
        let s = "{\"t\":\"\u{1f389}\u{e9}\"}\n".as_bytes();
        let parts: Vec<&[u8]> = s.chunks(1).collect();
        check(&parts, &["{\"t\":\"\u{1f389}\u{e9}\"}"]);
    }
}
