//! JSON lines: one record per line (Arena's records or FastChat's clean battles).

use std::io::{BufRead, Write};

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

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<VoteRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
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
                    return Some(
                        serde_json::from_str::<VoteRecord>(text)
                            .map_err(|e| json_error(self.line, &e)),
                    );
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
