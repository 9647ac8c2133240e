//! Prompt dedup: prompts repeated beyond the 99.99th percentile of prompt counts are
//! down-sampled to that count (FastChat's `dedup_tag`).
//!
//! When a record carries FastChat's `dedup_tag` with a `sampled` boolean, that decision is
//! used as is; the others are deduplicated here, by the text of their first user message.

use std::collections::HashMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::ratings::ci::quantile;
use crate::record::VoteRecord;

/// Percentile of the prompt counts above which a prompt is down-sampled.
pub const DEDUP_PERCENTILE: f64 = 99.99;

/// The key that identifies a prompt: the first user message, trimmed.
pub fn prompt_key(record: &VoteRecord) -> Option<&str> {
    record
        .conversation_a
        .iter()
        .find(|m| m.role == "user")
        .map(|m| m.content.trim())
        .filter(|s| !s.is_empty())
}

/// What dedup reads of a record: FastChat's own `dedup_tag.sampled` decision, if any, and
/// the prompt key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupKey<'a> {
    pub sampled: Option<bool>,
    pub prompt: Option<&'a str>,
}

impl<'a> DedupKey<'a> {
    pub fn of(record: &'a VoteRecord) -> Self {
        let sampled = record
            .dedup_tag
            .as_ref()
            .and_then(|t| t.get("sampled"))
            .and_then(serde_json::Value::as_bool);
        DedupKey {
            sampled,
            prompt: if sampled.is_some() {
                None
            } else {
                prompt_key(record)
            },
        }
    }
}

/// Returns, for each record, whether it is kept after dedup. Deterministic given `seed`.
pub fn dedup_keep(records: &[&VoteRecord], seed: u64) -> Vec<bool> {
    let keys: Vec<DedupKey> = records.iter().map(|r| DedupKey::of(r)).collect();
    dedup_keep_keys(&keys, seed)
}

/// [`dedup_keep`] on keys already read from the records.
pub fn dedup_keep_keys(keys: &[DedupKey], seed: u64) -> Vec<bool> {
    let mut keep = vec![true; keys.len()];
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(sampled) = k.sampled {
            keep[i] = sampled;
        } else if let Some(p) = k.prompt {
            groups.entry(p).or_default().push(i);
        }
    }
    if groups.is_empty() {
        return keep;
    }
    let counts: Vec<f64> = groups.values().map(|v| v.len() as f64).collect();
    let cap = quantile(&counts, DEDUP_PERCENTILE / 100.0).ceil().max(1.0);
    // Visit groups in a fixed order so the seeded draws do not depend on hashing.
    let mut keys: Vec<&str> = groups.keys().copied().collect();
    keys.sort_unstable();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for k in keys {
        let members = &groups[k];
        if members.len() as f64 > cap {
            let mut shuffled = members.clone();
            shuffled.shuffle(&mut rng);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            for &i in &shuffled[cap as usize..] {
                keep[i] = false;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Message;

    fn rec(prompt: &str) -> VoteRecord {
        let mut r: VoteRecord =
            serde_json::from_str(r#"{"model_a":"a","model_b":"b","winner":"model_a"}"#).unwrap();
        r.conversation_a = vec![Message::user(prompt)];
        r
    }

    #[test]
    fn a_flooded_prompt_is_down_sampled_to_the_percentile() {
        // 20,000 distinct prompts once each, one prompt 500 times. Sorted counts: 20,000 ones
        // then 500; the 99.99th percentile sits at position 0.9999 · 20000 = 19998, between
        // two ones, so the cap is 1 and the flood keeps a single battle.
        let mut rs: Vec<VoteRecord> = (0..20_000).map(|i| rec(&format!("p{i}"))).collect();
        rs.extend((0..500).map(|_| rec("hello")));
        let refs: Vec<&VoteRecord> = rs.iter().collect();
        let keep = dedup_keep(&refs, 3);
        let kept_hello = keep[20_000..].iter().filter(|k| **k).count();
        assert_eq!(kept_hello, 1);
        assert!(keep[..20_000].iter().all(|k| *k));
        assert_eq!(keep, dedup_keep(&refs, 3), "seeded, so reproducible");
    }

    #[test]
    fn fastchat_dedup_tag_is_respected() {
        let mut r = rec("x");
        r.dedup_tag = Some(serde_json::json!({"high_freq": true, "sampled": false}));
        let keep = dedup_keep(&[&r, &rec("y")], 0);
        assert_eq!(keep, vec![false, true]);
    }
}
