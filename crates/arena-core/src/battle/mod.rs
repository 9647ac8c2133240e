//! One battle: two contestants, the turns they answered, and the judge's vote.
//!
//! [`Battle`] is a plain state machine. The app feeds it what happens (a prompt sent, text
//! arriving for side A, side B failing, a vote) and renders what it says; every rule about
//! what may happen when — no vote while an answer is streaming or after a failure, no second
//! vote, names only after the vote — lives here, with native tests.

pub mod chat;
pub mod pairing;

use serde::{Deserialize, Serialize};

use crate::integrity::{IDENTITY_LEAK, detect_identity_leak};
use crate::record::{Message, RECORD_SCHEMA, VoteRecord, Winner};
use crate::store::Conversation;

/// Default limit on turns in one battle (FastChat's arena allows a handful too).
pub const DEFAULT_MAX_TURNS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::A, Side::B];

    pub fn letter(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// Who fights, as the battle knows them. Names stay inside until the vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fighter {
    /// The config's contestant id.
    pub id: String,
    /// Display name, shown after the vote.
    pub name: String,
    /// The model name written into the vote record (`model_a` / `model_b`).
    pub model: String,
}

/// Where one side's answer to the current turn stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnswerState {
    /// Sent, nothing received yet.
    Waiting,
    Streaming,
    Done {
        finish_reason: Option<String>,
    },
    /// The provider or the engine failed; the message is for the judge.
    Failed {
        message: String,
    },
    /// The judge pressed stop; what arrived is kept.
    Stopped,
}

impl AnswerState {
    pub fn is_active(&self) -> bool {
        matches!(self, AnswerState::Waiting | AnswerState::Streaming)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub text: String,
    /// Reasoning text some providers stream beside the answer.
    pub reasoning: String,
    pub state: AnswerState,
}

impl Answer {
    fn waiting() -> Self {
        Answer {
            text: String::new(),
            reasoning: String::new(),
            state: AnswerState::Waiting,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub prompt: String,
    pub a: Answer,
    pub b: Answer,
}

impl Turn {
    fn answer(&self, side: Side) -> &Answer {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    fn answer_mut(&mut self, side: Side) -> &mut Answer {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}

/// How the battle was fought: blind (counts for ratings) or with names shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Anonymous,
    /// Side by side, names known: stored with `anony: false`, left out of ratings by default.
    Named,
}

/// What the battle allows next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a (first or follow-up) prompt.
    Composing,
    /// At least one answer is still arriving.
    Answering,
    /// Both answers are in: the judge may vote (or ask a follow-up).
    Judging,
    /// A side failed: retry (regenerate) or start a new round; no vote possible.
    Failed,
    /// Voted and revealed.
    Voted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BattleError {
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("this battle has reached its limit of {0} turns; start a new round")]
    TurnLimit(usize),
    #[error("wait until both answers have finished")]
    StillAnswering,
    #[error("one side failed, so this battle cannot be judged; regenerate or start a new round")]
    SideFailed,
    #[error("this battle has already been voted on")]
    AlreadyVoted,
    #[error("there is nothing to judge yet")]
    NothingToJudge,
}

/// A battle between two contestants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Battle {
    /// UUIDv7 of the battle; the vote record takes the same id.
    pub id: String,
    pub arena_id: String,
    pub a: Fighter,
    pub b: Fighter,
    pub mode: Mode,
    pub turns: Vec<Turn>,
    pub max_turns: usize,
    pub vote: Option<Winner>,
    /// Category the judge tagged, if any.
    pub category: Option<String>,
}

impl Battle {
    pub fn new(id: String, arena_id: String, a: Fighter, b: Fighter, mode: Mode) -> Battle {
        Battle {
            id,
            arena_id,
            a,
            b,
            mode,
            turns: Vec::new(),
            max_turns: DEFAULT_MAX_TURNS,
            vote: None,
            category: None,
        }
    }

    pub fn fighter(&self, side: Side) -> &Fighter {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// The name to show for a side: "Model A" until the vote (in a blind battle), the real
    /// name after it.
    pub fn display_name(&self, side: Side) -> String {
        if self.mode == Mode::Named || self.vote.is_some() {
            self.fighter(side).name.clone()
        } else {
            format!("Model {}", side.letter())
        }
    }

    pub fn phase(&self) -> Phase {
        if self.vote.is_some() {
            return Phase::Voted;
        }
        let Some(last) = self.turns.last() else {
            return Phase::Composing;
        };
        let states = [&last.a.state, &last.b.state];
        if states.iter().any(|s| s.is_active()) {
            Phase::Answering
        } else if states
            .iter()
            .any(|s| matches!(s, AnswerState::Failed { .. }))
        {
            Phase::Failed
        } else {
            Phase::Judging
        }
    }

    /// Whether a follow-up prompt may be sent now.
    pub fn can_send(&self) -> bool {
        matches!(self.phase(), Phase::Composing | Phase::Judging)
            && self.turns.len() < self.max_turns
    }

    /// Starts a turn: both sides now wait for their answer to `prompt`.
    pub fn send(&mut self, prompt: &str) -> Result<(), BattleError> {
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(BattleError::EmptyPrompt);
        }
        match self.phase() {
            Phase::Voted => return Err(BattleError::AlreadyVoted),
            Phase::Answering => return Err(BattleError::StillAnswering),
            Phase::Failed => return Err(BattleError::SideFailed),
            Phase::Composing | Phase::Judging => {}
        }
        if self.turns.len() >= self.max_turns {
            return Err(BattleError::TurnLimit(self.max_turns));
        }
        self.turns.push(Turn {
            prompt: prompt.to_string(),
            a: Answer::waiting(),
            b: Answer::waiting(),
        });
        Ok(())
    }

    /// The conversation one side has seen, ending with the current prompt: what its next
    /// request sends. Earlier turns carry that side's own answers only.
    pub fn messages_for(&self, side: Side) -> Vec<Message> {
        let mut out = Vec::with_capacity(self.turns.len() * 2);
        let last = self.turns.len().saturating_sub(1);
        for (i, t) in self.turns.iter().enumerate() {
            out.push(Message::user(t.prompt.clone()));
            if i < last {
                out.push(Message::assistant(t.answer(side).text.clone()));
            }
        }
        out
    }

    fn current(&mut self, side: Side) -> Option<&mut Answer> {
        if self.vote.is_some() {
            return None;
        }
        self.turns.last_mut().map(|t| t.answer_mut(side))
    }

    /// Text arrived for a side. Ignored once that answer has ended (a late chunk after stop).
    pub fn push_text(&mut self, side: Side, delta: &str) {
        if let Some(a) = self.current(side)
            && a.state.is_active()
        {
            a.text.push_str(delta);
            a.state = AnswerState::Streaming;
        }
    }

    pub fn push_reasoning(&mut self, side: Side, delta: &str) {
        if let Some(a) = self.current(side)
            && a.state.is_active()
        {
            a.reasoning.push_str(delta);
            a.state = AnswerState::Streaming;
        }
    }

    pub fn finish(&mut self, side: Side, finish_reason: Option<String>) {
        if let Some(a) = self.current(side)
            && a.state.is_active()
        {
            a.state = AnswerState::Done { finish_reason };
        }
    }

    pub fn fail(&mut self, side: Side, message: String) {
        if let Some(a) = self.current(side)
            && a.state.is_active()
        {
            a.state = AnswerState::Failed { message };
        }
    }

    /// The judge stopped a side; what arrived so far stays and can be judged.
    pub fn stop(&mut self, side: Side) {
        if let Some(a) = self.current(side)
            && a.state.is_active()
        {
            a.state = AnswerState::Stopped;
        }
    }

    /// Clears the current turn's answers so both sides answer it again (after a failure, or
    /// because the judge wants fresh answers). Not allowed after the vote.
    pub fn regenerate(&mut self) -> Result<(), BattleError> {
        if self.vote.is_some() {
            return Err(BattleError::AlreadyVoted);
        }
        let last = self.turns.last_mut().ok_or(BattleError::NothingToJudge)?;
        last.a = Answer::waiting();
        last.b = Answer::waiting();
        Ok(())
    }

    /// Which sides are still answering (to abort their requests on stop or leave).
    pub fn active_sides(&self) -> Vec<Side> {
        self.turns.last().map_or_else(Vec::new, |t| {
            Side::BOTH
                .into_iter()
                .filter(|s| t.answer(*s).state.is_active())
                .collect()
        })
    }

    /// Whether a vote is possible now.
    pub fn can_vote(&self) -> Result<(), BattleError> {
        match self.phase() {
            Phase::Judging => Ok(()),
            Phase::Composing => Err(BattleError::NothingToJudge),
            Phase::Answering => Err(BattleError::StillAnswering),
            Phase::Failed => Err(BattleError::SideFailed),
            Phase::Voted => Err(BattleError::AlreadyVoted),
        }
    }

    /// Records the judge's verdict and reveals the names. Returns the vote record to store,
    /// flagged when the prompt or an answer gives a contestant away.
    pub fn vote(
        &mut self,
        winner: Winner,
        judge: &str,
        tstamp: f64,
        app_version: &str,
    ) -> Result<VoteRecord, BattleError> {
        self.can_vote()?;
        self.vote = Some(winner);
        let mut record = self.record(winner, judge, tstamp, app_version);
        if detect_identity_leak(&record) || self.names_leak() {
            record.flags.push(IDENTITY_LEAK.to_string());
        }
        Ok(record)
    }

    /// Whether any prompt or answer contains either fighter's display name.
    fn names_leak(&self) -> bool {
        let names: Vec<String> = [&self.a.name, &self.b.name]
            .iter()
            .map(|n| n.to_lowercase())
            .filter(|n| n.len() >= 3)
            .collect();
        self.turns.iter().any(|t| {
            [&t.prompt, &t.a.text, &t.b.text].iter().any(|text| {
                let text = text.to_lowercase();
                names.iter().any(|n| text.contains(n.as_str()))
            })
        })
    }

    fn conversation(&self, side: Side) -> Vec<Message> {
        let mut out = Vec::with_capacity(self.turns.len() * 2);
        for t in &self.turns {
            out.push(Message::user(t.prompt.clone()));
            out.push(Message::assistant(t.answer(side).text.clone()));
        }
        out
    }

    fn record(&self, winner: Winner, judge: &str, tstamp: f64, app_version: &str) -> VoteRecord {
        VoteRecord {
            id: self.id.clone(),
            schema: Some(RECORD_SCHEMA),
            arena_id: self.arena_id.clone(),
            question_id: self.id.clone(),
            model_a: self.a.model.clone(),
            model_b: self.b.model.clone(),
            winner,
            judge: judge.to_string(),
            conversation_a: self.conversation(Side::A),
            conversation_b: self.conversation(Side::B),
            turn: u32::try_from(self.turns.len()).unwrap_or(u32::MAX),
            anony: self.mode == Mode::Anonymous,
            language: String::new(),
            tstamp,
            conv_metadata: None,
            dedup_tag: None,
            category_tag: None,
            categories: self.category.iter().cloned().collect(),
            flags: Vec::new(),
            app_version: app_version.to_string(),
        }
    }

    /// The battle as persisted while it runs, so a reload can restore it.
    pub fn to_conversation(&self, updated_ms: f64) -> Conversation {
        Conversation {
            id: self.id.clone(),
            contestant_a: self.a.id.clone(),
            contestant_b: self.b.id.clone(),
            messages_a: self.conversation(Side::A),
            messages_b: self.conversation(Side::B),
            updated_ms,
            voted: self.vote.is_some(),
        }
    }

    /// Rebuilds a battle from its persisted conversation. An answer that was still arriving
    /// when the page closed comes back as stopped, with the text that had arrived, so the
    /// judge can regenerate or judge what is there.
    pub fn restore(
        conversation: &Conversation,
        arena_id: String,
        a: Fighter,
        b: Fighter,
        mode: Mode,
    ) -> Battle {
        let mut battle = Battle::new(conversation.id.clone(), arena_id, a, b, mode);
        let turns_a = conversation.messages_a.chunks(2);
        let turns_b = conversation.messages_b.chunks(2);
        for (ta, tb) in turns_a.zip(turns_b) {
            let answer = |chunk: &[Message]| {
                let text = chunk.get(1).map(|m| m.content.clone()).unwrap_or_default();
                let state = if text.is_empty() {
                    AnswerState::Stopped
                } else {
                    AnswerState::Done {
                        finish_reason: None,
                    }
                };
                Answer {
                    text,
                    reasoning: String::new(),
                    state,
                }
            };
            battle.turns.push(Turn {
                prompt: ta[0].content.clone(),
                a: answer(ta),
                b: answer(tb),
            });
        }
        battle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fighters() -> (Fighter, Fighter) {
        (
            Fighter {
                id: "x".into(),
                name: "Xenon 7B".into(),
                model: "xenon-7b".into(),
            },
            Fighter {
                id: "y".into(),
                name: "Yttrium 3B".into(),
                model: "yttrium-3b".into(),
            },
        )
    }

    fn battle() -> Battle {
        let (a, b) = fighters();
        Battle::new("b1".into(), "arena".into(), a, b, Mode::Anonymous)
    }

    fn answer_both(b: &mut Battle, text_a: &str, text_b: &str) {
        b.push_text(Side::A, text_a);
        b.push_text(Side::B, text_b);
        b.finish(Side::A, Some("stop".into()));
        b.finish(Side::B, None);
    }

    #[test]
    fn a_full_battle_goes_through_every_phase() {
        let mut b = battle();
        assert_eq!(b.phase(), Phase::Composing);
        assert_eq!(b.can_vote(), Err(BattleError::NothingToJudge));
        b.send("  What is 2+2?  ").unwrap();
        assert_eq!(b.phase(), Phase::Answering);
        assert_eq!(b.active_sides(), vec![Side::A, Side::B]);
        b.push_text(Side::A, "4");
        assert_eq!(b.can_vote(), Err(BattleError::StillAnswering));
        b.finish(Side::A, Some("stop".into()));
        b.push_text(Side::B, "Four");
        assert_eq!(b.active_sides(), vec![Side::B]);
        b.finish(Side::B, None);
        assert_eq!(b.phase(), Phase::Judging);
        assert_eq!(b.display_name(Side::A), "Model A");
        let r = b.vote(Winner::ModelB, "judge", 12.5, "0.1.0").unwrap();
        assert_eq!(b.phase(), Phase::Voted);
        assert_eq!(b.display_name(Side::A), "Xenon 7B");
        assert_eq!(r.model_a, "xenon-7b");
        assert_eq!(r.winner, Winner::ModelB);
        assert_eq!(r.turn, 1);
        assert!(r.anony);
        assert_eq!(
            r.conversation_b,
            vec![Message::user("What is 2+2?"), Message::assistant("Four")]
        );
        assert!(r.flags.is_empty());
        assert_eq!(
            b.vote(Winner::ModelA, "judge", 13.0, "0.1.0"),
            Err(BattleError::AlreadyVoted)
        );
        // Nothing changes after the vote.
        b.push_text(Side::A, "late");
        assert_eq!(b.turns[0].a.text, "4");
        assert_eq!(b.regenerate(), Err(BattleError::AlreadyVoted));
    }

    #[test]
    fn a_failed_side_never_produces_a_vote_and_regenerate_retries() {
        let mut b = battle();
        b.send("hi").unwrap();
        b.push_text(Side::A, "partial");
        b.fail(Side::A, "rate limited".into());
        b.push_text(Side::A, " more");
        b.push_text(Side::B, "fine");
        b.finish(Side::B, None);
        assert_eq!(b.phase(), Phase::Failed);
        assert_eq!(b.turns[0].a.text, "partial");
        assert_eq!(
            b.vote(Winner::ModelB, "j", 1.0, "v"),
            Err(BattleError::SideFailed)
        );
        assert_eq!(b.send("next"), Err(BattleError::SideFailed));
        b.regenerate().unwrap();
        assert_eq!(b.phase(), Phase::Answering);
        assert!(b.turns[0].a.text.is_empty() && b.turns[0].b.text.is_empty());
        answer_both(&mut b, "a", "b");
        assert!(b.vote(Winner::Tie, "j", 1.0, "v").is_ok());
    }

    #[test]
    fn follow_ups_carry_each_sides_own_history_up_to_the_limit() {
        let mut b = battle();
        b.max_turns = 2;
        b.send("one").unwrap();
        assert_eq!(b.send("again"), Err(BattleError::StillAnswering));
        answer_both(&mut b, "A1", "B1");
        b.send("two").unwrap();
        assert_eq!(
            b.messages_for(Side::B),
            vec![
                Message::user("one"),
                Message::assistant("B1"),
                Message::user("two")
            ]
        );
        answer_both(&mut b, "A2", "B2");
        assert!(!b.can_send());
        assert_eq!(b.send("three"), Err(BattleError::TurnLimit(2)));
        let r = b.vote(Winner::ModelA, "j", 1.0, "v").unwrap();
        assert_eq!(r.turn, 2);
        assert_eq!(r.conversation_a.len(), 4);
    }

    #[test]
    fn stopped_answers_can_be_judged() {
        let mut b = battle();
        b.send("long story").unwrap();
        b.push_text(Side::A, "Once");
        b.stop(Side::A);
        b.push_text(Side::A, " upon");
        b.push_text(Side::B, "There was");
        b.stop(Side::B);
        assert_eq!(b.phase(), Phase::Judging);
        assert_eq!(b.turns[0].a.text, "Once");
    }

    #[test]
    fn empty_prompts_are_refused() {
        let mut b = battle();
        assert_eq!(b.send("   "), Err(BattleError::EmptyPrompt));
        assert!(b.turns.is_empty());
    }

    #[test]
    fn an_answer_naming_a_contestant_is_flagged() {
        let mut b = battle();
        b.send("who are you?").unwrap();
        answer_both(&mut b, "I am Xenon 7B, made by a lab.", "An assistant.");
        let r = b.vote(Winner::ModelA, "j", 1.0, "v").unwrap();
        assert_eq!(r.flags, vec![IDENTITY_LEAK.to_string()]);
    }

    #[test]
    fn a_named_battle_shows_names_and_is_marked_non_anonymous() {
        let (x, y) = fighters();
        let mut b = Battle::new("n".into(), "a".into(), x, y, Mode::Named);
        assert_eq!(b.display_name(Side::B), "Yttrium 3B");
        b.send("q").unwrap();
        answer_both(&mut b, "1", "2");
        assert!(!b.vote(Winner::Tie, "j", 1.0, "v").unwrap().anony);
    }

    #[test]
    fn a_battle_survives_persist_and_restore() {
        let mut b = battle();
        b.send("one").unwrap();
        answer_both(&mut b, "A1", "B1");
        b.send("two").unwrap();
        b.push_text(Side::A, "A2 partial");
        let conv = b.to_conversation(5.0);
        let (x, y) = fighters();
        let r = Battle::restore(&conv, "arena".into(), x, y, Mode::Anonymous);
        assert_eq!(r.turns.len(), 2);
        assert_eq!(r.turns[0].b.text, "B1");
        assert_eq!(r.turns[1].a.text, "A2 partial");
        // The interrupted answers come back stopped: nothing is left "streaming" forever.
        assert_eq!(r.turns[1].b.state, AnswerState::Stopped);
        assert_eq!(r.phase(), Phase::Judging);
    }
}
