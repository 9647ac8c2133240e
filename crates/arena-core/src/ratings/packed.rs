//! Rating rows packed into bytes: the browser's slim ratings store keeps one such blob per
//! written batch (an import batch, or one vote), so the Leaderboard page and efficient
//! pairing read a few megabytes of rows instead of decoding every record's JSON.
//!
//! Written by hand rather than with a serde format: the rows' name tables, tag sets and the
//! per-row indices are already the compact form, and a decoder that checks every count
//! against the bytes left and every index against its table turns a corrupt blob into an
//! error, never a panic or a huge allocation, with no derive on the interner's internals.
//!
//! Layout (version 1), integers as LEB128 varints unless noted:
//! `ARR1`, rows `n`; five name tables (models, judges, languages, category names, prompt
//! keys), each a count and then `len, UTF-8 bytes` per name; tag sets, a count and then
//! `len, name indices` per set; per row: `tstamp` (f64, 8 bytes LE), `a, b, judge, language,
//! tags, prompt + 1` (0: none), `turn`, winner (1 byte, [`Winner::ALL`] order), flags (1 byte);
//! per row its vote id (1 byte 0 and 16 bytes for a canonical lowercase UUID, else 1 and a
//! string); a style byte (1: counts follow), then 8 numbers per row (`2k` for a whole number
//! `k`, else `1` and 8 bytes of f64).

use std::cmp::Ordering;
use std::fmt::Write as _;

use super::rows::{NO_PROMPT, RatingRow, RatingRows};
use super::style::StyleCounts;
use crate::record::Winner;

const MAGIC: &[u8; 4] = b"ARR1";

/// Why a blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt ratings blob: {0}")]
pub struct PackError(String);

fn bad<T>(what: impl Into<String>) -> Result<T, PackError> {
    Err(PackError(what.into()))
}

/// A vote id, held compactly: a canonical UUID as its 128 bits, anything else as its text.
/// Ordered as the ids' strings are (the votes store's key order), so sorting by
/// (time, [`VoteId`]) gives the store's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VoteId {
    Uuid(u128),
    Other(Box<str>),
}

impl VoteId {
    pub fn new(id: &str) -> VoteId {
        parse_uuid(id).map_or_else(|| VoteId::Other(id.into()), VoteId::Uuid)
    }

    /// The id's text.
    pub fn text(&self) -> String {
        match self {
            VoteId::Uuid(u) => uuid_text(*u),
            VoteId::Other(s) => s.to_string(),
        }
    }
}

impl Ord for VoteId {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Lowercase hex with dashes at fixed places sorts as the number does.
            (VoteId::Uuid(a), VoteId::Uuid(b)) => a.cmp(b),
            (VoteId::Other(a), VoteId::Other(b)) => a.cmp(b),
            _ => self.text().cmp(&other.text()),
        }
    }
}

impl PartialOrd for VoteId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The 128 bits of a canonical lowercase UUID string (`8-4-4-4-12` hex digits).
fn parse_uuid(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut v: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        v = (v << 4) | u128::from(d);
    }
    Some(v)
}

fn uuid_text(v: u128) -> String {
    let hex = format!("{v:032x}");
    let mut s = String::with_capacity(36);
    for (i, part) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            s.push('-');
        }
        let _ = write!(s, "{}", &hex[part]);
    }
    s
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        #[allow(clippy::cast_possible_truncation)]
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_count(out: &mut Vec<u8>, v: f64) {
    // Style counts are sums of whole counts, so nearly always whole and small.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    if v >= 0.0
        && v < (1u64 << 52) as f64
        && v.fract() == 0.0
        && !(v == 0.0 && v.is_sign_negative())
    {
        put_varint(out, (v as u64) << 1);
    } else {
        out.push(1);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Packs `rows` (which must keep style counts) and the vote id of each row.
///
/// # Panics
/// When `ids` is not one per row, or the rows keep no style counts.
pub fn pack(rows: &RatingRows, ids: &[VoteId]) -> Vec<u8> {
    assert_eq!(ids.len(), rows.len(), "one id per row");
    assert!(rows.has_style(), "packed rows keep their style counts");
    let mut out = Vec::with_capacity(16 + rows.len() * 48);
    out.extend_from_slice(MAGIC);
    put_varint(&mut out, rows.len() as u64);
    for names in [
        &rows.models,
        &rows.judges,
        &rows.languages,
        &rows.tag_names,
        &rows.prompts,
    ] {
        put_varint(&mut out, names.len() as u64);
        for n in names.iter() {
            put_str(&mut out, n);
        }
    }
    put_varint(&mut out, rows.tag_set_count() as u64);
    for i in 0..rows.tag_set_count() {
        #[allow(clippy::cast_possible_truncation)]
        let set = rows.tag_set(i as u32);
        put_varint(&mut out, set.len() as u64);
        for &t in set {
            put_varint(&mut out, u64::from(t));
        }
    }
    for r in &rows.rows {
        out.extend_from_slice(&r.tstamp.to_le_bytes());
        for v in [r.a, r.b, r.judge, r.language, r.tags] {
            put_varint(&mut out, u64::from(v));
        }
        put_varint(
            &mut out,
            if r.prompt == NO_PROMPT {
                0
            } else {
                u64::from(r.prompt) + 1
            },
        );
        put_varint(&mut out, u64::from(r.turn));
        #[allow(clippy::cast_possible_truncation)]
        out.push(Winner::ALL.iter().position(|w| *w == r.winner).unwrap_or(0) as u8);
        out.push(r.flags);
    }
    for id in ids {
        match id {
            VoteId::Uuid(u) => {
                out.push(0);
                out.extend_from_slice(&u.to_be_bytes());
            }
            VoteId::Other(s) => {
                out.push(1);
                put_str(&mut out, s);
            }
        }
    }
    out.push(1);
    for pair in &rows.style {
        for s in pair {
            for v in [s.tokens, s.headers, s.list_items, s.bold] {
                put_count(&mut out, v);
            }
        }
    }
    out
}

struct Reader<'b> {
    b: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn left(&self) -> usize {
        self.b.len() - self.at
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<&'b [u8], PackError> {
        if n > self.left() {
            return bad(format!("{what} runs past the end"));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn byte(&mut self, what: &str) -> Result<u8, PackError> {
        Ok(self.bytes(1, what)?[0])
    }

    fn varint(&mut self, what: &str) -> Result<u64, PackError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        bad(format!("{what}: a number longer than 64 bits"))
    }

    /// A count of items that each take at least one byte: never more than the bytes left,
    /// so no corrupt count allocates more than the blob's size.
    fn count(&mut self, what: &str) -> Result<usize, PackError> {
        let n = self.varint(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= self.left() => Ok(n),
            _ => bad(format!("{what}: {n} is more than the blob holds")),
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32, PackError> {
        let v = self.varint(what)?;
        u32::try_from(v).or_else(|_| bad(format!("{what}: {v} is out of range")))
    }

    fn index(&mut self, len: usize, what: &str) -> Result<u32, PackError> {
        let v = self.u32(what)?;
        if (v as usize) < len {
            Ok(v)
        } else {
            bad(format!("{what}: index {v} of {len}"))
        }
    }

    fn f64(&mut self, what: &str) -> Result<f64, PackError> {
        let b = self.bytes(8, what)?;
        Ok(f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn str(&mut self, what: &str) -> Result<&'b str, PackError> {
        let n = self.count(what)?;
        std::str::from_utf8(self.bytes(n, what)?).or_else(|_| bad(format!("{what}: not UTF-8")))
    }

    fn style_count(&mut self) -> Result<f64, PackError> {
        let v = self.varint("a style count")?;
        if v == 1 {
            return self.f64("a style count");
        }
        if v & 1 == 1 {
            return bad("a style count has an unknown form");
        }
        #[allow(clippy::cast_precision_loss)]
        Ok((v >> 1) as f64)
    }
}

/// Unpacks a blob written by [`pack`]: the rows (style counts kept) and their vote ids.
pub fn unpack(bytes: &[u8]) -> Result<(RatingRows, Vec<VoteId>), PackError> {
    let mut r = Reader { b: bytes, at: 0 };
    if r.bytes(4, "the header")? != MAGIC {
        return bad("not a ratings blob (or a newer layout)");
    }
    // Each row takes at least 15 bytes (time, seven indices, winner, flags).
    let n = r.count("the row count")?;
    if n.saturating_mul(15) > r.left() {
        return bad(format!("{n} rows do not fit in {} bytes", r.left()));
    }
    let mut rows = RatingRows::new(true);
    rows.reserve(n);
    // Each table maps the blob's index to this table's (the same unless names repeat).
    let mut maps: [Vec<u32>; 5] = Default::default();
    for (k, map) in maps.iter_mut().enumerate() {
        let names = match k {
            0 => &mut rows.models,
            1 => &mut rows.judges,
            2 => &mut rows.languages,
            3 => &mut rows.tag_names,
            _ => &mut rows.prompts,
        };
        let count = r.count("a name table")?;
        map.reserve(count);
        for _ in 0..count {
            map.push(names.id(r.str("a name")?));
        }
    }
    let [models, judges, languages, tag_names, prompts] = maps;
    let sets = r.count("the tag sets")?;
    let mut set_map = Vec::with_capacity(sets);
    let mut set = Vec::new();
    for _ in 0..sets {
        set.clear();
        let len = r.count("a tag set")?;
        for _ in 0..len {
            set.push(tag_names[r.index(tag_names.len(), "a category name")? as usize]);
        }
        set_map.push(rows.tag_set_id(&mut set));
    }
    if set_map.is_empty() {
        return bad("no tag sets (the empty set is always first)");
    }
    let winners = Winner::ALL;
    for _ in 0..n {
        let tstamp = r.f64("a time")?;
        let a = models[r.index(models.len(), "model a")? as usize];
        let b = models[r.index(models.len(), "model b")? as usize];
        let judge = judges[r.index(judges.len(), "a judge")? as usize];
        let language = languages[r.index(languages.len(), "a language")? as usize];
        let tags = set_map[r.index(set_map.len(), "a tag set")? as usize];
        let prompt = match r.varint("a prompt")? {
            0 => NO_PROMPT,
            p => {
                let i = usize::try_from(p - 1).unwrap_or(usize::MAX);
                if i >= prompts.len() {
                    return bad(format!("a prompt: index {i} of {}", prompts.len()));
                }
                prompts[i]
            }
        };
        let turn = r.u32("a turn count")?;
        let winner = *winners
            .get(r.byte("a winner")? as usize)
            .ok_or_else(|| PackError("a winner out of range".into()))?;
        let flags = r.byte("flags")?;
        rows.rows.push(RatingRow {
            tstamp,
            a,
            b,
            judge,
            language,
            tags,
            prompt,
            turn,
            winner,
            flags,
        });
    }
    let ids = read_ids_and_style(&mut r, n, &mut rows)?;
    if r.left() != 0 {
        return bad(format!("{} bytes after the end", r.left()));
    }
    Ok((rows, ids))
}

/// The blob's tail: one id per row, then the style counts.
fn read_ids_and_style(
    r: &mut Reader<'_>,
    n: usize,
    rows: &mut RatingRows,
) -> Result<Vec<VoteId>, PackError> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(match r.byte("an id")? {
            0 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(r.bytes(16, "an id")?);
                VoteId::Uuid(u128::from_be_bytes(b))
            }
            1 => VoteId::Other(r.str("an id")?.into()),
            k => return bad(format!("an id of unknown kind {k}")),
        });
    }
    if r.byte("the style marker")? != 1 {
        return bad("no style counts");
    }
    for _ in 0..n {
        let mut pair = [StyleCounts::default(); 2];
        for s in &mut pair {
            s.tokens = r.style_count()?;
            s.headers = r.style_count()?;
            s.list_items = r.style_count()?;
            s.bold = r.style_count()?;
        }
        rows.style.push(pair);
    }
    Ok(ids)
}

/// Puts rows (and their ids) in the votes store's order: by time, then id. Cheap when they
/// are in order already (the common case: new votes are the newest).
///
/// # Panics
/// When `ids` is not one per row.
pub fn sort_by_time_then_id(rows: &mut RatingRows, ids: &mut Vec<VoteId>) {
    sort_after(rows, ids, 0);
}

/// [`sort_by_time_then_id`] for rows whose first `sorted` are known to be in order (rows
/// appended to sorted ones): only the appended ones are checked, so one more vote costs
/// nothing on a million. True when the first `sorted` rows stayed where they were (the new
/// ones all sort after them).
///
/// # Panics
/// When `ids` is not one per row.
pub fn sort_after(rows: &mut RatingRows, ids: &mut Vec<VoteId>, sorted: usize) -> bool {
    assert_eq!(ids.len(), rows.len(), "one id per row");
    let before = |i: usize, j: usize, rows: &RatingRows, ids: &[VoteId]| {
        rows.rows[i]
            .tstamp
            .total_cmp(&rows.rows[j].tstamp)
            .then_with(|| ids[i].cmp(&ids[j]))
    };
    if (sorted.max(1)..rows.len()).all(|i| before(i - 1, i, rows, ids).is_le()) {
        return true;
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&i, &j| before(i, j, rows, ids));
    rows.rows = order.iter().map(|&i| rows.rows[i]).collect();
    if rows.has_style() {
        rows.style = order.iter().map(|&i| rows.style[i]).collect();
    }
    let mut taken: Vec<Option<VoteId>> = std::mem::take(ids).into_iter().map(Some).collect();
    *ids = order
        .iter()
        .map(|&i| taken[i].take().expect("each index once"))
        .collect();
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::manual_is_multiple_of)]
    use super::*;
    use crate::VoteRecord;
    use crate::ratings::{
        CiMethod, LeaderboardOptions, compute_leaderboard, compute_leaderboard_rows,
    };

    /// Votes of every shape the rows distinguish: FastChat metadata and tags, our categories
    /// and conversations (prompt keys, style), flags, languages, turns, ties in time, ids of
    /// both kinds.
    fn records() -> Vec<VoteRecord> {
        let models = ["gpt-4o", "claude-3", "llama-3-70b", "gemma-2"];
        let winners = ["model_a", "model_b", "tie", "tie (bothbad)"];
        (0..400)
            .map(|i: usize| {
                let a = models[i % 4];
                let b = models[(i + 1 + i / 4 % 3) % 4];
                let language = ["English", "german", "Chinese"][i % 3];
                let id = if i % 3 == 0 {
                    format!("legacy-{i:04}")
                } else {
                    format!("0190a5e2-{:04x}-7000-8000-{:012x}", i % 7, i * 7919)
                };
                let mut v = serde_json::json!({
                    "id": id, "model_a": a, "model_b": b, "winner": winners[i % 4],
                    "judge": format!("judge-{}", i % 5), "tstamp": 1000.0 + (i / 2) as f64,
                    "language": language, "turn": 1 + i % 3,
                    "anony": i % 7 != 0,
                });
                let m = v.as_object_mut().unwrap();
                if i % 2 == 0 {
                    m.insert("conv_metadata".into(), serde_json::json!({
                        "sum_assistant_a_tokens": 10 + i, "sum_assistant_b_tokens": 300.5,
                        "header_count_a": {"h1": i % 3}, "header_count_b": {"h1": 0},
                        "list_count_a": {"ordered": 1}, "list_count_b": {"unordered": i % 4},
                        "bold_count_a": {"**": 2}, "bold_count_b": {"**": 0},
                    }));
                    m.insert("dedup_tag".into(), serde_json::json!({"sampled": i % 5 != 0}));
                    m.insert("category_tag".into(), serde_json::json!({
                        "criteria_v0.1": {"math": i % 3 == 0, "creativity": i % 4 == 0},
                        "if_v0.1": {"if": i % 6 == 0},
                    }));
                } else {
                    let prompt = format!("prompt {}", i % 17);
                    m.insert("conversation_a".into(), serde_json::json!([
                        {"role": "user", "content": prompt}, {"role": "assistant", "content": "# A\n- x\n**b**"}]));
                    m.insert("conversation_b".into(), serde_json::json!([
                        {"role": "user", "content": prompt}, {"role": "assistant", "content": "B"}]));
                    let cats = &["coding", "Math"][..(i % 3).min(2)];
                    m.insert("categories".into(), serde_json::json!(cats));
                }
                if i % 11 == 0 {
                    m.insert("flags".into(), serde_json::json!(["voted_after_reveal"]));
                }
                serde_json::from_value(v).unwrap()
            })
            .collect()
    }

    fn ids(records: &[VoteRecord]) -> Vec<VoteId> {
        records.iter().map(|r| VoteId::new(&r.id)).collect()
    }

    #[test]
    fn ids_keep_the_strings_order_and_text() {
        let texts = [
            "0190a5e2-0000-7000-8000-000000000001",
            "0190a5e2-0000-7000-8000-00000000000a",
            "0190a5e2-0001-7000-8000-000000000000",
            "0190A5E2-0000-7000-8000-000000000001",
            "legacy-1",
            "",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "0190a5e2-0000-7000-8000-0000000000",
        ];
        let parsed: Vec<VoteId> = texts.iter().map(|t| VoteId::new(t)).collect();
        assert!(matches!(parsed[0], VoteId::Uuid(_)));
        assert!(
            matches!(parsed[3], VoteId::Other(_)),
            "uppercase is not canonical"
        );
        for (t, p) in texts.iter().zip(&parsed) {
            assert_eq!(&p.text(), t);
        }
        for (i, a) in parsed.iter().enumerate() {
            for (j, b) in parsed.iter().enumerate() {
                assert_eq!(
                    a.cmp(b),
                    texts[i].cmp(texts[j]),
                    "{} vs {}",
                    texts[i],
                    texts[j]
                );
            }
        }
    }

    #[test]
    fn packed_chunks_give_the_records_leaderboard_bit_for_bit() {
        let records = records();
        // Stored in three batches, out of time order, as imports and votes arrive.
        let (x, rest) = records.split_at(150);
        let (y, z) = rest.split_at(200);
        let mut all = RatingRows::new(true);
        let mut all_ids = Vec::new();
        for part in [z, x, y] {
            let blob = pack(&RatingRows::from_records(part, true), &ids(part));
            let (rows, got) = unpack(&blob).unwrap();
            assert_eq!(got, ids(part));
            all.extend(&rows);
            all_ids.extend(got);
        }
        sort_by_time_then_id(&mut all, &mut all_ids);
        // Rows appended to sorted ones: only the new part is checked, and a new row older
        // than the rest still lands in its place.
        let extra = &records[..3];
        let mut more = all.clone();
        let mut more_ids = all_ids.clone();
        let n = more.len();
        let older: Vec<VoteRecord> = extra
            .iter()
            .map(|r| VoteRecord {
                id: format!("{}-x", r.id),
                tstamp: r.tstamp - 0.5,
                ..r.clone()
            })
            .collect();
        more.extend(&RatingRows::from_records(&older, true));
        more_ids.extend(ids(&older));
        sort_after(&mut more, &mut more_ids, n);
        let mut want_ids = all_ids.clone();
        want_ids.extend(ids(&older));
        let mut resorted = all.clone();
        resorted.extend(&RatingRows::from_records(&older, true));
        sort_by_time_then_id(&mut resorted, &mut want_ids);
        assert_eq!(more_ids, want_ids);
        assert_eq!(more.rows.len(), resorted.rows.len());
        let mut in_order = records.clone();
        in_order.sort_by(|a, b| a.tstamp.total_cmp(&b.tstamp).then_with(|| a.id.cmp(&b.id)));
        assert_eq!(all_ids, ids(&in_order));
        for style_control in [false, true] {
            for ci in [CiMethod::Sandwich, CiMethod::Bootstrap { rounds: 20 }] {
                let mut opts = LeaderboardOptions {
                    ci,
                    style_control,
                    ..LeaderboardOptions::default()
                };
                for category in [
                    None,
                    Some("math"),
                    Some("coding"),
                    Some("english"),
                    Some("creativity"),
                ] {
                    opts.filter.category = category.map(str::to_string);
                    for dedup in [false, true] {
                        opts.filter.dedup = dedup;
                        let want = compute_leaderboard(&in_order, &opts);
                        let got = compute_leaderboard_rows(&all, &opts);
                        assert_eq!(format!("{got:?}"), format!("{want:?}"), "{opts:?}");
                    }
                }
            }
        }
        // Packing what was unpacked gives the same bytes.
        let blob = pack(&RatingRows::from_records(&records, true), &ids(&records));
        let (rows, got) = unpack(&blob).unwrap();
        assert_eq!(pack(&rows, &got), blob);
    }

    #[test]
    fn a_corrupt_blob_is_an_error_never_a_panic() {
        let records = records();
        let blob = pack(
            &RatingRows::from_records(&records[..40], true),
            &ids(&records[..40]),
        );
        for cut in 0..blob.len() {
            assert!(unpack(&blob[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(unpack(&longer).is_err());
        // Every single-byte change either fails or still decodes to something in range.
        for at in 0..blob.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = blob.clone();
                b[at] ^= flip;
                if let Ok((rows, got)) = unpack(&b) {
                    assert_eq!(rows.len(), got.len());
                    let _ = compute_leaderboard_rows(&rows, &LeaderboardOptions::default());
                }
            }
        }
        let huge = [b'A', b'R', b'R', b'1', 0xff, 0xff, 0xff, 0xff, 0x0f];
        let e = unpack(&huge).unwrap_err().to_string();
        assert!(e.contains("more than the blob holds"), "{e}");
        assert!(unpack(b"JSON{}").is_err());
    }
}
