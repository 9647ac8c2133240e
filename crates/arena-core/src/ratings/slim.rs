//! Records reduced to what the ratings read, for large files.
//!
//! A vote's conversations are most of its size, and ratings read them only for three things:
//! style control (the style counts of each side), the long-query category (the prompt's
//! length) and dedup (the first user message). [`slim_for_ratings`] writes the first two into
//! `conv_metadata` under FastChat's own keys, keeps the first user message and drops the rest,
//! so a file streamed for ratings holds a few hundred bytes a vote instead of its text, and
//! every leaderboard of the slimmed records equals that of the full ones.

use serde_json::{Map, Value};

use super::style::record_style_counts;
use crate::categories::prompt_tokens;
use crate::record::VoteRecord;

/// Drops the conversations of `record` after keeping what the ratings need (module docs).
/// Identity-leak detection reads the full text: run it before.
pub fn slim_for_ratings(record: &mut VoteRecord) {
    if record.conversation_a.is_empty() && record.conversation_b.is_empty() {
        return;
    }
    let (a, b) = record_style_counts(record);
    let prompt = prompt_tokens(record);
    let mut meta = match record.conv_metadata.take() {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (side, c) in [("a", a), ("b", b)] {
        meta.insert(format!("sum_assistant_{side}_tokens"), c.tokens.into());
        meta.insert(format!("header_count_{side}"), c.headers.into());
        meta.insert(format!("list_count_{side}"), c.list_items.into());
        meta.insert(format!("bold_count_{side}"), c.bold.into());
    }
    // Always written: a value that is not a number (`null`, a string) is ignored by
    // `prompt_tokens`, which then counts every user message, and only one is kept.
    meta.insert("sum_user_tokens".into(), prompt.into());
    record.conv_metadata = Some(Value::Object(meta));
    let first_user = record
        .conversation_a
        .iter()
        .position(|m| m.role == "user")
        .map(|i| record.conversation_a.swap_remove(i));
    record.conversation_a = first_user.into_iter().collect();
    record.conversation_b = Vec::new();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratings::{CiMethod, FilterOptions, LeaderboardOptions, compute_leaderboard};
    use crate::record::Message;

    #[test]
    fn slimmed_records_rate_exactly_as_the_full_ones() {
        let mut full = crate::ratings::synthetic::synthetic_battles(600, 5, 9);
        for (i, r) in full.iter_mut().enumerate() {
            let long = if i % 4 == 0 {
                "x".repeat(9000)
            } else {
                String::new()
            };
            // Repeated prompts (dedup), long ones (long-query), Markdown of varying weight
            // on each side (style control).
            r.conversation_a = vec![
                Message::user(format!("prompt {} {long}", i % 50)),
                Message::assistant("# Title\n\n- one\n- two\n\n**bold**\n\n".repeat(1 + i % 3)),
                Message::user("and then?"),
                Message::assistant("more"),
            ];
            r.conversation_b = vec![
                Message::user(format!("prompt {} {long}", i % 50)),
                Message::assistant("## Part\n\nplain text answer\n\n".repeat(i % 5)),
            ];
            if i % 7 == 0 {
                r.conv_metadata = Some(serde_json::json!({"sum_user_tokens": 3000, "other": 1}));
            } else if i % 11 == 0 {
                // Not a number: the prompt length comes from all the user messages.
                r.conv_metadata = Some(serde_json::json!({"sum_user_tokens": null}));
                r.conversation_a[2] = Message::user("y".repeat(4000));
            }
        }
        let mut slim = full.clone();
        slim.iter_mut().for_each(slim_for_ratings);
        assert!(
            slim.iter()
                .all(|r| r.conversation_a.len() == 1 && r.conversation_b.is_empty())
        );
        // Dedup reads the same prompt key (its percentile cap needs far more prompts than a
        // unit test has to bite, so the key is compared directly).
        for (x, y) in full.iter().zip(&slim) {
            assert_eq!(crate::dedup::DedupKey::of(x), crate::dedup::DedupKey::of(y));
        }
        for (category, style_control) in [(None, true), (Some("long-query"), false), (None, false)]
        {
            let opts = LeaderboardOptions {
                ci: CiMethod::Bootstrap { rounds: 20 },
                style_control,
                filter: FilterOptions {
                    category: category.map(str::to_string),
                    ..FilterOptions::default()
                },
                ..LeaderboardOptions::default()
            };
            let (x, y) = (
                compute_leaderboard(&full, &opts).unwrap(),
                compute_leaderboard(&slim, &opts).unwrap(),
            );
            assert_eq!(x, y, "{category:?}, style control {style_control}");
        }
    }
}
