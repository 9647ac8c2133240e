//! The vote record: FastChat's "clean battle" shape plus Arena's own fields.
//!
//! FastChat's analysis scripts read the fields `question_id, model_a, model_b, winner, judge,
//! conversation_a, conversation_b, turn, anony, language, tstamp` (and `conv_metadata`,
//! `dedup_tag`, `category_tag` when present). Arena writes all of them, under those exact
//! names, and adds `id`, `arena_id`, `categories`, `flags`, `app_version` and `schema`.

use serde::{Deserialize, Serialize};

/// Version of Arena's own record layout, written as `schema` in every record.
pub const RECORD_SCHEMA: u32 = 1;

/// The judge's verdict, with FastChat's exact labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Winner {
    #[serde(rename = "model_a")]
    ModelA,
    #[serde(rename = "model_b")]
    ModelB,
    #[serde(rename = "tie")]
    Tie,
    /// LMArena's newer data sets write `both_bad`; it means the same thing.
    #[serde(rename = "tie (bothbad)", alias = "both_bad")]
    TieBothBad,
}

impl Winner {
    /// All verdicts, in FastChat's order.
    pub const ALL: [Winner; 4] = [
        Winner::ModelA,
        Winner::ModelB,
        Winner::Tie,
        Winner::TieBothBad,
    ];

    /// FastChat's label for this verdict.
    pub fn label(self) -> &'static str {
        match self {
            Winner::ModelA => "model_a",
            Winner::ModelB => "model_b",
            Winner::Tie => "tie",
            Winner::TieBothBad => "tie (bothbad)",
        }
    }

    /// Parses a FastChat or LMArena label; anything else is rejected.
    pub fn from_label(label: &str) -> Option<Winner> {
        match label {
            "model_a" => Some(Winner::ModelA),
            "model_b" => Some(Winner::ModelB),
            "tie" => Some(Winner::Tie),
            "tie (bothbad)" | "both_bad" => Some(Winner::TieBothBad),
            _ => None,
        }
    }

    /// Score of model A: 1 for a win, 0 for a loss, 0.5 for a tie of either kind.
    pub fn score_a(self) -> f64 {
        match self {
            Winner::ModelA => 1.0,
            Winner::ModelB => 0.0,
            Winner::Tie | Winner::TieBothBad => 0.5,
        }
    }

    /// Whether this verdict is a tie of either kind.
    pub fn is_tie(self) -> bool {
        matches!(self, Winner::Tie | Winner::TieBothBad)
    }
}

/// One message of a conversation, in the OpenAI chat shape FastChat uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: "assistant".into(),
            content: content.into(),
        }
    }
}

/// One judged battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteRecord {
    /// UUIDv7 string; the dedup key when pooling and syncing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Arena's record layout version; absent in FastChat data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arena_id: String,
    #[serde(default)]
    pub question_id: String,
    pub model_a: String,
    pub model_b: String,
    pub winner: Winner,
    #[serde(default)]
    pub judge: String,
    #[serde(default)]
    pub conversation_a: Vec<Message>,
    #[serde(default)]
    pub conversation_b: Vec<Message>,
    #[serde(default = "one")]
    pub turn: u32,
    #[serde(default = "yes")]
    pub anony: bool,
    #[serde(default)]
    pub language: String,
    /// Seconds since the Unix epoch, as FastChat writes it.
    #[serde(default)]
    pub tstamp: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv_metadata: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_tag: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_tag: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
}

/// `turn`'s default (also the ratings' JSON view's, `formats::rows`).
pub(crate) fn one() -> u32 {
    1
}

/// `anony`'s default.
pub(crate) fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winner_labels_round_trip_through_serde() {
        for w in Winner::ALL {
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(json, format!("\"{}\"", w.label()));
            assert_eq!(serde_json::from_str::<Winner>(&json).unwrap(), w);
            assert_eq!(Winner::from_label(w.label()), Some(w));
        }
    }

    #[test]
    fn both_bad_reads_as_tie_bothbad() {
        assert_eq!(
            serde_json::from_str::<Winner>("\"both_bad\"").unwrap(),
            Winner::TieBothBad
        );
        assert_eq!(Winner::from_label("both_bad"), Some(Winner::TieBothBad));
    }

    #[test]
    fn unknown_winner_label_is_rejected() {
        assert!(serde_json::from_str::<Winner>("\"model_c\"").is_err());
        assert_eq!(Winner::from_label("A"), None);
    }

    #[test]
    fn fastchat_clean_battle_reads_with_defaults() {
        let line = r#"{"question_id":"q1","model_a":"gpt-4","model_b":"claude-1",
            "winner":"tie (bothbad)","judge":"arena_user_1","turn":1,"anony":true,
            "language":"English","tstamp":1682000000.5,
            "conversation_a":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],
            "conversation_b":[{"role":"user","content":"hi"},{"role":"assistant","content":"hey"}]}"#;
        let r: VoteRecord = serde_json::from_str(line).unwrap();
        assert_eq!(r.winner, Winner::TieBothBad);
        assert_eq!(r.model_a, "gpt-4");
        assert!(r.id.is_empty());
        assert_eq!(r.conversation_b[1].content, "hey");
        // Written back, FastChat's field names are all there and ours are omitted when empty.
        let v = serde_json::to_value(&r).unwrap();
        for k in [
            "question_id",
            "model_a",
            "model_b",
            "winner",
            "judge",
            "conversation_a",
            "conversation_b",
            "turn",
            "anony",
            "language",
            "tstamp",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert!(v.get("id").is_none());
    }

    #[test]
    fn scores_count_ties_as_half() {
        assert!((Winner::Tie.score_a() - 0.5).abs() < f64::EPSILON);
        assert!((Winner::TieBothBad.score_a() - 0.5).abs() < f64::EPSILON);
        assert!((Winner::ModelA.score_a() - 1.0).abs() < f64::EPSILON);
        assert!(Winner::ModelB.score_a().abs() < f64::EPSILON);
    }
}
