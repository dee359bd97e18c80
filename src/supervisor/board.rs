//! The supervisor's memory of each child across calls: its health [`Window`] and its
//! [`Breaker`], by name. Entries are made on a child's first routed call and dropped when a
//! reload removes the child, so the board never holds more than the configured children.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::breaker::{Admission, Breaker, BreakerView, Outcome};
use super::config::routing::BreakerPolicy;
use super::health::{Health, Window};
use super::routing::Rank;
use crate::error::ErrorKind;

#[derive(Debug, Default)]
struct Entry {
    window: Window,
    breaker: Breaker,
}

/// Every child's health and breaker.
#[derive(Debug, Default)]
pub struct Board {
    children: Mutex<HashMap<String, Entry>>,
}

/// How one routed call ended, as health and the breaker count it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// A record came back.
    Answered,
    /// An error came back: its kind, its text, and whether it is a provider failure (one the
    /// fallback rule moves on from, which the breaker counts).
    Failed {
        /// The error's kind, when it has one.
        kind: Option<ErrorKind>,
        /// Its text.
        message: String,
        /// Whether the fallback rule moves on from it.
        provider_failure: bool,
    },
    /// The caller gave up (cancelled, or a `compare` deadline passed): not counted.
    Abandoned,
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.children.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a call may go to `name` now. A name never recorded is admitted without making
    /// an entry: `compare` asks before the name is checked, and a caller's made-up names must
    /// not grow the board.
    pub fn admit(&self, name: &str, policy: &BreakerPolicy) -> Admission {
        let mut children = self.lock();
        match children.get_mut(name) {
            Some(entry) => entry.breaker.admit(policy, Instant::now()),
            None => Admission::Pass,
        }
    }

    /// Records a call to `name` that took `latency` and ended as `ended`; `probe` says whether
    /// the breaker let it through as its probe.
    pub fn record(
        &self,
        name: &str,
        policy: &BreakerPolicy,
        probe: bool,
        latency: Duration,
        ended: &Ended,
    ) {
        let now = Instant::now();
        let mut children = self.lock();
        let entry = children.entry(name.to_string()).or_default();
        let (outcome, cause) = match ended {
            Ended::Answered => {
                entry.window.succeeded(latency);
                (Outcome::Answered, "")
            }
            Ended::Failed {
                kind,
                message,
                provider_failure,
            } => {
                entry.window.failed(latency, *kind, message, now);
                let outcome = if *provider_failure {
                    Outcome::Failed
                } else {
                    Outcome::Answered
                };
                (outcome, message.as_str())
            }
            Ended::Abandoned => (Outcome::Abandoned, ""),
        };
        entry.breaker.record(policy, probe, outcome, cause, now);
    }

    /// `name`'s health and breaker as `providers` shows them (empty before its first call).
    pub fn view(&self, name: &str) -> (Health, BreakerView) {
        let now = Instant::now();
        let children = self.lock();
        match children.get(name) {
            Some(entry) => (entry.window.health(now), entry.breaker.view(now)),
            None => (Window::default().health(now), Breaker::default().view(now)),
        }
    }

    /// Where `name` sorts under `latency` routing.
    pub fn rank(&self, name: &str) -> Rank {
        let children = self.lock();
        match children.get(name) {
            None => Rank::unmeasured(),
            Some(entry) => Rank::new(
                entry.breaker.is_open(Instant::now()),
                !entry.window.is_empty(),
                entry.window.p50(),
            ),
        }
    }

    /// Forgets every child not in `names` (after a reload removed it).
    pub fn retain(&self, names: &[&str]) {
        self.lock().retain(|name, _| names.contains(&name.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(provider_failure: bool) -> Ended {
        Ended::Failed {
            kind: Some(ErrorKind::Overloaded),
            message: "[overloaded] a: busy".into(),
            provider_failure,
        }
    }

    #[test]
    fn only_provider_failures_open_the_breaker_but_every_failure_is_an_error() {
        let board = Board::default();
        let policy = BreakerPolicy {
            failures: 2,
            cooldown_ms: 60_000,
        };
        let ms = Duration::from_millis(5);
        for _ in 0..5 {
            board.record("a", &policy, false, ms, &failed(false));
        }
        assert_eq!(board.admit("a", &policy), Admission::Pass);
        assert_eq!(board.admit("made-up", &policy), Admission::Pass);
        assert_eq!(board.lock().len(), 1, "asking made no entry");
        board.record("a", &policy, false, ms, &failed(true));
        board.record("a", &policy, false, ms, &Ended::Abandoned);
        board.record("a", &policy, false, ms, &failed(true));
        assert!(matches!(board.admit("a", &policy), Admission::Skip { .. }));
        let (health, breaker) = board.view("a");
        assert_eq!((health.calls, health.errors), (7, 7));
        assert_eq!(breaker.state, "open");
        board.retain(&["b"]);
        assert_eq!(board.view("a").0.calls, 0);
    }
}
