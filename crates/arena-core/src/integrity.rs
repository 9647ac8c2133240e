//! Vote integrity: votes cast after the reveal, and battles that leak a model's identity.
//!
//! A battle whose prompt or response names a contestant or its maker is *flagged* with
//! [`IDENTITY_LEAK`] (the record is kept) and excluded from ratings by default; a vote flagged
//! [`AFTER_REVEAL`] never counts.

use crate::record::VoteRecord;

/// Flag: the prompt or a response names a contestant or its maker.
pub const IDENTITY_LEAK: &str = "identity_leak";
/// Flag: the vote was cast after the model names were shown.
pub const AFTER_REVEAL: &str = "after_reveal";

/// Makers and model families whose names give a contestant away.
const MAKERS: [&str; 22] = [
    "openai",
    "chatgpt",
    "gpt-",
    "anthropic",
    "claude",
    "google",
    "gemini",
    "gemma",
    "deepmind",
    "meta ai",
    "llama",
    "mistral",
    "mixtral",
    "alibaba",
    "qwen",
    "deepseek",
    "xai",
    "grok",
    "microsoft",
    "phi-",
    "cohere",
    "smollm",
];

/// Whether the record says it was voted after the reveal.
pub fn voted_after_reveal(record: &VoteRecord) -> bool {
    record.flags.iter().any(|f| f == AFTER_REVEAL)
}

/// Whether the record is flagged as an identity leak.
pub fn is_flagged_leak(record: &VoteRecord) -> bool {
    record.flags.iter().any(|f| f == IDENTITY_LEAK)
}

/// Whether the prompt or a response names one of the two contestants or a model maker.
///
/// Names are matched case-insensitively as whole words: a contestant's full id
/// (`gpt-4o-mini`), its first dash-separated part when that is at least four letters
/// (`claude`), and a fixed list of makers and model families.
pub fn detect_identity_leak(record: &VoteRecord) -> bool {
    let mut needles: Vec<String> = MAKERS.iter().map(|s| (*s).to_string()).collect();
    for m in [&record.model_a, &record.model_b] {
        let m = m.to_lowercase();
        if let Some(first) = m.split(['-', '_', ' ', '/', ':']).next()
            && first.len() >= 4
        {
            needles.push(first.to_string());
        }
        if !m.is_empty() {
            needles.push(m);
        }
    }
    record
        .conversation_a
        .iter()
        .chain(&record.conversation_b)
        .any(|msg| {
            let text = msg.content.to_lowercase();
            needles.iter().any(|n| contains_word(&text, n))
        })
}

/// Adds the [`IDENTITY_LEAK`] flag to every record that leaks and does not have it yet;
/// returns how many were newly flagged.
pub fn flag_identity_leaks(records: &mut [VoteRecord]) -> usize {
    records
        .iter_mut()
        .map(flag_identity_leak)
        .filter(|&f| f)
        .count()
}

/// Flags one record as an identity leak when it names a contestant; true when it was newly
/// flagged.
pub fn flag_identity_leak(record: &mut VoteRecord) -> bool {
    let leak = !is_flagged_leak(record) && detect_identity_leak(record);
    if leak {
        record.flags.push(IDENTITY_LEAK.to_string());
    }
    leak
}

/// `needle` occurs in `text` with no letter or digit right before or after it (a needle
/// ending in `-` only needs the boundary before it).
fn contains_word(text: &str, needle: &str) -> bool {
    let open_end = needle.ends_with('-');
    let mut from = 0;
    while let Some(pos) = text[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = open_end
            || text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Message;

    fn rec(prompt: &str, a: &str, b: &str) -> VoteRecord {
        let mut r: VoteRecord = serde_json::from_str(
            r#"{"model_a":"claude-3-haiku","model_b":"vicuna-13b","winner":"model_a"}"#,
        )
        .unwrap();
        r.conversation_a = vec![Message::user(prompt), Message::assistant(a)];
        r.conversation_b = vec![Message::user(prompt), Message::assistant(b)];
        r
    }

    #[test]
    fn a_response_naming_its_maker_is_detected() {
        assert!(detect_identity_leak(&rec(
            "who are you?",
            "I am Claude.",
            "Hi"
        )));
        assert!(detect_identity_leak(&rec(
            "hi",
            "hello",
            "I was trained by OpenAI"
        )));
        assert!(detect_identity_leak(&rec(
            "hi",
            "ok",
            "I'm Vicuna-13B, made by LMSYS"
        )));
    }

    #[test]
    fn plain_battles_and_substrings_are_not_flagged() {
        assert!(!detect_identity_leak(&rec(
            "write a haiku",
            "snow falls",
            "leaves"
        )));
        // "metadata", "xaiver", "grokking" contain maker names but not as words.
        assert!(!detect_identity_leak(&rec(
            "parse metadata",
            "xaiver",
            "grokking"
        )));
    }

    #[test]
    fn flagging_marks_records_once() {
        let mut rs = vec![rec("hi", "I am Claude", "x"), rec("hi", "a", "b")];
        assert_eq!(flag_identity_leaks(&mut rs), 1);
        assert_eq!(flag_identity_leaks(&mut rs), 0);
        assert!(is_flagged_leak(&rs[0]));
        assert!(!is_flagged_leak(&rs[1]));
    }
}
