//! Pooling exports: merge many sources, drop repeated votes by id, say what came from where.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::record::VoteRecord;

/// What one source contributed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub source: String,
    /// Records read from the source.
    pub read: u64,
    /// Records new to the pool.
    pub added: u64,
    /// Records whose vote was already in the pool.
    pub duplicates: u64,
    /// Bad records skipped (counted by the caller through [`Pool::bad_record`]).
    pub bad: u64,
}

/// A dedup-by-id pool of votes.
#[derive(Debug, Default)]
pub struct Pool {
    seen: HashSet<String>,
    reports: Vec<SourceReport>,
}

/// The key a vote is deduplicated by: its id; for a record without one (FastChat data), the
/// name-based id of its question, models, verdict, judge and time together — the id
/// [`with_id`] gives it, so a FastChat file and an export of it after import pool as one.
pub fn vote_key(r: &VoteRecord) -> String {
    if r.id.is_empty() {
        crate::id::content_id(&content_key(r))
    } else {
        r.id.clone()
    }
}

fn content_key(r: &VoteRecord) -> String {
    format!(
        "\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        r.question_id,
        r.model_a,
        r.model_b,
        r.winner.label(),
        r.judge,
        r.tstamp.to_bits()
    )
}

/// The record with an id: its own, or for a record without one the name-based id of its
/// content ([`vote_key`]), so the same FastChat row always gets the same id.
pub fn with_id(mut r: VoteRecord) -> VoteRecord {
    if r.id.is_empty() {
        r.id = vote_key(&r);
    }
    r
}

impl Pool {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new source; later calls count towards it.
    pub fn begin_source(&mut self, name: impl Into<String>) {
        self.reports.push(SourceReport {
            source: name.into(),
            ..SourceReport::default()
        });
    }

    fn current(&mut self) -> &mut SourceReport {
        if self.reports.is_empty() {
            self.begin_source("");
        }
        self.reports.last_mut().expect("a source exists")
    }

    /// Offers a record; returns true when it is new (the caller keeps it).
    pub fn offer(&mut self, r: &VoteRecord) -> bool {
        let new = self.seen.insert(vote_key(r));
        let rep = self.current();
        rep.read += 1;
        if new {
            rep.added += 1;
        } else {
            rep.duplicates += 1;
        }
        new
    }

    /// Counts a bad record that the caller skipped.
    pub fn bad_record(&mut self) {
        self.current().bad += 1;
    }

    pub fn reports(&self) -> &[SourceReport] {
        &self.reports
    }

    /// Distinct votes so far.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, judge: &str) -> VoteRecord {
        serde_json::from_str(&format!(
            r#"{{"id":"{id}","model_a":"a","model_b":"b","winner":"model_a","judge":"{judge}"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn records_without_an_id_get_the_same_id_each_time() {
        let a = with_id(rec("", "x"));
        assert_eq!(a.id, with_id(rec("", "x")).id);
        assert_ne!(
            a.id,
            with_id(rec("", "z")).id,
            "another judge, another vote"
        );
        assert_eq!(with_id(rec("7", "x")).id, "7", "an id is kept");
        // A FastChat row and its imported copy (now with an id) pool as one vote.
        let mut p = Pool::new();
        assert!(p.offer(&rec("", "x")));
        assert!(!p.offer(&a));
    }

    #[test]
    fn dedups_by_id_and_reports_per_source() {
        let mut p = Pool::new();
        p.begin_source("alice.jsonl");
        assert!(p.offer(&rec("1", "x")));
        assert!(p.offer(&rec("2", "x")));
        p.begin_source("bob.jsonl");
        assert!(!p.offer(&rec("2", "y")), "same id, same vote");
        assert!(p.offer(&rec("3", "y")));
        p.bad_record();
        // Without ids, identical FastChat rows are one vote; a different judge is another.
        assert!(p.offer(&rec("", "x")));
        assert!(!p.offer(&rec("", "x")));
        assert!(p.offer(&rec("", "z")));
        assert_eq!(p.len(), 5);
        let r = p.reports();
        assert_eq!((r[0].read, r[0].added, r[0].duplicates), (2, 2, 0));
        assert_eq!(
            (r[1].read, r[1].added, r[1].duplicates, r[1].bad),
            (5, 3, 2, 1)
        );
    }
}
