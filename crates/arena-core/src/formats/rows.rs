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
    /// For a chunk, each row's own key (parallel chunks are pooled when they are joined)...
    row_keys: Option<Vec<u128>>,
    /// ...and the few second keys, by row.
    second_keys: Vec<(usize, u128)>,
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
            second_keys: Vec::new(),
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
        let heavy = self.fill_heavy(
            f.conversation_a,
            f.conversation_b,
            f.conv_metadata,
            f.dedup_tag,
            f.category_tag,
        );
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
        let heavy = self.fill_heavy(
            v.conversation_a,
            v.conversation_b,
            v.conv_metadata.map(|m| m.0),
            v.dedup_tag,
            v.category_tag.map(|t| t.0),
        );
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

    /// Puts a vote's heavy fields into the reused record; false (nothing stored) when it has
    /// none, the common case.
    fn fill_heavy(
        &mut self,
        conversation_a: Vec<Message>,
        conversation_b: Vec<Message>,
        conv_metadata: Option<serde_json::Value>,
        dedup_tag: Option<serde_json::Value>,
        category_tag: Option<serde_json::Value>,
    ) -> bool {
        if conversation_a.is_empty()
            && conversation_b.is_empty()
            && conv_metadata.is_none()
            && dedup_tag.is_none()
            && category_tag.is_none()
        {
            return false;
        }
        let h = &mut self.heavy;
        h.conversation_a = conversation_a;
        h.conversation_b = conversation_b;
        h.conv_metadata = conv_metadata;
        h.dedup_tag = dedup_tag;
        h.category_tag = category_tag;
        true
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
            if key.1 != 0 {
                self.second_keys.push((keys.len(), key.1));
            }
            keys.push(key.0);
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
        let mut second = chunk.second_keys.iter().peekable();
        let keep: Vec<bool> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let extra = second.next_if(|(row, _)| *row == i).map_or(0, |(_, c)| *c);
                insert(&mut self.keys, (k, extra))
            })
            .collect();
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
    #[serde(default = "crate::record::one")]
    turn: u32,
    #[serde(default = "crate::record::yes")]
    anony: bool,
    #[serde(default, borrow)]
    language: Cow<'a, str>,
    #[serde(default)]
    tstamp: f64,
    #[serde(default)]
    conv_metadata: Option<CompactMeta>,
    #[serde(default)]
    dedup_tag: Option<serde_json::Value>,
    #[serde(default)]
    category_tag: Option<CompactTags>,
    #[serde(default, borrow)]
    categories: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    flags: Vec<Cow<'a, str>>,
    #[allow(dead_code)]
    #[serde(default, borrow)]
    app_version: Cow<'a, str>,
}

/// The visits of a JSON value that is not an object, for the visitors below that reduce
/// objects: the value is consumed (arrays element by element) and `$value` returned.
/// `numbers` adds the number visits, for visitors that do not read numbers themselves.
macro_rules! not_an_object {
    (numbers, $value:expr) => {
        not_an_object!($value);
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    ($value:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut s: A,
        ) -> Result<Self::Value, A::Error> {
            while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($value)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// An object key, borrowed from the input unless it holds escapes (`Cow<str>`'s own
/// `Deserialize` always copies).
struct JsonKey<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for JsonKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<JsonKey<'de>, E> {
                Ok(JsonKey(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<JsonKey<'de>, E> {
                Ok(JsonKey(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The keys of `conv_metadata` the ratings read (`style::record_style_counts`,
/// `categories::prompt_tokens`); FastChat's records carry a dozen more.
const STYLE_KEYS: [&str; 8] = [
    "sum_assistant_a_tokens",
    "header_count_a",
    "list_count_a",
    "bold_count_a",
    "sum_assistant_b_tokens",
    "header_count_b",
    "list_count_b",
    "bold_count_b",
];

/// `conv_metadata` reduced while it is parsed to what the ratings read of it: the style
/// keys, a nested count object already summed as `style::meta_sum` sums it (in key order, the
/// last of repeated keys winning), and `sum_user_tokens`; other keys are skipped unbuilt.
/// Reads the same (`Value::get`, `as_f64`) as the full value for every key the ratings ask
/// for, and any JSON is accepted, as `Option<Value>` accepts it. Hand-written because a
/// FastChat record's metadata as a `Value` was a third of the read (BTreeMap nodes and keys).
struct CompactMeta(serde_json::Value);

impl<'de> Deserialize<'de> for CompactMeta {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MetaVisitor).map(CompactMeta)
    }
}

struct MetaVisitor;

impl<'de> serde::de::Visitor<'de> for MetaVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(JsonKey(k)) = m.next_key::<JsonKey<'de>>()? {
            if STYLE_KEYS.contains(&&*k) {
                let v = m.next_value::<SummedCounts>()?.0;
                out.insert(k.into_owned(), v);
            } else if k == "sum_user_tokens" {
                let v: serde_json::Value = m.next_value()?;
                out.insert(k.into_owned(), v);
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
                // A later repeat of a read key replaced an earlier one; an unread key
                // replaces nothing that is read.
            }
        }
        Ok(serde_json::Value::Object(out))
    }

    // Anything but an object: no key is found in it, as in a `Value` that is not an object.
    not_an_object!(numbers, serde_json::Value::Null);
}

/// One style value of `conv_metadata`: a number as it is, an object as the sum of its number
/// values, anything else as `null` (`meta_sum` reads none of it).
struct SummedCounts(serde_json::Value);

impl<'de> Deserialize<'de> for SummedCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: MaybeCounts = d.deserialize_any(CountsVisitor)?;
        Ok(SummedCounts(match v {
            MaybeCounts::Number(n) => serde_json::Value::Number(n),
            MaybeCounts::Counts(mut pairs) => {
                // `Map` order (sorted keys), the last of repeated keys winning.
                pairs.reverse();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs.dedup_by(|later, first| later.0 == first.0);
                let values = pairs
                    .iter()
                    .filter_map(|(_, n)| n.as_ref().and_then(serde_json::Number::as_f64));
                let sum: f64 = values.sum();
                match serde_json::Number::from_f64(sum) {
                    Some(n) => serde_json::Value::Number(n),
                    // Beyond f64: keep the numbers, for `meta_sum` to overflow as it would.
                    None => serde_json::Value::Object(
                        pairs
                            .into_iter()
                            .filter_map(|(k, n)| {
                                Some((k.into_owned(), serde_json::Value::Number(n?)))
                            })
                            .collect(),
                    ),
                }
            }
            MaybeCounts::Other => serde_json::Value::Null,
        }))
    }
}

enum MaybeCounts<'de> {
    Number(serde_json::Number),
    /// Each key and its value if it is a number.
    Counts(Vec<(Cow<'de, str>, Option<serde_json::Number>)>),
    Other,
}

struct CountsVisitor;

impl<'de> serde::de::Visitor<'de> for CountsVisitor {
    type Value = MaybeCounts<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(8);
        while let Some(JsonKey(k)) = m.next_key::<JsonKey<'de>>()? {
            let v: serde_json::Value = m.next_value()?;
            let n = match v {
                serde_json::Value::Number(n) => Some(n),
                _ => None,
            };
            pairs.push((k, n));
        }
        Ok(MaybeCounts::Counts(pairs))
    }
    not_an_object!(MaybeCounts::Other);
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(MaybeCounts::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(MaybeCounts::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(MaybeCounts::Other, MaybeCounts::Number))
    }
}

/// `category_tag` reduced while it is parsed to what `RatingRows` reads of it: for each outer
/// key whose value is an object, the inner keys whose value is `true` (the last of repeated
/// keys winning, at both levels, as `Map` has it). Any JSON is accepted.
struct CompactTags(serde_json::Value);

impl<'de> Deserialize<'de> for CompactTags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TagsVisitor).map(CompactTags)
    }
}

struct TagsVisitor;

impl<'de> serde::de::Visitor<'de> for TagsVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(JsonKey(outer)) = m.next_key::<JsonKey<'de>>()? {
            let inner = m.next_value::<TrueKeys>()?.0;
            // A repeated outer key replaces the earlier one (with nothing, if not an object).
            match inner {
                Some(keys) => {
                    let set: serde_json::Map<String, serde_json::Value> = keys
                        .into_iter()
                        .map(|k| (k, serde_json::Value::Bool(true)))
                        .collect();
                    out.insert(outer.into_owned(), serde_json::Value::Object(set));
                }
                None => {
                    out.remove(&*outer);
                }
            }
        }
        Ok(serde_json::Value::Object(out))
    }
    not_an_object!(numbers, serde_json::Value::Null);
}

/// An inner object of `category_tag` as the keys whose (last) value is `true`; `None` when
/// it is not an object.
struct TrueKeys(Option<Vec<String>>);

impl<'de> Deserialize<'de> for TrueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = TrueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<TrueKeys, A::Error> {
                let mut last: Vec<(Cow<'de, str>, bool)> = Vec::with_capacity(8);
                while let Some(JsonKey(k)) = m.next_key::<JsonKey<'de>>()? {
                    let v: serde_json::Value = m.next_value()?;
                    let t = v.as_bool() == Some(true);
                    match last.iter_mut().find(|(key, _)| *key == k) {
                        Some(e) => e.1 = t,
                        None => last.push((k, t)),
                    }
                }
                Ok(TrueKeys(Some(
                    last.into_iter()
                        .filter(|(_, t)| *t)
                        .map(|(k, _)| k.into_owned())
                        .collect(),
                )))
            }
            not_an_object!(numbers, TrueKeys(None));
        }
        d.deserialize_any(V)
    }
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
    #[allow(clippy::too_many_lines)] // one table of inputs, then the same checks per format
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
        // Exact repeats (same content, no id) and repeated ids; late in the file (another
        // chunk), the export of an id-less vote, its id the content id of its own fields.
        recs.extend(recs[..30].to_vec());
        let mut exported = recs[0].clone();
        exported.id = vote_key(&exported);
        recs.push(exported);
        let mut jsonl = Vec::new();
        for r in &recs {
            crate::formats::jsonl::write_record(&mut jsonl, r).unwrap();
        }
        // FastChat metadata as the compact views read it: repeated keys at every level, nested
        // non-numbers, floats, a sum beyond f64, values of the wrong kind.
        for line in [
            r#"{"model_a":"p","model_b":"q","winner":"model_a","conv_metadata":{"sum_user_tokens":700,"sum_assistant_a_tokens":10,"sum_assistant_b_tokens":20.5,"header_count_a":{"h1":1,"h2":2,"h1":5},"header_count_b":{"h1":0},"list_count_a":{"ordered":1,"unordered":"x"},"list_count_b":7,"bold_count_a":{"**":1.7e308,"__":1.7e308},"bold_count_b":{"**":[1],"__":0.25},"context_a_tokens":{"deep":[1,2,{"a":3}]},"sum_assistant_a_tokens":11},"category_tag":{"math_v0.1":{"math":true,"math":false},"if_v0.1":{"if":true},"if_v0.1":3,"criteria_v0.1":{"specificity":true,"creativity":"yes","real\u005fworld":true}},"dedup_tag":{"sampled":true}}"#,
            r#"{"model_a":"p","model_b":"q","winner":"tie","conv_metadata":"none","category_tag":[1,2]}"#,
            r#"{"model_a":"q","model_b":"p","winner":"model_b","conv_metadata":null,"category_tag":null,"turn":2}"#,
            r#"{"model_a":"q","model_b":"p","winner":"model_b","conv_metadata":{"sum_user_tokens":{"x":900},"header_count_a":{}},"category_tag":{"a":{"b":true},"a":{"c":true}}}"#,
            r#"{"model_a":"q","model_b":"p","winner":"tie","conv_metadata":{"sum_user_tokens":600,"sum_assistant_a_tokens":1,"header_count_a":0,"list_count_a":0,"bold_count_a":0,"sum_assistant_b_tokens":2,"header_count_b":{"h\u0031":3},"list_count_b":[],"bold_count_b":0}}"#,
        ] {
            jsonl.extend_from_slice(line.as_bytes());
            jsonl.push(b'\n');
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
