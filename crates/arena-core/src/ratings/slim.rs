//! Records reduced to what the ratings read, for large files.
//!
//! Most of a vote's size is text and metadata the ratings never read. Of the conversations
//! they read the style counts of each side (style control), the prompt's length (the
//! long-query category) and the first user message (dedup); of FastChat's metadata, the same
//! counts, `dedup_tag.sampled` and the tags set in `category_tag`. [`slim_for_ratings`] keeps
//! exactly that: the counts as plain numbers in `conv_metadata` under FastChat's own keys,
//! the first user message, the sampled flag and the true tags. A FastChat clean-battle record
//! carries dozens of nested metadata entries (a few KB in memory each record), so this is
//! what lets the public data set be held for ratings; every leaderboard of the slimmed
//! records equals that of the full ones.

use serde_json::{Map, Value};

use super::style::record_style_counts;
use crate::categories::prompt_tokens;
use crate::record::VoteRecord;

/// Reduces `record` to what the ratings read (module docs). Identity-leak detection reads
/// the full text: run it before.
pub fn slim_for_ratings(record: &mut VoteRecord) {
    let has_text = !record.conversation_a.is_empty() || !record.conversation_b.is_empty();
    if has_text || record.conv_metadata.is_some() {
        let (a, b) = record_style_counts(record);
        let mut meta = Map::new();
        for (side, c) in [("a", a), ("b", b)] {
            meta.insert(format!("sum_assistant_{side}_tokens"), c.tokens.into());
            meta.insert(format!("header_count_{side}"), c.headers.into());
            meta.insert(format!("list_count_{side}"), c.list_items.into());
            meta.insert(format!("bold_count_{side}"), c.bold.into());
        }
        // As `prompt_tokens` reads it: the metadata's number, else all the user messages
        // (of which only the first is kept).
        meta.insert("sum_user_tokens".into(), prompt_tokens(record).into());
        record.conv_metadata = Some(Value::Object(meta));
    }
    if has_text {
        let first_user = record
            .conversation_a
            .iter()
            .position(|m| m.role == "user")
            .map(|i| record.conversation_a.swap_remove(i));
        record.conversation_a = first_user.into_iter().collect();
        record.conversation_b = Vec::new();
    }
    if let Some(tag) = record.dedup_tag.take() {
        record.dedup_tag = tag
            .get("sampled")
            .and_then(Value::as_bool)
            .map(|b| serde_json::json!({ "sampled": b }));
    }
    if let Some(Value::Object(tags)) = record.category_tag.take() {
        let kept: Map<String, Value> = tags
            .into_iter()
            .filter_map(|(outer, inner)| {
                let Value::Object(inner) = inner else {
                    return None;
                };
                let set: Map<String, Value> = inner
                    .into_iter()
                    .filter(|(_, v)| v.as_bool() == Some(true))
                    .collect();
                (!set.is_empty()).then_some((outer, Value::Object(set)))
            })
            .collect();
        record.category_tag = (!kept.is_empty()).then_some(Value::Object(kept));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratings::Leaderboard;
    use crate::ratings::{CiMethod, FilterOptions, LeaderboardOptions, compute_leaderboard};
    use crate::record::Message;

    /// Slims a copy of `full`; checks that every case (category, style control) ranks the
    /// slimmed records exactly as the full ones. Returns the slimmed records and the full
    /// records' leaderboards.
    fn rank_both(
        full: &[VoteRecord],
        ci: CiMethod,
        cases: &[(Option<&str>, bool)],
    ) -> (Vec<VoteRecord>, Vec<Leaderboard>) {
        let mut slim = full.to_vec();
        slim.iter_mut().for_each(slim_for_ratings);
        let boards = cases
            .iter()
            .map(|&(category, style_control)| {
                let opts = LeaderboardOptions {
                    ci,
                    style_control,
                    filter: FilterOptions {
                        category: category.map(str::to_string),
                        ..FilterOptions::default()
                    },
                    ..LeaderboardOptions::default()
                };
                let x = compute_leaderboard(full, &opts).unwrap();
                let y = compute_leaderboard(&slim, &opts).unwrap();
                assert_eq!(x, y, "{category:?}, style control {style_control}");
                x
            })
            .collect();
        (slim, boards)
    }

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
        let (slim, _) = rank_both(
            &full,
            CiMethod::Bootstrap { rounds: 20 },
            &[(None, true), (Some("long-query"), false), (None, false)],
        );
        assert!(
            slim.iter()
                .all(|r| r.conversation_a.len() == 1 && r.conversation_b.is_empty())
        );
        // Dedup reads the same prompt key (its percentile cap needs far more prompts than a
        // unit test has to bite, so the key is compared directly).
        for (x, y) in full.iter().zip(&slim) {
            assert_eq!(crate::dedup::DedupKey::of(x), crate::dedup::DedupKey::of(y));
        }
    }

    #[test]
    fn fastchat_metadata_is_compacted_and_rates_the_same() {
        let mut full = crate::ratings::synthetic::synthetic_battles(900, 6, 4);
        for (i, r) in full.iter_mut().enumerate() {
            // The shape of FastChat's clean-battle records: no conversations, nested counts.
            let n = |k: usize| serde_json::json!((i * k) % 13);
            r.conv_metadata = Some(serde_json::json!({
                "sum_user_tokens": (i * 37) % 900, "sum_assistant_a_tokens": (i * 17) % 700,
                "sum_assistant_b_tokens": (i * 29) % 800, "context_a_tokens": 5, "turns": 1,
                "header_count_a": {"h1": n(1), "h2": n(2), "h3": 0, "h4": 0, "h5": 0, "h6": 0},
                "header_count_b": {"h1": n(3), "h2": 0, "h3": 0, "h4": 0, "h5": 0, "h6": 0},
                "list_count_a": {"ordered": n(5), "unordered": n(7)},
                "list_count_b": {"ordered": n(11), "unordered": 0},
                "bold_count_a": {"**": n(4), "__": 0}, "bold_count_b": {"**": n(6), "__": 0},
            }));
            r.dedup_tag = Some(serde_json::json!({"high_freq": i % 3 == 0, "sampled": i % 9 != 0}));
            r.category_tag = Some(serde_json::json!({
                "math_v0.1": {"math": i % 4 == 0},
                "if_v0.1": {"if": i % 5 == 0, "score": 3},
                "criteria_v0.1": {"specificity": true, "creativity": i % 2 == 0},
            }));
        }
        let cases = [
            (None, true),
            (Some("math"), false),
            (Some("creativity"), true),
            (Some("long-query"), false),
            (Some("if"), false),
        ];
        let (slim, boards) = rank_both(&full, CiMethod::Sandwich, &cases);
        let r = &slim[0];
        assert_eq!(
            r.conv_metadata
                .as_ref()
                .and_then(Value::as_object)
                .map(Map::len),
            Some(9)
        );
        assert_eq!(r.dedup_tag, Some(serde_json::json!({"sampled": false})));
        assert_eq!(
            r.category_tag,
            Some(
                serde_json::json!({"math_v0.1": {"math": true}, "if_v0.1": {"if": true},
                "criteria_v0.1": {"specificity": true, "creativity": true}})
            )
        );
        assert!(boards.iter().all(|x| x.summary.deduplicated > 0));
    }
}
