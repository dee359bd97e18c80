//! A child's circuit breaker. `breaker.failures` provider failures in a row (the failures the
//! fallback rule, `super::router::moves_on`, moves on from: rate limits, overload, timeouts,
//! an unreachable or crashed child) open it for `breaker.cooldown_ms`, during which routing
//! skips the child at once instead of waiting for it to fail again. After the cooldown, one
//! call is let through as a probe (half-open); every other call still skips. The probe's
//! success closes the breaker, its provider failure opens it for another cooldown.
//!
//! Any answer that is not a provider failure (a record, or an error such as `[auth]` or
//! `[bad_request]` that the provider itself gave) shows the child is reachable: it ends the run
//! and closes a half-open breaker. A call the caller gave up on counts as nothing; a probe given
//! up on lets the next call probe instead.
//!
//! The state machine is pure: time comes in as an argument.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use super::config::routing::BreakerPolicy;

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// One child's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    state: State,
    /// Provider failures in a row while closed.
    run: u32,
    /// The failure that opened it last.
    cause: Option<String>,
    /// How many times it opened.
    opened: u32,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: State::Closed,
            run: 0,
            cause: None,
            opened: 0,
        }
    }
}

/// Whether a call may go to the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Pass,
    /// The cooldown is over: this call is the one probe.
    Probe,
    /// Open, or half-open with a probe in flight: skip the child.
    Skip {
        /// Why, for the record.
        why: String,
        /// While open: how long until a probe may go.
        retry_in: Option<Duration>,
    },
}

/// How a call the breaker let through ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The child answered (a record, or an error that is not a provider failure).
    Answered,
    /// A provider failure.
    Failed,
    /// The caller gave up before it ended.
    Abandoned,
}

/// What `providers` shows of a breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BreakerView {
    /// closed, open or half_open.
    pub state: &'static str,
    /// Provider failures in a row so far (while closed).
    pub failures: u32,
    /// While open: seconds until a probe may go (rounded up).
    pub retry_in_s: Option<u64>,
    /// The failure that opened it last.
    pub cause: Option<String>,
    /// Times it opened since the supervisor started.
    pub opened: u32,
}

impl Breaker {
    /// Whether a call may go now, under `policy`.
    pub fn admit(&mut self, policy: &BreakerPolicy, now: Instant) -> Admission {
        if !policy.enabled() {
            return Admission::Pass;
        }
        match self.state {
            State::Closed => Admission::Pass,
            State::Open { until } if now < until => Admission::Skip {
                why: format!(
                    "circuit open after {} provider failures in a row ({}); next probe in {} s",
                    policy.failures,
                    self.cause.as_deref().unwrap_or("no detail"),
                    secs_up(until - now)
                ),
                retry_in: Some(until - now),
            },
            State::Open { .. } | State::HalfOpen { probing: false } => {
                self.state = State::HalfOpen { probing: true };
                Admission::Probe
            }
            State::HalfOpen { probing: true } => Admission::Skip {
                why: "circuit half-open: a probe call is testing the server".to_string(),
                retry_in: None,
            },
        }
    }

    /// Records how a call ended; `probe` says whether it was let through as the probe. Calls
    /// let through while closed only count while it is still closed; `cause` is the failure's
    /// text.
    pub fn record(
        &mut self,
        policy: &BreakerPolicy,
        probe: bool,
        outcome: Outcome,
        cause: &str,
        now: Instant,
    ) {
        if !policy.enabled() {
            return;
        }
        match (self.state, probe, outcome) {
            (State::HalfOpen { .. }, true, Outcome::Answered) => self.close(),
            (State::HalfOpen { .. }, true, Outcome::Failed) => self.open(policy, cause, now),
            (State::HalfOpen { .. }, true, Outcome::Abandoned) => {
                self.state = State::HalfOpen { probing: false };
            }
            (State::Closed, false, Outcome::Answered) => self.run = 0,
            (State::Closed, false, Outcome::Failed) => {
                self.run += 1;
                if self.run >= policy.failures {
                    self.open(policy, cause, now);
                }
            }
            // Stragglers let through before the state changed say nothing about it now.
            _ => {}
        }
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.run = 0;
    }

    fn open(&mut self, policy: &BreakerPolicy, cause: &str, now: Instant) {
        self.state = State::Open {
            until: now + policy.cooldown(),
        };
        self.run = 0;
        self.cause = Some(crate::error::excerpt(cause.as_bytes()));
        self.opened += 1;
    }

    /// Whether routing should put this child last: open with its cooldown still running, or
    /// half-open with the probe in flight.
    pub fn is_open(&self, now: Instant) -> bool {
        match self.state {
            State::Open { until } => now < until,
            State::HalfOpen { probing } => probing,
            State::Closed => false,
        }
    }

    /// The breaker as `providers` shows it.
    pub fn view(&self, now: Instant) -> BreakerView {
        let (state, retry_in_s) = match self.state {
            State::Closed => ("closed", None),
            State::Open { until } => ("open", Some(secs_up(until.saturating_duration_since(now)))),
            State::HalfOpen { .. } => ("half_open", None),
        };
        BreakerView {
            state,
            failures: self.run,
            retry_in_s,
            cause: self.cause.clone(),
            opened: self.opened,
        }
    }
}

/// Whole seconds, rounded up (a wait of 0.2 s says 1 s, not 0).
fn secs_up(duration: Duration) -> u64 {
    duration.as_millis().div_ceil(1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failures: 3,
        cooldown_ms: 1_000,
    };

    fn fail(breaker: &mut Breaker, now: Instant) {
        assert_eq!(breaker.admit(&POLICY, now), Admission::Pass);
        breaker.record(&POLICY, false, Outcome::Failed, "[overloaded] a: busy", now);
    }

    #[test]
    fn a_run_of_failures_opens_it_and_an_answer_ends_the_run() {
        let now = Instant::now();
        let mut breaker = Breaker::default();
        fail(&mut breaker, now);
        fail(&mut breaker, now);
        breaker.record(&POLICY, false, Outcome::Answered, "", now);
        assert_eq!(breaker.view(now).failures, 0);
        fail(&mut breaker, now);
        fail(&mut breaker, now);
        assert_eq!(breaker.view(now).state, "closed");
        fail(&mut breaker, now);
        let view = breaker.view(now);
        assert_eq!(
            (view.state, view.retry_in_s, view.opened),
            ("open", Some(1), 1)
        );
        assert_eq!(view.cause.as_deref(), Some("[overloaded] a: busy"));
        let Admission::Skip { why, retry_in } =
            breaker.admit(&POLICY, now + Duration::from_millis(500))
        else {
            panic!("an open breaker skips");
        };
        assert_eq!(retry_in, Some(Duration::from_millis(500)));
        assert!(
            why.contains("circuit open after 3") && why.contains("next probe in 1 s"),
            "{why}"
        );
        assert!(breaker.is_open(now));
    }

    #[test]
    fn after_the_cooldown_one_probe_goes_and_its_success_closes_it() {
        let now = Instant::now();
        let mut breaker = Breaker::default();
        for _ in 0..3 {
            fail(&mut breaker, now);
        }
        let later = now + Duration::from_millis(1_000);
        assert!(!breaker.is_open(later));
        assert_eq!(breaker.admit(&POLICY, later), Admission::Probe);
        assert!(
            matches!(breaker.admit(&POLICY, later), Admission::Skip { why, retry_in: None } if why.contains("probe"))
        );
        assert_eq!(breaker.view(later).state, "half_open");
        breaker.record(&POLICY, true, Outcome::Answered, "", later);
        assert_eq!(breaker.view(later).state, "closed");
        assert_eq!(breaker.admit(&POLICY, later), Admission::Pass);
    }

    #[test]
    fn a_failed_probe_reopens_and_an_abandoned_one_lets_the_next_call_probe() {
        let now = Instant::now();
        let mut breaker = Breaker::default();
        for _ in 0..3 {
            fail(&mut breaker, now);
        }
        let later = now + Duration::from_secs(2);
        assert_eq!(breaker.admit(&POLICY, later), Admission::Probe);
        breaker.record(&POLICY, true, Outcome::Abandoned, "", later);
        assert_eq!(breaker.admit(&POLICY, later), Admission::Probe);
        breaker.record(&POLICY, true, Outcome::Failed, "[timeout] a: slow", later);
        let view = breaker.view(later);
        assert_eq!((view.state, view.opened), ("open", 2));
        assert_eq!(view.cause.as_deref(), Some("[timeout] a: slow"));
        assert!(matches!(
            breaker.admit(&POLICY, later),
            Admission::Skip { .. }
        ));
    }

    #[test]
    fn stragglers_do_not_move_an_open_breaker_and_zero_failures_turns_it_off() {
        let now = Instant::now();
        let mut breaker = Breaker::default();
        for _ in 0..3 {
            fail(&mut breaker, now);
        }
        breaker.record(&POLICY, false, Outcome::Answered, "", now);
        assert_eq!(breaker.view(now).state, "open");
        let off = BreakerPolicy {
            failures: 0,
            ..POLICY
        };
        let mut breaker = Breaker::default();
        for _ in 0..10 {
            breaker.record(&off, false, Outcome::Failed, "x", now);
        }
        assert_eq!(breaker.admit(&off, now), Admission::Pass);
    }
}
