//! A JSON array of records (FastChat's `clean_battle_*.json`), streamed element by element.
//!
//! The reader scans bytes to find where each element ends (tracking strings, escapes and
//! nesting), then parses just that element, so memory holds one record at a time.

use std::io::{BufRead, Write};

use super::rows::RowSink;
use super::{FormatError, json_error};
use crate::record::VoteRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or `,`: an element or (after `[`) `]` comes next.
    Element {
        first: bool,
    },
    /// After an element: `,` or `]` comes next.
    Separator,
    Done,
}

/// Streams the elements of a JSON array as records.
#[derive(Debug)]
pub struct JsonArrayReader<R> {
    reader: R,
    line: u64,
    state: State,
    element: Vec<u8>,
}

impl<R: BufRead> JsonArrayReader<R> {
    pub fn new(reader: R) -> Self {
        JsonArrayReader {
            reader,
            line: 1,
            state: State::Start,
            element: Vec::new(),
        }
    }

    /// Skips whitespace (and a BOM) and returns the next byte without consuming it.
    fn peek_non_ws(&mut self) -> Result<Option<u8>, FormatError> {
        loop {
            let buf = self.reader.fill_buf().map_err(|e| FormatError::Read {
                line: self.line,
                message: e.to_string(),
            })?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            for &b in buf {
                if b == b'\n' {
                    self.line += 1;
                } else if !(b.is_ascii_whitespace() || b == 0xEF || b == 0xBB || b == 0xBF) {
                    self.reader.consume(n);
                    return Ok(Some(b));
                }
                n += 1;
            }
            self.reader.consume(n);
        }
    }

    /// Reads one complete JSON value starting at the current byte into `self.element`.
    fn read_value(&mut self) -> Result<(), FormatError> {
        self.element.clear();
        let start_line = self.line;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escape = false;
        let mut started = false;
        loop {
            let buf = self.reader.fill_buf().map_err(|e| FormatError::Read {
                line: self.line,
                message: e.to_string(),
            })?;
            if buf.is_empty() {
                return Err(FormatError::Invalid {
                    line: start_line,
                    message: "the JSON array ends inside an element".into(),
                });
            }
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                if b == b'\n' {
                    self.line += 1;
                }
                if in_string {
                    if escape {
                        escape = false;
                    } else if b == b'\\' {
                        escape = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        started = true;
                    }
                    b'}' | b']' => {
                        if depth == 0 {
                            return Err(FormatError::Invalid {
                                line: start_line,
                                message: "unbalanced brackets in the JSON array".into(),
                            });
                        }
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    b',' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
                if !started && !b.is_ascii_whitespace() {
                    started = true;
                }
            }
            let take = end.unwrap_or(buf.len());
            self.element.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            if end.is_some() {
                return Ok(());
            }
        }
    }
}

impl<R: BufRead> JsonArrayReader<R> {
    /// Reads the next element and hands its bytes to `parse`.
    fn next_with<T>(
        &mut self,
        parse: impl FnOnce(u64, &[u8]) -> Result<T, FormatError>,
    ) -> Option<Result<T, FormatError>> {
        loop {
            let fail = |s: &mut Self, e: FormatError| {
                s.state = State::Done;
                Some(Err(e))
            };
            let b = match self.peek_non_ws() {
                Ok(b) => b,
                Err(e) => return fail(self, e),
            };
            match (self.state, b) {
                (State::Done, _) => return None,
                (State::Start, Some(b'[')) => {
                    self.reader.consume(1);
                    self.state = State::Element { first: true };
                }
                (State::Start, None) => {
                    self.state = State::Done;
                    return None;
                }
                (State::Start, Some(_)) => {
                    let line = self.line;
                    return fail(
                        self,
                        FormatError::Invalid {
                            line,
                            message: "expected a JSON array ('[')".into(),
                        },
                    );
                }
                (State::Element { first: true } | State::Separator, Some(b']')) => {
                    self.reader.consume(1);
                    self.state = State::Done;
                    return None;
                }
                (State::Separator, Some(b',')) => {
                    self.reader.consume(1);
                    self.state = State::Element { first: false };
                }
                (State::Element { .. }, Some(_)) => {
                    let line = self.line;
                    if let Err(e) = self.read_value() {
                        return fail(self, e);
                    }
                    self.state = State::Separator;
                    return Some(parse(line, &self.element));
                }
                (_, b) => {
                    let line = self.line;
                    let message = match b {
                        None => "the JSON array is not closed".to_string(),
                        Some(c) => format!("unexpected {:?} between elements", char::from(c)),
                    };
                    return fail(self, FormatError::Invalid { line, message });
                }
            }
        }
    }
}

impl<R: BufRead> JsonArrayReader<R> {
    /// Reads the next record straight into `sink` (see [`RowSink`]); `Ok(false)` for a
    /// repeated vote.
    pub fn next_row(&mut self, sink: &mut RowSink) -> Option<Result<bool, FormatError>> {
        self.next_with(|line, bytes| sink.push_json(line, bytes))
    }
}

impl<R: BufRead> Iterator for JsonArrayReader<R> {
    type Item = Result<VoteRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(|line, bytes| {
            serde_json::from_slice::<VoteRecord>(bytes).map_err(|e| json_error(line, &e))
        })
    }
}

/// Writes records as a JSON array, one element per line, streaming.
#[derive(Debug)]
pub struct JsonArrayWriter<W: Write> {
    w: W,
    count: u64,
}

impl<W: Write> JsonArrayWriter<W> {
    pub fn new(w: W) -> Self {
        JsonArrayWriter { w, count: 0 }
    }

    /// Writes any serialisable element.
    pub fn write<T: serde::Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        self.w
            .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.w, value)?;
        self.count += 1;
        Ok(())
    }

    /// Closes the array and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.w
            .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = r#"{"model_a":"a","model_b":"b","winner":"model_b","conversation_a":[{"role":"user","content":"a [tricky] \"string\", with {braces}\n"}]}"#;

    #[test]
    fn streams_elements_through_tiny_buffers() {
        let text = format!("\u{feff} [\n  {REC},\n  {REC}\n]\n");
        for cap in [1, 2, 3, 7, 64, 4096] {
            let r = std::io::BufReader::with_capacity(cap, text.as_bytes());
            let out: Vec<_> = JsonArrayReader::new(r).collect::<Result<_, _>>().unwrap();
            assert_eq!(out.len(), 2, "capacity {cap}");
            assert!(out[1].conversation_a[0].content.contains("{braces}"));
        }
    }

    #[test]
    fn errors_carry_the_line_of_the_element() {
        let text = format!("[\n{REC},\n{{\"model_a\":1}},\n{REC}\n]");
        let out: Vec<_> = JsonArrayReader::new(text.as_bytes()).collect();
        assert_eq!(out.len(), 3);
        assert!(out[0].is_ok());
        assert!(
            matches!(out[1], Err(FormatError::Json { line: 3, .. })),
            "{:?}",
            out[1]
        );
        assert!(out[2].is_ok(), "reading goes on after a bad element");
    }

    #[test]
    fn empty_and_broken_arrays() {
        assert_eq!(JsonArrayReader::new(&b" [ ] "[..]).count(), 0);
        let out: Vec<_> = JsonArrayReader::new(format!("[{REC}").as_bytes()).collect();
        assert!(matches!(out.last(), Some(Err(FormatError::Invalid { .. }))));
        let out: Vec<_> = JsonArrayReader::new(&b"{}"[..]).collect();
        assert!(matches!(out[0], Err(FormatError::Invalid { line: 1, .. })));
    }

    #[test]
    fn writer_output_reads_back() {
        let r: VoteRecord = serde_json::from_str(REC).unwrap();
        let mut w = JsonArrayWriter::new(Vec::new());
        w.write(&r).unwrap();
        w.write(&r).unwrap();
        let bytes = w.finish().unwrap();
        let back: Vec<VoteRecord> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, vec![r.clone(), r]);
        let empty = JsonArrayWriter::new(Vec::new()).finish().unwrap();
        assert_eq!(
            serde_json::from_slice::<Vec<VoteRecord>>(&empty).unwrap(),
            vec![]
        );
    }
}
