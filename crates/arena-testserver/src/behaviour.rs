//! Scripted behaviours, chosen by the model name: `+`-joined flags such as
//! `echo+slow-50+split`. Unknown words are ignored, so any model name answers normally.

use std::time::Duration;

/// The text answered when `echo` is not asked for: 2-, 3- and 4-byte UTF-8 on purpose.
pub const DEFAULT_TEXT: &str = "Hello from the arena test server! Héllo wörld — 你好 🎉";

/// What a request asked the server to do.
// Independent flags, one per word of the model name: an enum would not make them clearer.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Behaviour {
    /// Answer with the last user message instead of [`DEFAULT_TEXT`].
    pub echo: bool,
    /// Tokens per second; `None` sends tokens as fast as possible.
    pub tokens_per_sec: Option<f64>,
    /// Stop sending after this many tokens and hold the connection open.
    pub stall_after: Option<usize>,
    /// Hold the stream after each of these token counts until a test releases it
    /// (`POST /__release/<id>`), ascending and without repeats.
    pub pauses: Vec<usize>,
    /// Send the provider's mid-stream error after this many tokens.
    pub midstream_error_after: Option<usize>,
    /// Answer 429 with `retry-after` of this many seconds.
    pub rate_limit: Option<u64>,
    pub bad_key: bool,
    pub context_too_long: bool,
    pub overloaded: bool,
    /// Write the body in 1–3 byte pieces, splitting lines and UTF-8 characters.
    pub split: bool,
    /// Interleave keep-alive comments (SSE) or pings (Anthropic).
    pub keepalive: bool,
    /// Send reasoning text before the answer.
    pub reasoning: bool,
    /// Finish with the provider's "length" reason.
    pub length: bool,
    /// Repeat the answer text until this many tokens were sent.
    pub tokens: Option<usize>,
}

/// Splits `word` into its name and an optional numeric suffix: `slow-50` → (`slow`, 50).
fn with_number(word: &str) -> (&str, Option<f64>) {
    if let Some((name, n)) = word.rsplit_once('-')
        && let Ok(v) = n.parse::<f64>()
        && v.is_finite()
        && v >= 0.0
    {
        return (name, Some(v));
    }
    (word, None)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(v: f64) -> usize {
    // Non-negative and finite (checked in `with_number`); saturates on huge values.
    v.min(1e9) as usize
}

impl Behaviour {
    pub fn from_model(model: &str, default_tps: f64) -> Self {
        let mut b = Behaviour::default();
        for word in model.split('+').map(str::trim) {
            let (name, n) = with_number(word);
            match name {
                "echo" => b.echo = true,
                "slow" => b.tokens_per_sec = Some(n.unwrap_or(default_tps).max(0.1)),
                "stall" => b.stall_after = Some(n.map_or(2, whole)),
                "pause" => b.pauses.push(n.map_or(2, whole)),
                "midstream-error" => b.midstream_error_after = Some(n.map_or(2, whole)),
                "rate-limit" => b.rate_limit = Some(n.map_or(7, |v| whole(v) as u64)),
                "bad-key" => b.bad_key = true,
                "context-too-long" => b.context_too_long = true,
                "overloaded" => b.overloaded = true,
                "split" => b.split = true,
                "keepalive" => b.keepalive = true,
                "reasoning" => b.reasoning = true,
                "length" => b.length = true,
                "tokens" => b.tokens = n.map(whole),
                _ => {}
            }
        }
        b.pauses.sort_unstable();
        b.pauses.dedup();
        b
    }

    /// The pause between two tokens.
    pub fn token_gap(&self) -> Option<Duration> {
        self.tokens_per_sec
            .map(|tps| Duration::from_secs_f64(1.0 / tps))
    }

    /// The answer's tokens: words with their trailing space.
    pub fn tokens_for(&self, last_user: &str) -> Vec<String> {
        let text = if self.echo && !last_user.is_empty() {
            last_user
        } else {
            DEFAULT_TEXT
        };
        let base: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
        match self.tokens {
            Some(n) if n > 0 => base.iter().cycle().take(n).cloned().collect(),
            _ => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_combine() {
        let b = Behaviour::from_model("echo+slow-50+split+stall-3", 20.0);
        assert!(b.echo && b.split);
        assert_eq!(b.tokens_per_sec, Some(50.0));
        assert_eq!(b.stall_after, Some(3));
        assert_eq!(
            Behaviour::from_model("slow", 20.0).tokens_per_sec,
            Some(20.0)
        );
        assert_eq!(
            Behaviour::from_model("rate-limit", 20.0).rate_limit,
            Some(7)
        );
        assert_eq!(
            Behaviour::from_model("rate-limit-3", 20.0).rate_limit,
            Some(3)
        );
        assert_eq!(Behaviour::from_model("gpt-4o", 20.0), Behaviour::default());
    }

    #[test]
    fn pauses_collect_in_order() {
        let b = Behaviour::from_model("echo+pause-5+pause-2+pause-5+pause", 20.0);
        assert_eq!(b.pauses, [2, 5]);
        assert!(Behaviour::from_model("echo", 20.0).pauses.is_empty());
    }

    #[test]
    fn tokens_keep_spaces_and_repeat() {
        let b = Behaviour::from_model("echo", 20.0);
        assert_eq!(b.tokens_for("a bc d"), ["a ", "bc ", "d"]);
        let b = Behaviour::from_model("echo+tokens-5", 20.0);
        assert_eq!(b.tokens_for("x y").concat(), "x yx yx ");
    }
}
