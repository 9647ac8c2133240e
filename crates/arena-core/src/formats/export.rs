//! Exports: FastChat clean battles, preference pairs for reward-model training, and an
//! anonymised copy of the votes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::record::{Message, VoteRecord, Winner};

/// A FastChat "clean battle" element: FastChat's fields only, under their exact names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanBattle<'a> {
    pub question_id: &'a str,
    pub model_a: &'a str,
    pub model_b: &'a str,
    pub winner: Winner,
    pub judge: &'a str,
    pub conversation_a: &'a [Message],
    pub conversation_b: &'a [Message],
    pub turn: u32,
    pub anony: bool,
    pub language: &'a str,
    pub tstamp: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conv_metadata: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedup_tag: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_tag: Option<&'a serde_json::Value>,
}

impl<'a> CleanBattle<'a> {
    pub fn from_record(r: &'a VoteRecord) -> Self {
        CleanBattle {
            question_id: &r.question_id,
            model_a: &r.model_a,
            model_b: &r.model_b,
            winner: r.winner,
            judge: &r.judge,
            conversation_a: &r.conversation_a,
            conversation_b: &r.conversation_b,
            turn: r.turn,
            anony: r.anony,
            language: &r.language,
            tstamp: r.tstamp,
            conv_metadata: r.conv_metadata.as_ref(),
            dedup_tag: r.dedup_tag.as_ref(),
            category_tag: r.category_tag.as_ref(),
        }
    }
}

/// A preference pair: the prompt, the preferred and the rejected answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferencePair {
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
}

/// The preference pair of a decisive battle: the first user message and each side's first
/// answer to it (later turns are skipped, since the two conversations diverge after the
/// first answer). `None` for ties of either kind and for battles without both answers.
pub fn preference_pair(r: &VoteRecord) -> Option<PreferencePair> {
    let first = |c: &[Message]| -> Option<(String, String)> {
        let u = c.iter().position(|m| m.role == "user")?;
        let a = c[u + 1..].iter().find(|m| m.role == "assistant")?;
        Some((c[u].content.clone(), a.content.clone()))
    };
    let (prompt, a) = first(&r.conversation_a)?;
    let (_, b) = first(&r.conversation_b)?;
    let (chosen, rejected) = match r.winner {
        Winner::ModelA => (a, b),
        Winner::ModelB => (b, a),
        Winner::Tie | Winner::TieBothBad => return None,
    };
    Some(PreferencePair {
        prompt,
        chosen,
        rejected,
    })
}

/// Anonymises records for sharing: conversations dropped, judges replaced by pseudonyms
/// (`judge-1`, `judge-2`, … in order of first appearance, consistent across one export), and
/// `arena_id` removed. Vote ids, models, verdicts, times, categories, flags and style
/// metadata are kept, so the export still rates and still merges by id.
#[derive(Debug, Default)]
pub struct Anonymiser {
    judges: HashMap<String, String>,
}

impl Anonymiser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn anonymise(&mut self, r: &VoteRecord) -> VoteRecord {
        let next = self.judges.len() + 1;
        let judge = if r.judge.is_empty() {
            String::new()
        } else {
            self.judges
                .entry(r.judge.clone())
                .or_insert_with(|| format!("judge-{next}"))
                .clone()
        };
        VoteRecord {
            judge,
            conversation_a: Vec::new(),
            conversation_b: Vec::new(),
            arena_id: String::new(),
            ..r.clone()
        }
    }
}

/// The formats a set of votes can be exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// Arena's JSON lines (FastChat's field names plus ours).
    Jsonl,
    /// A FastChat clean-battle JSON array (FastChat's fields only).
    FastchatJson,
    /// CSV with the battle fields.
    Csv,
    /// Preference pairs (`prompt, chosen, rejected`) as JSON lines; ties are left out.
    Dpo,
    /// Arena's JSON lines without conversations, judges pseudonymous.
    Anonymised,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Jsonl,
        ExportFormat::FastchatJson,
        ExportFormat::Csv,
        ExportFormat::Dpo,
        ExportFormat::Anonymised,
    ];

    /// A file name for the export.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "arena-votes.jsonl",
            ExportFormat::FastchatJson => "arena-votes-fastchat.json",
            ExportFormat::Csv => "arena-votes.csv",
            ExportFormat::Dpo => "arena-preference-pairs.jsonl",
            ExportFormat::Anonymised => "arena-votes-anonymised.jsonl",
        }
    }

    /// The file's media type.
    pub fn mime(self) -> &'static str {
        match self {
            ExportFormat::Jsonl | ExportFormat::Dpo | ExportFormat::Anonymised => {
                "application/x-ndjson"
            }
            ExportFormat::FastchatJson => "application/json",
            ExportFormat::Csv => "text/csv",
        }
    }
}

/// How many records an export wrote, and how many it had to leave out (ties and battles
/// without both answers have no preference pair).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCount {
    pub written: usize,
    pub skipped: usize,
}

/// Writes `records` to `w` in `format`, with the format writers of this module and its
/// siblings.
pub fn export_records<'a, W: std::io::Write>(
    format: ExportFormat,
    records: impl IntoIterator<Item = &'a VoteRecord>,
    mut w: W,
) -> std::io::Result<ExportCount> {
    let mut n = ExportCount::default();
    match format {
        ExportFormat::Jsonl => {
            for r in records {
                super::jsonl::write_record(&mut w, r)?;
                n.written += 1;
            }
        }
        ExportFormat::Anonymised => {
            let mut an = Anonymiser::new();
            for r in records {
                super::jsonl::write_record(&mut w, &an.anonymise(r))?;
                n.written += 1;
            }
        }
        ExportFormat::Dpo => {
            for r in records {
                if let Some(p) = preference_pair(r) {
                    serde_json::to_writer(&mut w, &p)?;
                    w.write_all(b"\n")?;
                    n.written += 1;
                } else {
                    n.skipped += 1;
                }
            }
        }
        ExportFormat::FastchatJson => {
            let mut jw = super::json_array::JsonArrayWriter::new(&mut w);
            for r in records {
                jw.write(&CleanBattle::from_record(r))?;
                n.written += 1;
            }
            jw.finish()?;
        }
        ExportFormat::Csv => {
            let mut cw = super::csv::CsvWriter::new(&mut w).map_err(std::io::Error::other)?;
            for r in records {
                cw.write(r).map_err(std::io::Error::other)?;
                n.written += 1;
            }
            cw.finish().map_err(std::io::Error::other)?;
        }
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_format_reads_back_where_it_is_an_input_format() {
        let records = vec![rec("model_a"), rec("tie"), {
            let mut r = rec("model_b");
            r.id = "v2".into();
            r
        }];
        for format in ExportFormat::ALL {
            let mut out = Vec::new();
            let n = export_records(format, &records, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            if format == ExportFormat::Dpo {
                assert_eq!((n.written, n.skipped), (2, 1));
                let pairs: Vec<PreferencePair> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert_eq!(pairs[1].chosen, "B");
                continue;
            }
            assert_eq!(n.written, 3, "{format:?}");
            let back = crate::formats::read_all(&text).unwrap();
            let winners: Vec<Winner> = back.iter().map(|r| r.winner).collect();
            assert_eq!(
                winners,
                [Winner::ModelA, Winner::Tie, Winner::ModelB],
                "{format:?}"
            );
            if format == ExportFormat::Jsonl {
                assert_eq!(back, records);
            }
            if format == ExportFormat::Anonymised {
                assert!(!text.contains("alice"));
            }
        }
    }

    fn rec(winner: &str) -> VoteRecord {
        serde_json::from_str(&format!(
            r#"{{"id":"v1","model_a":"a","model_b":"b","winner":"{winner}","judge":"alice@example",
            "arena_id":"team","conversation_a":[{{"role":"user","content":"Q"}},{{"role":"assistant","content":"A"}}],
            "conversation_b":[{{"role":"user","content":"Q"}},{{"role":"assistant","content":"B"}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn preference_pairs_follow_the_winner_and_skip_ties() {
        let p = preference_pair(&rec("model_b")).unwrap();
        assert_eq!(
            (p.prompt.as_str(), p.chosen.as_str(), p.rejected.as_str()),
            ("Q", "B", "A")
        );
        let p = preference_pair(&rec("model_a")).unwrap();
        assert_eq!(p.chosen, "A");
        assert!(preference_pair(&rec("tie")).is_none());
        assert!(preference_pair(&rec("tie (bothbad)")).is_none());
    }

    #[test]
    fn anonymised_records_keep_no_text_and_no_judge_name() {
        let mut an = Anonymiser::new();
        let a = an.anonymise(&rec("model_a"));
        let mut other = rec("model_b");
        other.judge = "bob".into();
        let b = an.anonymise(&other);
        let again = an.anonymise(&rec("tie"));
        assert!(a.conversation_a.is_empty() && a.conversation_b.is_empty());
        assert_eq!(
            (a.judge.as_str(), b.judge.as_str(), again.judge.as_str()),
            ("judge-1", "judge-2", "judge-1")
        );
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains("alice") && !text.contains("team") && !text.contains("\"Q\""));
        assert_eq!(a.id, "v1");
    }

    #[test]
    fn clean_battle_has_only_fastchat_fields() {
        let r = rec("model_a");
        let v = serde_json::to_value(CleanBattle::from_record(&r)).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 11, "{keys:?}");
        assert!(v.get("id").is_none() && v.get("arena_id").is_none());
    }
}
