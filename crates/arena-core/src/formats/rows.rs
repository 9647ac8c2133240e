//! Reading votes straight into rating rows, for the ratings path.
//!
//! Every reader (`RecordReader::next_row`) can hand each vote to a [`RowSink`] instead of
//! building a [`VoteRecord`]: JSON is parsed into a borrowed view whose text fields point into
//! the input (only conversations and FastChat's metadata, when present, are built), CSV rows
//! are validated in place. The validation and the error messages are the record readers'
//! own (same code for CSV, same field types for JSON), so a file is accepted or rejected, line
//! for line, exactly as before.
//!
//! The sink also pools: a vote whose key was seen is counted and dropped, as
//! [`super::pool::Pool`] does with [`super::pool::vote_key`], but with 128-bit keys rather
//! than strings: a canonical UUID id is its own value, any other id its SHA-1, and a record
//! without an id is keyed by the XXH3-128 of the fields its content id is made of (rather
//! than by that UUIDv5: SHA-1 was a tenth of the read). A record whose version-5 id is the
//! content id of its own fields (a FastChat record exported after import) carries both keys,
//! so it pools with the id-less original as it did.

use std::borrow::Cow;
use std::io::Write as _;

use rustc_hash::FxHashSet;
use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::csv::BattleFields;
use super::{FormatError, json_error};
use crate::ratings::rows::{RatingRows, Scalars};
use crate::record::{Message, VoteRecord, Winner};

/// A vote's pooling keys: its own, and for a record whose id is the content id of its own
/// fields, that content's key too (0: none).
type Key = (u128, u128);

/// Rows being read, with the keys of the votes seen so far.
#[derive(Debug)]
pub struct RowSink {
    pub rows: RatingRows,
    keys: FxHashSet<u128>,
    /// For a chunk, each row's keys (parallel chunks are pooled when they are joined).
    row_keys: Option<Vec<Key>>,
    /// A reused record holding the heavy fields of the vote being pushed.
    heavy: VoteRecord,
    key_buf: Vec<u8>,
    /// Votes offered, and those dropped as repeats.
    pub read: u64,
    pub duplicates: u64,
}

impl RowSink {
    /// An empty sink; `style` keeps style counts (see [`RatingRows::new`]).
    pub fn new(style: bool) -> Self {
        RowSink {
            rows: RatingRows::new(style),
            keys: FxHashSet::default(),
            row_keys: None,
            heavy: crate::ratings::rows::bare_record(),
            key_buf: Vec::with_capacity(128),
            read: 0,
            duplicates: 0,
        }
    }

    /// A sink for one chunk of input that is later [`RowSink::append`]ed to another.
    pub fn chunk(style: bool) -> Self {
        RowSink {
            row_keys: Some(Vec::new()),
            ..RowSink::new(style)
        }
    }

    pub fn into_rows(self) -> RatingRows {
        self.rows
    }

    /// Room for `n` more votes.
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve(n);
        match &mut self.row_keys {
            Some(k) => k.reserve(n),
            None => self.keys.reserve(n),
        }
    }

    /// Pushes a whole record; false when its vote was seen.
    pub fn push_record(&mut self, r: &VoteRecord) -> bool {
        let key = self.key(
            &r.id,
            &r.question_id,
            &r.model_a,
            &r.model_b,
            r.winner,
            &r.judge,
            r.tstamp,
        );
        if !self.fresh(key) {
            return false;
        }
        self.rows.push_record(r);
        true
    }

    pub(crate) fn push_csv(&mut self, f: BattleFields) -> bool {
        let key = self.key(
            f.id,
            f.question_id,
            f.model_a,
            f.model_b,
            f.winner,
            f.judge,
            f.tstamp,
        );
        if !self.fresh(key) {
            return false;
        }
        let heavy = !(f.conversation_a.is_empty()
            && f.conversation_b.is_empty()
            && f.conv_metadata.is_none()
            && f.dedup_tag.is_none()
            && f.category_tag.is_none());
        if heavy {
            let h = &mut self.heavy;
            h.conversation_a = f.conversation_a;
            h.conversation_b = f.conversation_b;
            h.conv_metadata = f.conv_metadata;
            h.dedup_tag = f.dedup_tag;
            h.category_tag = f.category_tag;
        }
        let s = Scalars {
            model_a: f.model_a,
            model_b: f.model_b,
            judge: f.judge,
            language: f.language,
            winner: f.winner,
            tstamp: f.tstamp,
            turn: f.turn,
            anony: f.anony,
        };
        self.rows.push(
            &s,
            f.flags.iter().map(String::as_str),
            f.categories.iter().map(String::as_str),
            &self.heavy,
        );
        if heavy {
            self.clear_heavy();
        }
        true
    }

    /// Parses one JSON record (a JSONL line or an array element) into a row.
    pub(crate) fn push_json(&mut self, line: u64, bytes: &[u8]) -> Result<bool, FormatError> {
        let v: JsonView = serde_json::from_slice(bytes).map_err(|e| json_error(line, &e))?;
        let key = self.key(
            &v.id,
            &v.question_id,
            &v.model_a,
            &v.model_b,
            v.winner,
            &v.judge,
            v.tstamp,
        );
        if !self.fresh(key) {
            return Ok(false);
        }
        let heavy = !(v.conversation_a.is_empty()
            && v.conversation_b.is_empty()
            && v.conv_metadata.is_none()
            && v.dedup_tag.is_none()
            && v.category_tag.is_none());
        let h = &mut self.heavy;
        h.conversation_a = v.conversation_a;
        h.conversation_b = v.conversation_b;
        h.conv_metadata = v.conv_metadata;
        h.dedup_tag = v.dedup_tag;
        h.category_tag = v.category_tag;
        let s = Scalars {
            model_a: &v.model_a,
            model_b: &v.model_b,
            judge: &v.judge,
            language: &v.language,
            winner: v.winner,
            tstamp: v.tstamp,
            turn: v.turn,
            anony: v.anony,
        };
        self.rows.push(
            &s,
            v.flags.iter().map(|f| &**f),
            v.categories.iter().map(|c| &**c),
            &self.heavy,
        );
        if heavy {
            self.clear_heavy();
        }
        Ok(true)
    }

    fn clear_heavy(&mut self) {
        let h = &mut self.heavy;
        h.conversation_a.clear();
        h.conversation_b.clear();
        h.conv_metadata = None;
        h.dedup_tag = None;
        h.category_tag = None;
    }

    /// Counts a vote; false (and counted as a repeat) when its key was seen.
    fn fresh(&mut self, key: Key) -> bool {
        self.read += 1;
        if let Some(keys) = &mut self.row_keys {
            // A chunk keeps every row; repeats are dropped when chunks are joined.
            keys.push(key);
            return true;
        }
        if insert(&mut self.keys, key) {
            true
        } else {
            self.duplicates += 1;
            false
        }
    }

    /// Appends a chunk's rows, in order, dropping the votes already seen here.
    ///
    /// # Panics
    /// When `chunk` was not made with [`RowSink::chunk`].
    pub fn append(&mut self, chunk: &RowSink) {
        let keys = chunk.row_keys.as_ref().expect("a chunk sink");
        self.keys.reserve(keys.len());
        let keep: Vec<bool> = keys.iter().map(|&k| insert(&mut self.keys, k)).collect();
        let repeats = keep.iter().filter(|k| !**k).count() as u64;
        self.read += chunk.read;
        self.duplicates += repeats;
        self.rows.extend_where(&chunk.rows, &keep);
    }

    /// The pooling keys of a vote (module docs).
    #[allow(clippy::too_many_arguments)] // the fields the key is made of
    fn key(
        &mut self,
        id: &str,
        question_id: &str,
        model_a: &str,
        model_b: &str,
        winner: Winner,
        judge: &str,
        tstamp: f64,
    ) -> Key {
        let own = (!id.is_empty()).then(|| id_key(id));
        // A version-5 id may be the content id of these very fields (a FastChat record
        // exported after import): then the vote is also its content's.
        if let Some(k) = own
            && uuid::Uuid::from_u128(k).get_version_num() != 5
        {
            return (k, 0);
        }
        let b = &mut self.key_buf;
        b.clear();
        for part in [question_id, model_a, model_b, winner.label(), judge] {
            b.push(0);
            b.extend_from_slice(part.as_bytes());
        }
        b.push(0);
        // Writing to a Vec cannot fail.
        let _ = write!(b, "{}", tstamp.to_bits());
        let content = xxhash_rust::xxh3::xxh3_128(b) | 1;
        match own {
            None => (content, 0),
            Some(k) if k == content_key(b) => (k, content),
            Some(k) => (k, 0),
        }
    }
}

/// Inserts a vote's keys; false when one of them was seen.
fn insert(keys: &mut FxHashSet<u128>, (own, content): Key) -> bool {
    if content == 0 {
        return keys.insert(own);
    }
    let seen = keys.contains(&own) || keys.contains(&content);
    keys.insert(own);
    keys.insert(content);
    !seen
}

/// The UUIDv5 of `crate::id::content_id`, as a number.
fn content_key(key: &[u8]) -> u128 {
    let digest = Sha1::new()
        .chain_update(crate::id::CONTENT_NAMESPACE.as_bytes())
        .chain_update(key)
        .finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid().as_u128()
}

/// A vote's own id as a key: a canonical (lower-case, hyphenated) UUID is its value; another
/// string, the first 128 bits of its SHA-1 (distinct strings, distinct keys, short of a hash
/// collision).
fn id_key(id: &str) -> u128 {
    let b = id.as_bytes();
    let canonical = b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        });
    if canonical && let Ok(u) = uuid::Uuid::try_parse_ascii(b) {
        return u.as_u128();
    }
    let digest = Sha1::new().chain_update(b"id\0").chain_update(b).finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(bytes)
}

/// A JSON vote record as the ratings read it: [`VoteRecord`]'s fields with the same types
/// and defaults (so the same documents are accepted, with the same errors), text borrowed.
#[derive(Deserialize)]
struct JsonView<'a> {
    #[serde(default, borrow)]
    id: Cow<'a, str>,
    #[allow(dead_code)] // validated as the record path does, not read
    #[serde(default)]
    schema: Option<u32>,
    #[allow(dead_code)]
    #[serde(default, borrow)]
    arena_id: Cow<'a, str>,
    #[serde(default, borrow)]
    question_id: Cow<'a, str>,
    #[serde(borrow)]
    model_a: Cow<'a, str>,
    #[serde(borrow)]
    model_b: Cow<'a, str>,
    winner: Winner,
    #[serde(default, borrow)]
    judge: Cow<'a, str>,
    #[serde(default)]
    conversation_a: Vec<Message>,
    #[serde(default)]
    conversation_b: Vec<Message>,
    #[serde(default = "one")]
    turn: u32,
    #[serde(default = "yes")]
    anony: bool,
    #[serde(default, borrow)]
    language: Cow<'a, str>,
    #[serde(default)]
    tstamp: f64,
    #[serde(default)]
    conv_metadata: Option<serde_json::Value>,
    #[serde(default)]
    dedup_tag: Option<serde_json::Value>,
    #[serde(default)]
    category_tag: Option<serde_json::Value>,
    #[serde(default, borrow)]
    categories: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    flags: Vec<Cow<'a, str>>,
    #[allow(dead_code)]
    #[serde(default, borrow)]
    app_version: Cow<'a, str>,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::pool::vote_key;
    use crate::formats::{Format, RecordReader};

    #[test]
    fn keys_pool_as_vote_key_does() {
        let mut r: VoteRecord = serde_json::from_str(
            r#"{"question_id":"q1","model_a":"a","model_b":"b","winner":"tie","judge":"j","tstamp":1.25}"#,
        )
        .unwrap();
        let mut sink = RowSink::new(false);
        let content = sink.key("", "q1", "a", "b", Winner::Tie, "j", 1.25);
        assert_eq!(content.1, 0);
        assert_ne!(sink.key("", "q1", "a", "b", Winner::Tie, "j", 1.5), content);
        // The export of that record carries its content id: it pools with the record.
        r.id = vote_key(&r);
        let exported = sink.key(&r.id, "q1", "a", "b", Winner::Tie, "j", 1.25);
        assert_eq!(exported, (content_key(&sink.key_buf), content.0));
        let mut keys = FxHashSet::default();
        assert!(insert(&mut keys, content));
        assert!(!insert(&mut keys, exported));
        let mut keys = FxHashSet::default();
        assert!(insert(&mut keys, exported));
        assert!(!insert(&mut keys, content));
        // The same v5 id on other content is still the same vote id.
        let other = sink.key(&r.id, "q2", "a", "b", Winner::Tie, "j", 1.25);
        assert_eq!(other.1, 0);
        assert!(!insert(&mut keys, other));
        // Ids that are not canonical UUIDs are keys of their own.
        assert_ne!(id_key(&r.id.to_uppercase()), exported.0);
        assert_eq!(id_key("vote-7"), id_key("vote-7"));
        assert_ne!(id_key("vote-7"), id_key("vote-8"));
        assert_eq!(
            id_key("018f3a2b-7c4d-7e8f-9a0b-1c2d3e4f5a6b"),
            0x018f_3a2b_7c4d_7e8f_9a0b_1c2d_3e4f_5a6b
        );
    }

    /// Each format's rows equal the rows of its records, repeats dropped the same way, bad
    /// records rejected with the same errors.
    #[test]
    fn rows_read_as_the_records_do() {
        let mut recs = crate::ratings::synthetic::synthetic_battles(200, 6, 2);
        for (i, r) in recs.iter_mut().enumerate() {
            r.language = ["English", "", "Deutsch"][i % 3].into();
            r.judge = format!("j{}", i % 4);
            r.categories = if i % 4 == 0 {
                vec!["Coding".into()]
            } else {
                vec![]
            };
            r.flags = if i % 9 == 0 {
                vec!["identity_leak".into()]
            } else {
                vec![]
            };
            r.id = if i % 2 == 0 {
                String::new()
            } else {
                format!("id-{}", i % 50)
            };
            if i % 5 == 0 {
                r.conversation_a = vec![
                    Message::user(format!("p \"{}\"\n", i % 7)),
                    Message::assistant("# h\n- x"),
                ];
                r.conv_metadata = Some(serde_json::json!({"sum_user_tokens": 900}));
                r.dedup_tag = (i % 10 == 0).then(|| serde_json::json!({"sampled": false}));
                r.category_tag = Some(serde_json::json!({"math_v0.1": {"math": true}}));
            }
        }
        // Exact repeats (same content, no id) and repeated ids.
        recs.extend(recs[..30].to_vec());
        let mut jsonl = Vec::new();
        for r in &recs {
            crate::formats::jsonl::write_record(&mut jsonl, r).unwrap();
        }
        jsonl
            .extend_from_slice(b"\n{\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"model_c\"}\n");
        jsonl.extend_from_slice(b"{\"model_a\":\"x\",\"model_b\":7,\"winner\":\"tie\"}\n");
        jsonl.extend_from_slice(b"{\"model_a\":\"x\",\"winner\":\"tie\",\"schema\":\"v\"}\n");
        let mut array = b"[".to_vec();
        for (i, r) in recs.iter().enumerate() {
            if i > 0 {
                array.push(b',');
            }
            array.extend(serde_json::to_vec(r).unwrap());
        }
        array.extend_from_slice(b",{\"model_a\":\"x\"}]");
        let mut csv = crate::formats::csv::CsvWriter::new(Vec::new()).unwrap();
        for r in &recs {
            csv.write(r).unwrap();
        }
        let mut csv = csv.finish().unwrap();
        csv.extend_from_slice(b"x1,,a,b,model_q,,,,,,,,,,,,,,\nx2,,a,b,tie,,two,,,,,,,,,,,,\n");
        for (format, bytes) in [
            (Format::Jsonl, jsonl),
            (Format::JsonArray, array),
            (Format::Csv, csv),
        ] {
            let mut want = RowSink::new(true);
            let mut want_errors = Vec::new();
            for r in RecordReader::new(&bytes[..], format) {
                match r {
                    Ok(r) => {
                        want.push_record(&r);
                    }
                    Err(e) => want_errors.push(e),
                }
            }
            let mut got = RowSink::new(true);
            let mut got_errors = Vec::new();
            let mut reader = RecordReader::new(&bytes[..], format);
            while let Some(r) = reader.next_row(&mut got) {
                if let Err(e) = r {
                    got_errors.push(e);
                }
            }
            assert!(!want_errors.is_empty(), "{format:?}");
            assert_eq!(got_errors, want_errors, "{format:?}");
            assert_eq!(
                (got.read, got.duplicates),
                (want.read, want.duplicates),
                "{format:?}"
            );
            assert!(got.duplicates >= 30, "{format:?}: {}", got.duplicates);
            assert_eq!(got.rows.rows, want.rows.rows, "{format:?}");
            assert_eq!(got.rows.style, want.rows.style, "{format:?}");
            assert_eq!(
                got.rows.prompts.iter().collect::<Vec<_>>(),
                want.rows.prompts.iter().collect::<Vec<_>>()
            );
            // Read in two chunks and joined: the same rows.
            let mut first = RowSink::chunk(true);
            let mut second = RowSink::chunk(true);
            for (i, r) in RecordReader::new(&bytes[..], format).flatten().enumerate() {
                if i < 100 { &mut first } else { &mut second }.push_record(&r);
            }
            let mut joined = RowSink::new(true);
            joined.append(&first);
            joined.append(&second);
            assert_eq!(joined.rows.rows, want.rows.rows, "{format:?}");
            assert_eq!(joined.duplicates, want.duplicates);
        }
    }
}
