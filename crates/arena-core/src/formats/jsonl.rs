//! JSON lines: one record per line (Arena's records or FastChat's clean battles).

use std::io::{BufRead, Write};

use super::rows::RowSink;
use super::{FormatError, json_error};
use crate::record::VoteRecord;

/// Streams records from JSON lines; blank lines are skipped.
#[derive(Debug)]
pub struct JsonlReader<R> {
    reader: R,
    line: u64,
    buf: String,
    done: bool,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(reader: R) -> Self {
        JsonlReader {
            reader,
            line: 0,
            buf: String::new(),
            done: false,
        }
    }
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads the next non-blank line and hands its text to `parse`.
    fn next_with<T>(
        &mut self,
        parse: impl FnOnce(u64, &str) -> Result<T, FormatError>,
    ) -> Option<Result<T, FormatError>> {
        while !self.done {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    let text = self.buf.trim_start_matches('\u{feff}').trim();
                    if text.is_empty() {
                        continue;
                    }
                    return Some(parse(self.line, text));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(FormatError::Read {
                        line: self.line,
                        message: e.to_string(),
                    }));
                }
            }
        }
        None
    }

    /// Reads the next record straight into `sink` (see [`RowSink`]); `Ok(false)` for a
    /// repeated vote.
    pub fn next_row(&mut self, sink: &mut RowSink) -> Option<Result<bool, FormatError>> {
        self.next_with(|line, text| sink.push_json(line, text.as_bytes()))
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<VoteRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(|line, text| {
            serde_json::from_str::<VoteRecord>(text).map_err(|e| json_error(line, &e))
        })
    }
}

/// Writes one record as a JSON line.
pub fn write_record(w: &mut impl Write, record: &VoteRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, record)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Winner;

    #[test]
    fn reads_lines_and_reports_line_numbers() {
        let text = "{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_a\"}\n\n{oops}\n{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_c\"}\r\n{\"model_a\":\"b\",\"model_b\":\"a\",\"winner\":\"both_bad\"}";
        let out: Vec<_> = JsonlReader::new(text.as_bytes()).collect();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].as_ref().unwrap().winner, Winner::ModelA);
        assert!(matches!(out[1], Err(FormatError::Json { line: 3, .. })));
        assert_eq!(
            out[2],
            Err(FormatError::UnknownWinner {
                line: 4,
                label: "\"model_c\"".into()
            })
        );
        assert_eq!(out[3].as_ref().unwrap().winner, Winner::TieBothBad);
    }

    #[test]
    fn round_trips_a_record() {
        let r: VoteRecord = serde_json::from_str(
            r#"{"id":"0190","model_a":"a","model_b":"b","winner":"tie","flags":["identity_leak"]}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        write_record(&mut out, &r).unwrap();
        let back: Vec<_> = JsonlReader::new(&out[..])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, vec![r]);
    }
}
