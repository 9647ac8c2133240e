//! Data formats: reading and writing vote records.
//!
//! Readers stream: they take any [`BufRead`] and yield one record at a time, so a 2 GB file
//! is never held in memory whole (JSON arrays included: elements are read one by one).
//! Every error carries the 1-based line number where the bad record starts; the reader
//! keeps going after an error, so the caller decides whether to stop or skip bad lines.
//! The layouts are documented in `docs/data-format.md`.

pub mod csv;
pub mod export;
pub mod json_array;
pub mod jsonl;
pub mod pool;
pub mod rows;

use std::io::BufRead;

use thiserror::Error;

use crate::record::VoteRecord;

/// A record that could not be read.
#[derive(Debug, Error, PartialEq)]
pub enum FormatError {
    #[error("line {line}: invalid JSON record: {message}")]
    Json { line: u64, message: String },
    #[error("line {line}: unknown winner label {label}")]
    UnknownWinner { line: u64, label: String },
    #[error("line {line}: {message}")]
    Invalid { line: u64, message: String },
    #[error("line {line}: read error: {message}")]
    Read { line: u64, message: String },
}

impl FormatError {
    /// The same error, `by` lines further down (for a part of a file read on its own).
    #[must_use]
    pub fn shifted(mut self, by: u64) -> Self {
        match &mut self {
            FormatError::Json { line, .. }
            | FormatError::UnknownWinner { line, .. }
            | FormatError::Invalid { line, .. }
            | FormatError::Read { line, .. } => *line += by,
        }
        self
    }

    /// The 1-based line where the bad record starts.
    pub fn line(&self) -> u64 {
        match self {
            FormatError::Json { line, .. }
            | FormatError::UnknownWinner { line, .. }
            | FormatError::Invalid { line, .. }
            | FormatError::Read { line, .. } => *line,
        }
    }
}

/// Maps a serde error on a record to a [`FormatError`], singling out bad winner labels.
pub(crate) fn json_error(line: u64, e: &serde_json::Error) -> FormatError {
    let message = e.to_string();
    if message.starts_with("unknown variant") {
        let label = message
            .split('`')
            .nth(1)
            .map_or_else(|| message.clone(), |l| format!("{l:?}"));
        FormatError::UnknownWinner { line, label }
    } else {
        FormatError::Json { line, message }
    }
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line: Arena's records or FastChat's clean battles.
    Jsonl,
    /// A JSON array of FastChat clean-battle objects.
    JsonArray,
    /// CSV with the battle fields, or the Kaggle "arena human preference" columns (told
    /// apart by the header).
    Csv,
}

/// Guesses the format from the first bytes of a file: `[` → JSON array, `{` → JSON lines,
/// anything else → CSV.
pub fn detect_format(prefix: &[u8]) -> Format {
    let body = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Format::JsonArray,
        Some(b'{') | None => Format::Jsonl,
        Some(_) => Format::Csv,
    }
}

/// A streaming reader over any of the input formats.
#[derive(Debug)]
pub enum RecordReader<R: BufRead> {
    Jsonl(jsonl::JsonlReader<R>),
    JsonArray(json_array::JsonArrayReader<R>),
    Csv(csv::CsvReader<R>),
}

impl<R: BufRead> RecordReader<R> {
    /// A reader for a known format.
    pub fn new(reader: R, format: Format) -> Self {
        match format {
            Format::Jsonl => RecordReader::Jsonl(jsonl::JsonlReader::new(reader)),
            Format::JsonArray => RecordReader::JsonArray(json_array::JsonArrayReader::new(reader)),
            Format::Csv => RecordReader::Csv(csv::CsvReader::new(reader)),
        }
    }

    /// Detects the format from the buffered start of `reader` (without consuming it).
    pub fn detect(mut reader: R) -> std::io::Result<Self> {
        let format = detect_format(reader.fill_buf()?);
        Ok(Self::new(reader, format))
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<VoteRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RecordReader::Jsonl(r) => r.next(),
            RecordReader::JsonArray(r) => r.next(),
            RecordReader::Csv(r) => r.next(),
        }
    }
}

impl<R: BufRead> RecordReader<R> {
    /// Reads the next record straight into `sink` as a rating row (see [`rows`]); `Ok(false)`
    /// for a repeated vote. Accepts and rejects exactly what [`Iterator::next`] does.
    pub fn next_row(&mut self, sink: &mut rows::RowSink) -> Option<Result<bool, FormatError>> {
        match self {
            RecordReader::Jsonl(r) => r.next_row(sink),
            RecordReader::JsonArray(r) => r.next_row(sink),
            RecordReader::Csv(r) => r.next_row(sink),
        }
    }
}

/// Reads every record of `text`, format detected; the first error stops it.
pub fn read_all(text: &str) -> Result<Vec<VoteRecord>, FormatError> {
    RecordReader::new(text.as_bytes(), detect_format(text.as_bytes())).collect()
}

/// Reads every record of `text`, format detected, skipping bad ones; returns the records and
/// the errors.
pub fn read_lenient(text: &str) -> (Vec<VoteRecord>, Vec<FormatError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in RecordReader::new(text.as_bytes(), detect_format(text.as_bytes())) {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}
