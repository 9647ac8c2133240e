//! Rating rows: a vote reduced to the fixed-size row the ratings read, with every name
//! interned.
//!
//! A [`VoteRecord`] is a few hundred bytes of strings and JSON even without its
//! conversations; a [`RatingRow`] is 40 bytes with no pointer in it. Readers produce rows
//! directly while they stream (see `formats::rows`), so the ratings path never holds records:
//! the CLI, the browser's data worker and the server all rank from [`RatingRows`].
//!
//! What a row keeps is exactly what the ratings read of a record, derived with the same
//! functions the record path uses (`integrity`, `categories`, `dedup`, `style`), so a
//! leaderboard of the rows equals the leaderboard of the records bit for bit:
//! - the two models, the judge, the verdict, the time, the turn count, `anony`;
//! - the `after_reveal` and `identity_leak` flags;
//! - for categories: the normalised language, and the set of normalised category names
//!   (the record's own `categories` and the `true` tags of FastChat's `category_tag`), and
//!   whether the prompt is a long query;
//! - for dedup: FastChat's `dedup_tag.sampled` when present, else the prompt key (the first
//!   user message, trimmed; interned, so repeated prompts cost their text once);
//! - for style control, when asked for: the style counts of both sides, in a column beside
//!   the rows.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::intern::same;
use super::style::{StyleCounts, record_style_counts};
use crate::categories::{LONG_QUERY_TOKENS, normalise, prompt_tokens};
use crate::dedup::DedupKey;
use crate::integrity::{AFTER_REVEAL, IDENTITY_LEAK};
use crate::record::{VoteRecord, Winner};

/// Bits of [`RatingRow::flags`].
pub mod flag {
    /// `anony: true`.
    pub const ANONY: u8 = 1;
    /// Voted after the names were revealed.
    pub const AFTER_REVEAL: u8 = 2;
    /// Flagged as an identity leak.
    pub const LEAK: u8 = 4;
    /// FastChat's `dedup_tag.sampled` is present; its value is [`SAMPLED`].
    pub const SAMPLED_KNOWN: u8 = 8;
    pub const SAMPLED: u8 = 16;
    /// The prompt is at least `LONG_QUERY_TOKENS` long.
    pub const LONG_QUERY: u8 = 32;
}

/// No prompt key (no user message, or FastChat's own dedup decision is used).
pub const NO_PROMPT: u32 = u32::MAX;

/// One vote as the ratings read it. Names are indices into the [`RatingRows`] tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingRow {
    pub tstamp: f64,
    pub a: u32,
    pub b: u32,
    pub judge: u32,
    /// Index into [`RatingRows::languages`] (normalised).
    pub language: u32,
    /// Index of the set of category names ([`RatingRows::tag_set`]).
    pub tags: u32,
    /// Index into [`RatingRows::prompts`], or [`NO_PROMPT`].
    pub prompt: u32,
    pub turn: u32,
    pub winner: Winner,
    /// [`flag`] bits.
    pub flags: u8,
}

impl RatingRow {
    pub fn has(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }
}

/// Names with dense indices in order of first appearance, owning their text.
///
/// Hand-rolled over `hashbrown::HashTable` rather than a `HashMap<String, u32>` so each name
/// is stored once and compared with [`same`] (see `intern.rs` for why not `memcmp`).
#[derive(Debug, Default, Clone)]
pub struct Names {
    table: HashTable<u32>,
    names: Vec<Box<str>>,
}

fn fx(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl Names {
    /// The index of `name`, a new one if it was not seen before.
    ///
    /// # Panics
    /// With 2^32 names.
    pub fn id(&mut self, name: &str) -> u32 {
        let hash = fx(name);
        let names = &self.names;
        if let Some(&i) = self.table.find(hash, |&i| same(&names[i as usize], name)) {
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(name.into());
        let names = &self.names;
        self.table
            .insert_unique(hash, i, |&j| fx(&names[j as usize]));
        i
    }

    /// The index of `name` if it is known.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.table
            .find(fx(name), |&i| same(&self.names[i as usize], name))
            .copied()
    }

    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }
}

/// The scalar fields of a vote, borrowed from whatever the reader parsed.
#[derive(Debug, Clone, Copy)]
pub struct Scalars<'s> {
    pub model_a: &'s str,
    pub model_b: &'s str,
    pub judge: &'s str,
    pub language: &'s str,
    pub winner: Winner,
    pub tstamp: f64,
    pub turn: u32,
    pub anony: bool,
}

/// What a row derives from the heavy fields (conversations, FastChat metadata), cached for
/// the common record that has none.
#[derive(Debug, Clone, Copy)]
struct Derived {
    flags: u8,
    style: [StyleCounts; 2],
}

/// Rows and their name tables.
#[derive(Debug, Clone)]
pub struct RatingRows {
    pub rows: Vec<RatingRow>,
    /// Style counts (side a, side b) per row; empty unless made with `style: true`.
    pub style: Vec<[StyleCounts; 2]>,
    pub models: Names,
    pub judges: Names,
    /// Normalised languages.
    pub languages: Names,
    /// Normalised category names.
    pub tag_names: Names,
    /// Prompt keys for dedup.
    pub prompts: Names,
    keep_style: bool,
    /// Raw language → index into `languages` (normalising is done once per distinct value).
    raw_languages: Names,
    raw_to_language: Vec<u32>,
    tag_sets: Vec<Box<[u32]>>,
    tag_set_index: FxHashMap<Box<[u32]>, u32>,
    scratch_tags: Vec<u32>,
    /// [`Derived`] of a record with no heavy fields.
    bare: Derived,
}

impl RatingRows {
    /// Empty rows; `style` keeps the style counts (needed for style control).
    pub fn new(style: bool) -> Self {
        let bare = derive(&bare_record());
        let mut tag_set_index = FxHashMap::default();
        tag_set_index.insert(Box::from([] as [u32; 0]), 0);
        RatingRows {
            rows: Vec::new(),
            style: Vec::new(),
            models: Names::default(),
            judges: Names::default(),
            languages: Names::default(),
            tag_names: Names::default(),
            prompts: Names::default(),
            keep_style: style,
            raw_languages: Names::default(),
            raw_to_language: Vec::new(),
            tag_sets: vec![Box::from([] as [u32; 0])],
            tag_set_index,
            scratch_tags: Vec::new(),
            bare,
        }
    }

    /// The rows of `records`, in order.
    pub fn from_records<'r>(
        records: impl IntoIterator<Item = &'r VoteRecord>,
        style: bool,
    ) -> Self {
        let mut rows = RatingRows::new(style);
        for r in records {
            rows.push_record(r);
        }
        rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Room for `n` more rows.
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve(n);
        if self.keep_style {
            self.style.reserve(n);
        }
    }

    /// Whether the rows carry style counts.
    pub fn has_style(&self) -> bool {
        self.keep_style
    }

    /// The category names of set `i` (sorted indices into [`RatingRows::tag_names`]).
    pub fn tag_set(&self, i: u32) -> &[u32] {
        &self.tag_sets[i as usize]
    }

    /// The number of distinct category-name sets.
    pub fn tag_set_count(&self) -> usize {
        self.tag_sets.len()
    }

    /// Appends the row of `record`.
    pub fn push_record(&mut self, r: &VoteRecord) {
        let s = Scalars {
            model_a: &r.model_a,
            model_b: &r.model_b,
            judge: &r.judge,
            language: &r.language,
            winner: r.winner,
            tstamp: r.tstamp,
            turn: r.turn,
            anony: r.anony,
        };
        self.push(
            &s,
            r.flags.iter().map(String::as_str),
            r.categories.iter().map(String::as_str),
            r,
        );
    }

    /// Appends a row from its scalars, the record's `flags` and `categories`, and a record
    /// holding its heavy fields (`conversation_a`, `conversation_b`, `conv_metadata`,
    /// `dedup_tag`, `category_tag`; its other fields are not read). Readers that parse the
    /// scalars themselves pass a reused record that holds only the heavy fields.
    pub fn push<'f>(
        &mut self,
        s: &Scalars,
        flags: impl Iterator<Item = &'f str>,
        categories: impl Iterator<Item = &'f str>,
        heavy: &VoteRecord,
    ) {
        let bare = is_bare(heavy);
        let d = if bare { self.bare } else { derive(heavy) };
        let mut bits = d.flags;
        if s.anony {
            bits |= flag::ANONY;
        }
        for f in flags {
            if f == AFTER_REVEAL {
                bits |= flag::AFTER_REVEAL;
            } else if f == IDENTITY_LEAK {
                bits |= flag::LEAK;
            }
        }
        let prompt = if bare || bits & flag::SAMPLED_KNOWN != 0 {
            NO_PROMPT
        } else {
            DedupKey::of(heavy)
                .prompt
                .map_or(NO_PROMPT, |p| self.prompts.id(p))
        };
        let tags = self.tags(categories, heavy.category_tag.as_ref());
        let language = self.language(s.language);
        self.rows.push(RatingRow {
            tstamp: s.tstamp,
            a: self.models.id(s.model_a),
            b: self.models.id(s.model_b),
            judge: self.judges.id(s.judge),
            language,
            tags,
            prompt,
            turn: s.turn,
            winner: s.winner,
            flags: bits,
        });
        if self.keep_style {
            self.style.push(d.style);
        }
    }

    fn language(&mut self, raw: &str) -> u32 {
        let i = self.raw_languages.id(raw) as usize;
        if i == self.raw_to_language.len() {
            let n = self.languages.id(&normalise(raw));
            self.raw_to_language.push(n);
        }
        self.raw_to_language[i]
    }

    /// The set of normalised category names: `categories` and the true tags of
    /// `category_tag`, as `Category::matches` reads them.
    fn tags<'f>(
        &mut self,
        categories: impl Iterator<Item = &'f str>,
        category_tag: Option<&serde_json::Value>,
    ) -> u32 {
        let mut set = std::mem::take(&mut self.scratch_tags);
        set.clear();
        for c in categories {
            set.push(self.tag_names.id(&normalise(c)));
        }
        if let Some(serde_json::Value::Object(tags)) = category_tag {
            for inner in tags.values() {
                if let serde_json::Value::Object(m) = inner {
                    for (k, v) in m {
                        if v.as_bool() == Some(true) {
                            set.push(self.tag_names.id(&normalise(k)));
                        }
                    }
                }
            }
        }
        let id = self.tag_set_id(&mut set);
        self.scratch_tags = set;
        id
    }

    /// The index of the set of category names `set` (indices into `tag_names`; sorted and
    /// deduplicated here), a new one if it was not seen before.
    pub(crate) fn tag_set_id(&mut self, set: &mut Vec<u32>) -> u32 {
        if set.is_empty() {
            return 0;
        }
        set.sort_unstable();
        set.dedup();
        if let Some(&id) = self.tag_set_index.get(set.as_slice()) {
            return id;
        }
        let id = u32::try_from(self.tag_sets.len()).expect("fewer than 2^32 tag sets");
        let boxed: Box<[u32]> = set.as_slice().into();
        self.tag_sets.push(boxed.clone());
        self.tag_set_index.insert(boxed, id);
        id
    }

    /// Appends `other`'s rows (names re-indexed into this table), in order.
    ///
    /// # Panics
    /// When these rows keep style counts and `other`'s do not.
    pub fn extend(&mut self, other: &RatingRows) {
        self.extend_where(other, &vec![true; other.len()]);
    }

    /// Appends the rows of `other` whose `keep` is true, in order.
    ///
    /// # Panics
    /// When these rows keep style counts and `other`'s do not, or `keep` is short.
    pub fn extend_where(&mut self, other: &RatingRows, keep: &[bool]) {
        assert!(keep.len() >= other.len(), "a keep flag per row");
        let remap =
            |from: &Names, to: &mut Names| -> Vec<u32> { from.iter().map(|n| to.id(n)).collect() };
        let models = remap(&other.models, &mut self.models);
        let judges = remap(&other.judges, &mut self.judges);
        let languages = remap(&other.languages, &mut self.languages);
        let prompts = remap(&other.prompts, &mut self.prompts);
        let names = remap(&other.tag_names, &mut self.tag_names);
        let sets: Vec<u32> = other
            .tag_sets
            .iter()
            .map(|set| {
                let mut s: Vec<u32> = set.iter().map(|&t| names[t as usize]).collect();
                s.sort_unstable();
                if let Some(&id) = self.tag_set_index.get(s.as_slice()) {
                    return id;
                }
                let id = u32::try_from(self.tag_sets.len()).expect("fewer than 2^32 tag sets");
                let boxed: Box<[u32]> = s.into();
                self.tag_sets.push(boxed.clone());
                self.tag_set_index.insert(boxed, id);
                id
            })
            .collect();
        let kept = other.rows.iter().zip(keep).filter(|(_, k)| **k);
        self.rows.extend(kept.map(|(r, _)| RatingRow {
            a: models[r.a as usize],
            b: models[r.b as usize],
            judge: judges[r.judge as usize],
            language: languages[r.language as usize],
            tags: sets[r.tags as usize],
            prompt: if r.prompt == NO_PROMPT {
                NO_PROMPT
            } else {
                prompts[r.prompt as usize]
            },
            ..*r
        }));
        if self.keep_style {
            assert!(
                other.keep_style,
                "rows with style counts extended by rows without"
            );
            self.style.extend(
                other
                    .style
                    .iter()
                    .zip(keep)
                    .filter(|(_, k)| **k)
                    .map(|(s, _)| *s),
            );
        }
    }
}

/// A record with no heavy fields (what a plain CSV row or a bare vote is).
pub(crate) fn bare_record() -> VoteRecord {
    // The record's own defaults (`turn` 1, `anony` true, nothing else).
    serde_json::from_str(r#"{"model_a":"","model_b":"","winner":"tie"}"#)
        .expect("a record of the defaults")
}

fn is_bare(r: &VoteRecord) -> bool {
    r.conversation_a.is_empty()
        && r.conversation_b.is_empty()
        && r.conv_metadata.is_none()
        && r.dedup_tag.is_none()
        && r.category_tag.is_none()
}

/// The flags and style counts that the heavy fields decide.
fn derive(r: &VoteRecord) -> Derived {
    let mut flags = 0;
    if let Some(sampled) = DedupKey::of(r).sampled {
        flags |= flag::SAMPLED_KNOWN;
        if sampled {
            flags |= flag::SAMPLED;
        }
    }
    if prompt_tokens(r) >= LONG_QUERY_TOKENS {
        flags |= flag::LONG_QUERY;
    }
    let (a, b) = record_style_counts(r);
    Derived {
        flags,
        style: [a, b],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_interned_in_order_of_first_appearance() {
        let mut n = Names::default();
        let ids: Vec<u32> = ["b", "", "a-model-name-longer-than-sixteen", "b", ""]
            .iter()
            .map(|s| n.id(s))
            .collect();
        assert_eq!(ids, [0, 1, 2, 0, 1]);
        assert_eq!(n.get("a-model-name-longer-than-sixteen"), Some(2));
        assert_eq!(n.get("c"), None);
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            ["b", "", "a-model-name-longer-than-sixteen"]
        );
    }

    #[test]
    fn a_row_keeps_what_the_filters_read() {
        let mut r: VoteRecord = serde_json::from_str(
            r#"{"model_a":"x","model_b":"y","winner":"model_b","judge":"j","turn":3,
            "anony":false,"language":"Brazilian Portuguese","tstamp":5.5,
            "categories":["Coding","hard prompts"],"flags":["after_reveal"],
            "category_tag":{"math_v0.1":{"math":true},"if_v0.1":{"if":false}},
            "conversation_a":[{"role":"user","content":"  hi there  "}]}"#,
        )
        .unwrap();
        let rows = RatingRows::from_records([&r], true);
        let row = rows.rows[0];
        assert_eq!(rows.models.name(row.a), "x");
        assert_eq!(rows.judges.name(row.judge), "j");
        assert_eq!(rows.languages.name(row.language), "brazilian-portuguese");
        let tags: Vec<&str> = rows
            .tag_set(row.tags)
            .iter()
            .map(|&t| rows.tag_names.name(t))
            .collect();
        assert_eq!(tags, ["coding", "hard-prompts", "math"]);
        assert_eq!(rows.prompts.name(row.prompt), "hi there");
        assert_eq!(row.flags, flag::AFTER_REVEAL);
        assert_eq!((row.turn, row.winner, row.tstamp), (3, Winner::ModelB, 5.5));
        // FastChat's own dedup decision replaces the prompt key.
        r.dedup_tag = Some(serde_json::json!({"sampled": true}));
        r.flags = vec!["identity_leak".into()];
        r.anony = true;
        let rows = RatingRows::from_records([&r], false);
        let row = rows.rows[0];
        assert_eq!(row.prompt, NO_PROMPT);
        assert_eq!(
            row.flags,
            flag::ANONY | flag::LEAK | flag::SAMPLED_KNOWN | flag::SAMPLED
        );
        assert!(rows.style.is_empty());
    }

    #[test]
    fn extended_rows_equal_rows_built_in_one_go() {
        let mut recs = crate::ratings::synthetic::synthetic_battles(300, 7, 3);
        for (i, r) in recs.iter_mut().enumerate() {
            r.categories = vec![format!("cat {}", i % 3)];
            r.language = ["English", "german", ""][i % 3].into();
            r.conversation_a = vec![crate::record::Message::user(format!("p{}", i % 40))];
        }
        let whole = RatingRows::from_records(&recs, true);
        let mut joined = RatingRows::from_records(&recs[..120], true);
        joined.extend(&RatingRows::from_records(&recs[120..], true));
        assert_eq!(whole.rows, joined.rows);
        assert_eq!(whole.style, joined.style);
        assert_eq!(
            whole.models.iter().collect::<Vec<_>>(),
            joined.models.iter().collect::<Vec<_>>()
        );
    }
}

/// The rows against the record path they replace (`ratings::oracle`), on every filter,
/// category, style control, dedup and anchor combination.
#[cfg(test)]
pub(crate) mod oracle_tests {
    use crate::ratings::{
        Anchor, CiMethod, FilterOptions, LeaderboardOptions, compute_leaderboard, oracle,
    };
    use crate::record::{Message, VoteRecord};

    /// Votes of every shape the filters, dedup, categories, style and judges read.
    pub(crate) fn varied_records() -> Vec<VoteRecord> {
        let mut recs = crate::ratings::synthetic::synthetic_battles(3_000, 8, 11);
        for (i, r) in recs.iter_mut().enumerate() {
            r.judge = format!("judge {}", i % 13);
            r.language = ["English", "english ", "German", ""][i % 4].into();
            r.turn = 1 + u32::try_from(i % 3).unwrap();
            r.anony = i % 17 != 0;
            if i % 19 == 0 {
                r.flags = vec!["identity_leak".into()];
            } else if i % 23 == 0 {
                r.flags = vec!["after_reveal".into()];
            }
            if i % 5 == 0 {
                r.categories = vec!["Coding".into(), "creative writing".into()];
            }
            if i % 2 == 0 {
                // Flooded prompts (dedup bites on "flood"), long ones, markdown answers.
                let prompt = if i % 8 == 0 {
                    "flood".to_string()
                } else if i % 10 == 0 {
                    "z".repeat(2_100)
                } else {
                    format!("prompt {i}")
                };
                r.conversation_a = vec![
                    Message::user(prompt.clone()),
                    Message::assistant("# T\n\n- a\n- b\n\n**x**".repeat(1 + i % 4)),
                ];
                r.conversation_b = vec![
                    Message::user(prompt),
                    Message::assistant("plain ".repeat(i % 30)),
                ];
            } else if i % 3 == 0 {
                r.conv_metadata = Some(serde_json::json!({
                    "sum_user_tokens": (i * 37) % 900, "sum_assistant_a_tokens": (i * 17) % 700,
                    "sum_assistant_b_tokens": (i * 29) % 800,
                    "header_count_a": {"h1": i % 3}, "header_count_b": {"h1": 0},
                    "list_count_a": {"ordered": i % 5}, "list_count_b": {"ordered": 1},
                    "bold_count_a": {"**": i % 2}, "bold_count_b": {"**": 0},
                }));
                r.dedup_tag = Some(serde_json::json!({"sampled": i % 9 != 0}));
                r.category_tag = Some(serde_json::json!({
                    "math_v0.1": {"math": i % 4 == 1}, "criteria_v0.1": {"coding": true}}));
            }
        }
        recs
    }

    /// Option sets that cover every filter, category, style control, dedup, anchor,
    /// reweighting and interval combination the rankings distinguish.
    pub(crate) fn option_sets() -> Vec<LeaderboardOptions> {
        let categories = [
            None,
            Some("coding"),
            Some("math"),
            Some("creative-writing"),
            Some("long-query"),
            Some("multi-turn"),
            Some("no-tie"),
            Some("lang:english"),
        ];
        let mut sets = Vec::new();
        for (k, category) in categories.iter().enumerate() {
            for style_control in [false, true] {
                sets.push(LeaderboardOptions {
                    ci: if k % 2 == 0 {
                        CiMethod::Sandwich
                    } else {
                        CiMethod::Bootstrap { rounds: 5 }
                    },
                    reweight: k == 3,
                    anchor: (k == 1).then(|| Anchor {
                        model: "model-003".into(),
                        rating: 1200.0,
                    }),
                    style_control,
                    filter: FilterOptions {
                        category: category.map(str::to_string),
                        include_flagged: k % 2 == 1,
                        include_named: k % 3 == 1,
                        dedup: k != 2,
                    },
                    ..LeaderboardOptions::default()
                });
            }
        }
        sets
    }

    #[test]
    fn rows_rank_bit_identically_to_the_record_path() {
        let recs = varied_records();
        let mut checked = 0;
        for opts in option_sets() {
            let want = oracle::compute_leaderboard(&recs, &opts);
            let got = compute_leaderboard(&recs, &opts);
            assert_eq!(
                got, want,
                "{:?} style {}",
                opts.filter.category, opts.style_control
            );
            if let Ok(lb) = got {
                checked += 1;
                assert!(lb.summary.used > 0);
            }
        }
        assert_eq!(checked, 16);
        // The filters all bit somewhere.
        let lb = compute_leaderboard(&recs, &LeaderboardOptions::default()).unwrap();
        let s = &lb.summary;
        assert!(
            s.after_reveal > 0 && s.flagged > 0 && s.named > 0 && s.deduplicated > 0,
            "{s:?}"
        );
        // A category nobody has gives the same error both ways.
        let none = LeaderboardOptions {
            filter: FilterOptions {
                category: Some("lang:klingon".into()),
                ..FilterOptions::default()
            },
            ..LeaderboardOptions::default()
        };
        assert_eq!(
            compute_leaderboard(&recs, &none),
            oracle::compute_leaderboard(&recs, &none)
        );
    }
}
