//! Direct chat: one named contestant, multi-turn, no vote.

use serde::{Deserialize, Serialize};

use super::{Answer, AnswerState, BattleError};
use crate::record::Message;

/// A conversation with one contestant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    /// (prompt, answer) pairs, oldest first.
    pub turns: Vec<(String, Answer)>,
}

impl Chat {
    pub fn is_answering(&self) -> bool {
        self.turns.last().is_some_and(|(_, a)| a.state.is_active())
    }

    /// Starts a turn. A failed or stopped last answer does not block the next prompt.
    pub fn send(&mut self, prompt: &str) -> Result<(), BattleError> {
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(BattleError::EmptyPrompt);
        }
        if self.is_answering() {
            return Err(BattleError::StillAnswering);
        }
        self.turns.push((prompt.to_string(), Answer::waiting()));
        Ok(())
    }

    /// What the next request sends: every earlier turn that has an answer, then the prompt.
    /// Failed turns are left out, so the model never sees half an answer as its own.
    pub fn messages(&self) -> Vec<Message> {
        let mut out = Vec::new();
        let last = self.turns.len().saturating_sub(1);
        for (i, (prompt, answer)) in self.turns.iter().enumerate() {
            if i == last {
                out.push(Message::user(prompt.clone()));
            } else if !matches!(answer.state, AnswerState::Failed { .. }) {
                out.push(Message::user(prompt.clone()));
                out.push(Message::assistant(answer.text.clone()));
            }
        }
        out
    }

    fn current(&mut self) -> Option<&mut Answer> {
        self.turns
            .last_mut()
            .map(|(_, a)| a)
            .filter(|a| a.state.is_active())
    }

    pub fn push_text(&mut self, delta: &str) {
        if let Some(a) = self.current() {
            a.text.push_str(delta);
            a.state = AnswerState::Streaming;
        }
    }

    pub fn finish(&mut self, finish_reason: Option<String>) {
        if let Some(a) = self.current() {
            a.state = AnswerState::Done { finish_reason };
        }
    }

    pub fn fail(&mut self, message: String) {
        if let Some(a) = self.current() {
            a.state = AnswerState::Failed { message };
        }
    }

    pub fn stop(&mut self) {
        if let Some(a) = self.current() {
            a.state = AnswerState::Stopped;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_carries_its_history_and_skips_failed_turns() {
        let mut c = Chat::default();
        c.send("one").unwrap();
        assert_eq!(c.send("again"), Err(BattleError::StillAnswering));
        c.push_text("1");
        c.finish(None);
        c.send("two").unwrap();
        c.push_text("par");
        c.fail("overloaded".into());
        c.push_text("tial");
        assert_eq!(c.turns[1].1.text, "par");
        c.send("three").unwrap();
        assert_eq!(
            c.messages(),
            vec![
                Message::user("one"),
                Message::assistant("1"),
                Message::user("three")
            ]
        );
        c.stop();
        assert!(!c.is_answering());
        assert_eq!(c.send(" "), Err(BattleError::EmptyPrompt));
    }
}
