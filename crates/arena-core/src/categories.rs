//! Leaderboard categories: the user-assigned ones and the derived ones.
//!
//! A category name is matched case-insensitively, with spaces, `-` and `_` treated alike
//! (`instruction following` = `instruction-following`). Derived categories:
//! - `multi-turn`: the battle has two or more turns;
//! - `long-query`: the user's prompt is at least [`LONG_QUERY_TOKENS`] tokens (FastChat's
//!   `conv_metadata.sum_user_tokens` when present, otherwise an estimate of one token per
//!   four characters);
//! - `no-tie`: the verdict is not a tie of either kind;
//! - `lang:NAME` (or `language:NAME`): the battle's `language` field is NAME.
//!
//! Any other name matches the record's `categories` list, or a FastChat `category_tag` entry
//! (e.g. `{"math_v0.1": {"math": true}}` matches `math`).

use crate::ratings::rows::{RatingRow, RatingRows, flag};
use crate::record::VoteRecord;

/// The categories a judge can assign in the app.
pub const USER_CATEGORIES: [&str; 6] = [
    "coding",
    "math",
    "reasoning",
    "instruction-following",
    "creative-writing",
    "other",
];

/// The derived categories (besides `lang:NAME`).
pub const DERIVED_CATEGORIES: [&str; 3] = ["multi-turn", "long-query", "no-tie"];

/// Prompt length from which a battle counts as a long query, in tokens (as FastChat's
/// "longer query" category).
pub const LONG_QUERY_TOKENS: u64 = 500;

/// A parsed category filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Category {
    /// Every battle (`all`, `full`, `overall`).
    All,
    MultiTurn,
    LongQuery,
    NoTie,
    Language(String),
    /// A user-assigned category, normalised.
    Named(String),
}

/// Lower-cases and maps spaces and underscores to `-`.
pub fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl Category {
    /// Parses a category name as the CLI and the app write it.
    pub fn parse(name: &str) -> Category {
        let n = normalise(name);
        if let Some(lang) = n
            .strip_prefix("lang:")
            .or_else(|| n.strip_prefix("language:"))
        {
            return Category::Language(lang.to_string());
        }
        match n.as_str() {
            "" | "all" | "full" | "overall" => Category::All,
            "multi-turn" | "multiturn" => Category::MultiTurn,
            "long-query" | "long-queries" | "long" => Category::LongQuery,
            "no-tie" | "no-ties" | "exclude-ties" => Category::NoTie,
            _ => Category::Named(n),
        }
    }

    /// Whether `record` belongs to this category.
    pub fn matches(&self, record: &VoteRecord) -> bool {
        match self {
            Category::All => true,
            Category::MultiTurn => record.turn >= 2,
            Category::LongQuery => prompt_tokens(record) >= LONG_QUERY_TOKENS,
            Category::NoTie => !record.winner.is_tie(),
            Category::Language(l) => normalise(&record.language) == *l,
            Category::Named(n) => {
                record.categories.iter().any(|c| normalise(c) == *n) || tagged(record, n)
            }
        }
    }
}

/// A [`Category`] resolved against the name tables of [`RatingRows`], so matching a row is a
/// few integer comparisons. Matches exactly the records [`Category::matches`] does.
#[derive(Debug, Clone)]
pub struct RowCategory {
    kind: Category,
    /// `Language`: the language's index, if any row has it.
    language: Option<u32>,
    /// `Named`: for each tag set, whether it holds the name.
    sets: Vec<bool>,
}

impl RowCategory {
    pub fn new(category: &Category, rows: &RatingRows) -> Self {
        let (language, sets) = match category {
            Category::Language(l) => (rows.languages.get(l), Vec::new()),
            Category::Named(n) => {
                let name = rows.tag_names.get(n);
                let sets = (0..rows.tag_set_count())
                    .map(|i| {
                        #[allow(clippy::cast_possible_truncation)] // fewer than 2^32 sets
                        let set = rows.tag_set(i as u32);
                        name.is_some_and(|n| set.contains(&n))
                    })
                    .collect();
                (None, sets)
            }
            _ => (None, Vec::new()),
        };
        RowCategory {
            kind: category.clone(),
            language,
            sets,
        }
    }

    pub fn matches(&self, row: &RatingRow) -> bool {
        match &self.kind {
            Category::All => true,
            Category::MultiTurn => row.turn >= 2,
            Category::LongQuery => row.has(flag::LONG_QUERY),
            Category::NoTie => !row.winner.is_tie(),
            Category::Language(_) => self.language == Some(row.language),
            Category::Named(_) => self.sets[row.tags as usize],
        }
    }
}

/// Prompt length in tokens: `conv_metadata.sum_user_tokens`, else ⌈chars / 4⌉ of the user
/// messages of conversation A.
pub fn prompt_tokens(record: &VoteRecord) -> u64 {
    if let Some(t) = record
        .conv_metadata
        .as_ref()
        .and_then(|m| m.get("sum_user_tokens"))
        .and_then(serde_json::Value::as_f64)
    {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        return t.max(0.0) as u64;
    }
    let chars: usize = record
        .conversation_a
        .iter()
        .filter(|m| m.role == "user")
        .map(|m| m.content.chars().count())
        .sum();
    (chars as u64).div_ceil(4)
}

/// FastChat's `category_tag`: `{"<name>_v0.1": {"<name>": true, ...}, ...}`.
fn tagged(record: &VoteRecord, name: &str) -> bool {
    let Some(serde_json::Value::Object(tags)) = &record.category_tag else {
        return false;
    };
    tags.values().any(|inner| match inner {
        serde_json::Value::Object(m) => m
            .iter()
            .any(|(k, v)| normalise(k) == name && v.as_bool() == Some(true)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Message, Winner};

    fn rec() -> VoteRecord {
        serde_json::from_str(r#"{"model_a":"x","model_b":"y","winner":"model_a"}"#).unwrap()
    }

    #[test]
    fn derived_categories() {
        let mut r = rec();
        assert!(Category::parse("all").matches(&r));
        assert!(!Category::parse("multi-turn").matches(&r));
        r.turn = 2;
        assert!(Category::parse("Multi Turn").matches(&r));
        assert!(Category::parse("no-tie").matches(&r));
        r.winner = Winner::TieBothBad;
        assert!(!Category::parse("no_tie").matches(&r));
        r.language = "English".into();
        assert!(Category::parse("lang:english").matches(&r));
        assert!(!Category::parse("language:German").matches(&r));
    }

    #[test]
    fn long_query_from_metadata_or_text() {
        let mut r = rec();
        r.conversation_a = vec![Message::user("x".repeat(1996))];
        assert!(!Category::LongQuery.matches(&r));
        r.conversation_a = vec![Message::user("x".repeat(2000))];
        assert!(Category::LongQuery.matches(&r));
        r.conv_metadata = Some(serde_json::json!({"sum_user_tokens": 12}));
        assert!(!Category::LongQuery.matches(&r));
    }

    #[test]
    fn user_and_fastchat_tagged_categories() {
        let mut r = rec();
        r.categories = vec!["Instruction Following".into()];
        assert!(Category::parse("instruction-following").matches(&r));
        assert!(!Category::parse("math").matches(&r));
        r.category_tag = Some(serde_json::json!({"math_v0.1": {"math": true}}));
        assert!(Category::parse("math").matches(&r));
        r.category_tag = Some(serde_json::json!({"math_v0.1": {"math": false}}));
        assert!(!Category::parse("math").matches(&r));
    }
}
