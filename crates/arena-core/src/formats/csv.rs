//! CSV: Arena's battle-field CSV (read and write) and the Kaggle "arena human preference"
//! CSV (read), told apart by the header.
//!
//! Battle CSV: a header row naming any of the record fields; `model_a`, `model_b` and
//! `winner` are required. Scalars are plain (`anony` as `true`/`false`/`1`/`0`);
//! `categories` and `flags` are `;`-separated (or a JSON array); `conversation_a`,
//! `conversation_b`, `conv_metadata`, `dedup_tag` and `category_tag` are JSON-encoded.
//!
//! Kaggle CSV: `id, model_a, model_b, prompt, response_a, response_b, winner_model_a,
//! winner_model_b, winner_tie`, where `prompt` and the responses are JSON-encoded lists of
//! strings (one per turn; `null` entries read as empty), and exactly one winner column is 1.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use super::FormatError;
use super::rows::RowSink;
use crate::record::{Message, VoteRecord, Winner};

/// Battle CSV columns, in the order the writer uses.
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "question_id",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "turn",
    "anony",
    "language",
    "tstamp",
    "arena_id",
    "categories",
    "flags",
    "app_version",
    "conversation_a",
    "conversation_b",
    "conv_metadata",
    "dedup_tag",
    "category_tag",
];

/// The Kaggle columns.
pub const KAGGLE_COLUMNS: [&str; 9] = [
    "id",
    "model_a",
    "model_b",
    "prompt",
    "response_a",
    "response_b",
    "winner_model_a",
    "winner_model_b",
    "winner_tie",
];

/// Position of each of [`CSV_COLUMNS`] (then `schema`) in the header, looked up once.
type ColumnIndex = [Option<usize>; CSV_COLUMNS.len() + 1];

/// Indices into [`ColumnIndex`].
mod col {
    pub const ID: usize = 0;
    pub const QUESTION_ID: usize = 1;
    pub const MODEL_A: usize = 2;
    pub const MODEL_B: usize = 3;
    pub const WINNER: usize = 4;
    pub const JUDGE: usize = 5;
    pub const TURN: usize = 6;
    pub const ANONY: usize = 7;
    pub const LANGUAGE: usize = 8;
    pub const TSTAMP: usize = 9;
    pub const ARENA_ID: usize = 10;
    pub const CATEGORIES: usize = 11;
    pub const FLAGS: usize = 12;
    pub const APP_VERSION: usize = 13;
    pub const CONVERSATION_A: usize = 14;
    pub const CONVERSATION_B: usize = 15;
    pub const CONV_METADATA: usize = 16;
    pub const DEDUP_TAG: usize = 17;
    pub const CATEGORY_TAG: usize = 18;
    pub const SCHEMA: usize = 19;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Battle,
    Kaggle,
}

/// Streams records from a battle CSV or a Kaggle CSV.
#[derive(Debug)]
pub struct CsvReader<R> {
    inner: ::csv::Reader<R>,
    columns: Option<(Shape, HashMap<String, usize>, Box<ColumnIndex>)>,
    row: ::csv::StringRecord,
    done: bool,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(reader: R) -> Self {
        CsvReader {
            inner: ::csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(reader),
            columns: None,
            row: ::csv::StringRecord::new(),
            done: false,
        }
    }

    fn header(&mut self) -> Result<(), FormatError> {
        let h = self.inner.headers().map_err(|e| FormatError::Invalid {
            line: 1,
            message: format!("bad CSV header: {e}"),
        })?;
        let map: HashMap<String, usize> = h
            .iter()
            .enumerate()
            .map(|(i, n)| (n.trim().trim_start_matches('\u{feff}').to_string(), i))
            .collect();
        let shape = if map.contains_key("winner_model_a") {
            Shape::Kaggle
        } else {
            Shape::Battle
        };
        let required: &[&str] = match shape {
            Shape::Kaggle => &KAGGLE_COLUMNS[1..],
            Shape::Battle => &["model_a", "model_b", "winner"],
        };
        if let Some(missing) = required.iter().find(|c| !map.contains_key(**c)) {
            return Err(FormatError::Invalid {
                line: 1,
                message: format!("CSV header lacks the column {missing:?}"),
            });
        }
        let mut index: ColumnIndex = [None; CSV_COLUMNS.len() + 1];
        for (i, name) in CSV_COLUMNS.iter().chain(&["schema"]).enumerate() {
            index[i] = map.get(*name).copied();
        }
        self.columns = Some((shape, map, Box::new(index)));
        Ok(())
    }
}

impl<R: BufRead> CsvReader<R> {
    /// Reads the next row and hands it to `battle` or `kaggle` by the file's shape.
    fn next_with<T>(
        &mut self,
        battle: impl FnOnce(u64, &Row) -> Result<T, FormatError>,
        kaggle: impl FnOnce(u64, &Row) -> Result<T, FormatError>,
    ) -> Option<Result<T, FormatError>> {
        if self.done {
            return None;
        }
        if self.columns.is_none()
            && let Err(e) = self.header()
        {
            self.done = true;
            return Some(Err(e));
        }
        let line = self.inner.position().line() + 1;
        match self.inner.read_record(&mut self.row) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = self.row.position().map_or(line, ::csv::Position::line);
                let (shape, cols, index) = self.columns.as_ref()?;
                let row = Row {
                    cols,
                    index,
                    record: &self.row,
                };
                Some(match shape {
                    Shape::Battle => battle(line, &row),
                    Shape::Kaggle => kaggle(line, &row),
                })
            }
            Err(e) => {
                let line = e.position().map_or(line, ::csv::Position::line);
                // A broken quote or UTF-8 error: skip to the next row on the next call.
                Some(Err(FormatError::Invalid {
                    line,
                    message: format!("bad CSV row: {e}"),
                }))
            }
        }
    }

    /// Reads the next record straight into `sink` (see [`RowSink`]); `Ok(false)` for a
    /// repeated vote.
    pub fn next_row(&mut self, sink: &mut RowSink) -> Option<Result<bool, FormatError>> {
        // Both closures need the sink; only one of them runs.
        let sink = std::cell::RefCell::new(sink);
        self.next_with(
            |line, row| {
                let f = battle_fields(line, row)?;
                Ok(sink.borrow_mut().push_csv(f))
            },
            |line, row| Ok(sink.borrow_mut().push_record(&kaggle_row(line, row)?)),
        )
    }
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<VoteRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(
            |line, row| battle_fields(line, row).map(BattleFields::into_record),
            kaggle_row,
        )
    }
}

/// One data row with its header map.
struct Row<'a> {
    cols: &'a HashMap<String, usize>,
    index: &'a ColumnIndex,
    record: &'a ::csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The named column's value, empty when the column is absent.
    fn get(&self, name: &str) -> &'a str {
        self.cols
            .get(name)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    /// A battle column's value by its [`col`] index, empty when the column is absent.
    fn col(&self, c: usize) -> &'a str {
        self.index[c].and_then(|i| self.record.get(i)).unwrap_or("")
    }
}

fn invalid(line: u64, message: String) -> FormatError {
    FormatError::Invalid { line, message }
}

fn json_field<T: serde::de::DeserializeOwned>(
    line: u64,
    name: &str,
    value: &str,
) -> Result<Option<T>, FormatError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(value)
        .map(Some)
        .map_err(|e| invalid(line, format!("column {name}: invalid JSON: {e}")))
}

fn list_field(line: u64, name: &str, value: &str) -> Result<Vec<String>, FormatError> {
    let v = value.trim();
    if v.starts_with('[') {
        return Ok(json_field(line, name, v)?.unwrap_or_default());
    }
    Ok(v.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// A battle-CSV row, validated: the text fields borrowed from the row, the rest parsed.
pub(crate) struct BattleFields<'a> {
    pub id: &'a str,
    pub schema: Option<u32>,
    pub arena_id: &'a str,
    pub question_id: &'a str,
    pub model_a: &'a str,
    pub model_b: &'a str,
    pub winner: Winner,
    pub judge: &'a str,
    pub turn: u32,
    pub anony: bool,
    pub language: &'a str,
    pub tstamp: f64,
    pub categories: Vec<String>,
    pub flags: Vec<String>,
    pub app_version: &'a str,
    pub conversation_a: Vec<Message>,
    pub conversation_b: Vec<Message>,
    pub conv_metadata: Option<serde_json::Value>,
    pub dedup_tag: Option<serde_json::Value>,
    pub category_tag: Option<serde_json::Value>,
}

impl BattleFields<'_> {
    fn into_record(self) -> VoteRecord {
        VoteRecord {
            id: self.id.to_string(),
            schema: self.schema,
            arena_id: self.arena_id.to_string(),
            question_id: self.question_id.to_string(),
            model_a: self.model_a.to_string(),
            model_b: self.model_b.to_string(),
            winner: self.winner,
            judge: self.judge.to_string(),
            conversation_a: self.conversation_a,
            conversation_b: self.conversation_b,
            turn: self.turn,
            anony: self.anony,
            language: self.language.to_string(),
            tstamp: self.tstamp,
            conv_metadata: self.conv_metadata,
            dedup_tag: self.dedup_tag,
            category_tag: self.category_tag,
            categories: self.categories,
            flags: self.flags,
            app_version: self.app_version.to_string(),
        }
    }
}

fn battle_fields<'a>(line: u64, row: &Row<'a>) -> Result<BattleFields<'a>, FormatError> {
    let label = row.col(col::WINNER).trim();
    let winner = Winner::from_label(label).ok_or_else(|| FormatError::UnknownWinner {
        line,
        label: format!("{label:?}"),
    })?;
    let model_a = row.col(col::MODEL_A).trim();
    let model_b = row.col(col::MODEL_B).trim();
    if model_a.is_empty() || model_b.is_empty() {
        return Err(invalid(
            line,
            "model_a and model_b must not be empty".into(),
        ));
    }
    let turn = match row.col(col::TURN).trim() {
        "" => 1,
        t => t
            .parse()
            .map_err(|_| invalid(line, format!("column turn: not a count: {t:?}")))?,
    };
    let anony = match row.col(col::ANONY).trim() {
        "" | "true" | "1" => true,
        "false" | "0" => false,
        other => match other.to_ascii_lowercase().as_str() {
            "true" | "yes" => true,
            "false" | "no" => false,
            other => {
                return Err(invalid(
                    line,
                    format!("column anony: not a boolean: {other:?}"),
                ));
            }
        },
    };
    let tstamp = match row.col(col::TSTAMP).trim() {
        "" => 0.0,
        t => t
            .parse()
            .map_err(|_| invalid(line, format!("column tstamp: not a number: {t:?}")))?,
    };
    let schema = match row.col(col::SCHEMA).trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| invalid(line, format!("column schema: not a number: {s:?}")))?,
        ),
    };
    Ok(BattleFields {
        id: row.col(col::ID).trim(),
        schema,
        arena_id: row.col(col::ARENA_ID),
        question_id: row.col(col::QUESTION_ID),
        model_a,
        model_b,
        winner,
        judge: row.col(col::JUDGE),
        conversation_a: json_field(line, "conversation_a", row.col(col::CONVERSATION_A))?
            .unwrap_or_default(),
        conversation_b: json_field(line, "conversation_b", row.col(col::CONVERSATION_B))?
            .unwrap_or_default(),
        turn,
        anony,
        language: row.col(col::LANGUAGE),
        tstamp,
        conv_metadata: json_field(line, "conv_metadata", row.col(col::CONV_METADATA))?,
        dedup_tag: json_field(line, "dedup_tag", row.col(col::DEDUP_TAG))?,
        category_tag: json_field(line, "category_tag", row.col(col::CATEGORY_TAG))?,
        categories: list_field(line, "categories", row.col(col::CATEGORIES))?,
        flags: list_field(line, "flags", row.col(col::FLAGS))?,
        app_version: row.col(col::APP_VERSION),
    })
}

fn kaggle_row(line: u64, row: &Row) -> Result<VoteRecord, FormatError> {
    let flag = |name: &str| -> Result<bool, FormatError> {
        match row.get(name).trim() {
            "1" | "1.0" | "true" | "True" => Ok(true),
            "0" | "0.0" | "false" | "False" | "" => Ok(false),
            other => Err(invalid(
                line,
                format!("column {name}: expected 0 or 1, got {other:?}"),
            )),
        }
    };
    let winner = match (
        flag("winner_model_a")?,
        flag("winner_model_b")?,
        flag("winner_tie")?,
    ) {
        (true, false, false) => Winner::ModelA,
        (false, true, false) => Winner::ModelB,
        (false, false, true) => Winner::Tie,
        (a, b, t) => {
            return Err(FormatError::UnknownWinner {
                line,
                label: format!(
                    "winner_model_a={}, winner_model_b={}, winner_tie={} (exactly one must be 1)",
                    u8::from(a),
                    u8::from(b),
                    u8::from(t)
                ),
            });
        }
    };
    let texts = |name: &str| -> Result<Vec<String>, FormatError> {
        let v: Vec<Option<String>> = json_field(line, name, row.get(name))?.unwrap_or_default();
        Ok(v.into_iter().map(Option::unwrap_or_default).collect())
    };
    let (prompt, ra, rb) = (texts("prompt")?, texts("response_a")?, texts("response_b")?);
    let conversation = |resp: &[String]| -> Vec<Message> {
        let mut c = Vec::with_capacity(prompt.len() * 2);
        for (i, p) in prompt.iter().enumerate() {
            c.push(Message::user(p.clone()));
            if let Some(r) = resp.get(i) {
                c.push(Message::assistant(r.clone()));
            }
        }
        c
    };
    let id = row.get("id").trim().to_string();
    Ok(VoteRecord {
        question_id: id.clone(),
        id,
        schema: None,
        arena_id: String::new(),
        model_a: row.get("model_a").trim().to_string(),
        model_b: row.get("model_b").trim().to_string(),
        winner,
        judge: String::new(),
        conversation_a: conversation(&ra),
        conversation_b: conversation(&rb),
        turn: u32::try_from(prompt.len().max(1)).unwrap_or(u32::MAX),
        anony: true,
        language: String::new(),
        tstamp: 0.0,
        conv_metadata: None,
        dedup_tag: None,
        category_tag: None,
        categories: Vec::new(),
        flags: Vec::new(),
        app_version: String::new(),
    })
}

/// Writes records as battle CSV.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    inner: ::csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Starts a CSV with the header row.
    pub fn new(w: W) -> Result<Self, ::csv::Error> {
        let mut inner = ::csv::Writer::from_writer(w);
        inner.write_record(CSV_COLUMNS)?;
        Ok(CsvWriter { inner })
    }

    pub fn write(&mut self, r: &VoteRecord) -> Result<(), ::csv::Error> {
        let json = |v: &Option<serde_json::Value>| {
            v.as_ref().map_or_else(String::new, ToString::to_string)
        };
        let conv = |c: &Vec<Message>| {
            if c.is_empty() {
                String::new()
            } else {
                serde_json::to_string(c).unwrap_or_default()
            }
        };
        let fields: [String; 19] = [
            r.id.clone(),
            r.question_id.clone(),
            r.model_a.clone(),
            r.model_b.clone(),
            r.winner.label().to_string(),
            r.judge.clone(),
            r.turn.to_string(),
            r.anony.to_string(),
            r.language.clone(),
            r.tstamp.to_string(),
            r.arena_id.clone(),
            r.categories.join(";"),
            r.flags.join(";"),
            r.app_version.clone(),
            conv(&r.conversation_a),
            conv(&r.conversation_b),
            json(&r.conv_metadata),
            json(&r.dedup_tag),
            json(&r.category_tag),
        ];
        self.inner.write_record(&fields)
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> Result<W, ::csv::Error> {
        self.inner
            .into_inner()
            .map_err(|e| ::csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battle_csv_reads_with_line_numbers() {
        let text = "model_a,model_b,winner,turn,anony,categories,conversation_a\n\
                    a,b,model_a,1,true,coding;math,\"[{\"\"role\"\":\"\"user\"\",\"\"content\"\":\"\"hi\\nthere\"\"},\n{\"\"role\"\":\"\"assistant\"\",\"\"content\"\":\"\"x\"\"}]\"\n\
                    a,b,model_z,1,true,,\n\
                    b,a,tie (bothbad),2,0,,\n";
        let out: Vec<_> = CsvReader::new(text.as_bytes()).collect();
        assert_eq!(out.len(), 3);
        let r = out[0].as_ref().unwrap();
        assert_eq!(r.categories, vec!["coding", "math"]);
        assert_eq!(r.conversation_a[0].content, "hi\nthere");
        // The quoted newline makes the next record start on line 4.
        assert!(
            matches!(out[1], Err(FormatError::UnknownWinner { line: 4, .. })),
            "{:?}",
            out[1]
        );
        let r = out[2].as_ref().unwrap();
        assert_eq!((r.winner, r.turn, r.anony), (Winner::TieBothBad, 2, false));
    }

    #[test]
    fn missing_required_column_is_an_error() {
        let out: Vec<_> = CsvReader::new(&b"model_a,model_b\nx,y\n"[..]).collect();
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], Err(FormatError::Invalid { line: 1, .. })));
    }

    #[test]
    fn kaggle_rows_become_conversations() {
        let text = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n\
                    30192,gpt-4-1106-preview,gpt-4-0613,\"[\"\"Hi\"\",\"\"More?\"\"]\",\"[\"\"A1\"\",\"\"A2\"\"]\",\"[\"\"B1\"\",null]\",1,0,0\n\
                    53567,koala-13b,gpt-4-0613,\"[\"\"x\"\"]\",\"[\"\"y\"\"]\",\"[\"\"z\"\"]\",0,0,1\n\
                    65089,a,b,\"[\"\"x\"\"]\",\"[\"\"y\"\"]\",\"[\"\"z\"\"]\",1,1,0\n";
        let out: Vec<_> = CsvReader::new(text.as_bytes()).collect();
        let r = out[0].as_ref().unwrap();
        assert_eq!(r.id, "30192");
        assert_eq!(r.winner, Winner::ModelA);
        assert_eq!(r.turn, 2);
        assert_eq!(r.conversation_a.len(), 4);
        assert_eq!(r.conversation_b[3].content, "");
        assert_eq!(out[1].as_ref().unwrap().winner, Winner::Tie);
        assert!(matches!(
            out[2],
            Err(FormatError::UnknownWinner { line: 4, .. })
        ));
    }

    #[test]
    fn written_csv_reads_back() {
        let r: VoteRecord = serde_json::from_str(
            r#"{"id":"x1","model_a":"a,1","model_b":"b\"q","winner":"tie","turn":1,"anony":false,
            "tstamp":1.5,"categories":["coding"],"flags":["identity_leak"],
            "conversation_a":[{"role":"user","content":"line\nbreak, comma"}],
            "conv_metadata":{"sum_user_tokens":3}}"#,
        )
        .unwrap();
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        w.write(&r).unwrap();
        let bytes = w.finish().unwrap();
        let back: Vec<_> = CsvReader::new(&bytes[..])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, vec![r]);
    }
}
