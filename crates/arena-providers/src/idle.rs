//! A clock-free stall detector. The caller supplies "now" (e.g. `performance.now()` in the
//! browser, `Instant` natively) as whole milliseconds from any fixed origin.

use std::time::Duration;

use crate::{IdlePolicy, ProviderError, StreamEvent};

/// Tracks when the last event arrived and says when a stream has stalled.
#[derive(Debug, Clone)]
pub struct IdleWatch {
    policy: IdlePolicy,
    last_ms: u64,
    started: bool,
}

impl IdleWatch {
    /// Starts watching when the request is sent, at `now_ms`.
    pub fn new(policy: IdlePolicy, now_ms: u64) -> Self {
        Self {
            policy,
            last_ms: now_ms,
            started: false,
        }
    }

    /// Notes the events one chunk produced. An empty slice (a chunk of keep-alives or a partial
    /// line) does not count as progress.
    pub fn observe(&mut self, events: &[StreamEvent], now_ms: u64) {
        if !events.is_empty() {
            self.last_ms = now_ms;
            self.started = true;
        }
    }

    fn limit(&self) -> Duration {
        if self.started {
            self.policy.between_events
        } else {
            self.policy.first_event
        }
    }

    /// When to check again if nothing arrives: the caller races its next read against a
    /// timer that fires at this time.
    pub fn deadline_ms(&self) -> u64 {
        self.last_ms
            .saturating_add(u64::try_from(self.limit().as_millis()).unwrap_or(u64::MAX))
    }

    /// The stall error, if `now_ms` is past the deadline.
    pub fn check(&self, now_ms: u64) -> Option<ProviderError> {
        (now_ms >= self.deadline_ms()).then(|| ProviderError::IdleTimeout {
            after: self.limit(),
            before_first_token: !self.started,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: IdlePolicy = IdlePolicy {
        first_event: Duration::from_secs(10),
        between_events: Duration::from_secs(2),
    };

    #[test]
    fn first_event_gets_the_long_limit_then_the_short_one() {
        let mut w = IdleWatch::new(POLICY, 1000);
        assert_eq!(w.deadline_ms(), 11_000);
        assert!(w.check(10_999).is_none());
        w.observe(&[], 5000);
        assert_eq!(w.deadline_ms(), 11_000, "empty chunks are not progress");
        w.observe(&[StreamEvent::TextDelta("a".into())], 6000);
        assert_eq!(w.deadline_ms(), 8000);
        assert!(w.check(7999).is_none());
        assert_eq!(
            w.check(8000),
            Some(ProviderError::IdleTimeout {
                after: Duration::from_secs(2),
                before_first_token: false
            })
        );
    }

    #[test]
    fn stall_before_anything_says_so() {
        let w = IdleWatch::new(POLICY, 0);
        assert!(matches!(
            w.check(10_000),
            Some(ProviderError::IdleTimeout {
                before_first_token: true,
                ..
            })
        ));
    }
}
