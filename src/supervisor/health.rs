//! A child's health as the supervisor measured it on the calls it routed (`complete`,
//! `compare`, a judge): the last [`WINDOW`] outcomes, from which `providers` shows latency p50
//! and p95, the error rate and the last error.
//!
//! Latency is the supervisor's wall time for the call, rate-limit wait included (what a caller
//! waits), and is taken from successful calls only: a fast `[auth]` error or a slow timeout
//! says nothing about how quickly the provider answers. Calls the caller gave up on (a
//! cancellation, a `compare` deadline) are not counted at all.

use std::collections::VecDeque;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use crate::error::ErrorKind;

/// How many of the most recent calls the figures cover.
pub const WINDOW: usize = 100;

/// One finished call.
#[derive(Debug, Clone, Copy)]
struct Sample {
    latency: Duration,
    ok: bool,
}

/// The last error seen.
#[derive(Debug, Clone)]
struct LastError {
    kind: Option<ErrorKind>,
    message: String,
    at: Instant,
}

/// The rolling record of one child's calls.
#[derive(Debug, Default)]
pub struct Window {
    samples: VecDeque<Sample>,
    last_error: Option<LastError>,
}

/// What `providers` shows of a child's health.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Health {
    /// Calls in the window (at most 100, the most recent).
    pub calls: u32,
    /// Of those, how many failed.
    pub errors: u32,
    /// errors / calls; 0 with no calls.
    pub error_rate: f64,
    /// Median latency of the successful calls, in ms; null before the first.
    pub p50_ms: Option<u64>,
    /// 95th percentile latency of the successful calls, in ms.
    pub p95_ms: Option<u64>,
    /// The most recent failure.
    pub last_error: Option<ErrorSeen>,
}

/// A failure as `providers` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ErrorSeen {
    /// Its kind, when it had one.
    pub kind: Option<String>,
    /// Its text (`[kind] provider: ...`) on one line, cut to 300 characters.
    pub message: String,
    /// Seconds since it happened.
    pub ago_s: u64,
}

impl Window {
    /// Records a successful call that took `latency`.
    pub fn succeeded(&mut self, latency: Duration) {
        self.push(Sample { latency, ok: true });
    }

    /// Records a failed call: its kind (when known) and its text.
    pub fn failed(
        &mut self,
        latency: Duration,
        kind: Option<ErrorKind>,
        message: &str,
        now: Instant,
    ) {
        self.push(Sample { latency, ok: false });
        self.last_error = Some(LastError {
            kind,
            message: crate::error::excerpt(message.as_bytes()),
            at: now,
        });
    }

    fn push(&mut self, sample: Sample) {
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Whether any call is in the window.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The median latency of the successful calls, when there is one.
    pub fn p50(&self) -> Option<Duration> {
        percentile(&self.latencies(), 50)
    }

    fn latencies(&self) -> Vec<Duration> {
        let mut ok: Vec<Duration> = (self.samples.iter())
            .filter(|s| s.ok)
            .map(|s| s.latency)
            .collect();
        ok.sort_unstable();
        ok
    }

    /// The figures as of `now`.
    pub fn health(&self, now: Instant) -> Health {
        let calls = self.samples.len() as u32;
        let errors = self.samples.iter().filter(|s| !s.ok).count() as u32;
        let latencies = self.latencies();
        let ms = |d: Duration| d.as_millis().min(u128::from(u64::MAX)) as u64;
        Health {
            calls,
            errors,
            error_rate: if calls == 0 {
                0.0
            } else {
                f64::from(errors) / f64::from(calls)
            },
            p50_ms: percentile(&latencies, 50).map(ms),
            p95_ms: percentile(&latencies, 95).map(ms),
            last_error: self.last_error.as_ref().map(|e| ErrorSeen {
                kind: e.kind.map(|k| k.to_string()),
                message: e.message.clone(),
                ago_s: now.saturating_duration_since(e.at).as_secs(),
            }),
        }
    }
}

/// The nearest-rank percentile `p` of `sorted`: the smallest value at least `p`% of the
/// values are at or below.
fn percentile(sorted: &[Duration], p: usize) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_are_nearest_rank_over_successes() {
        let mut window = Window::default();
        for n in 1..=20 {
            window.succeeded(ms(n * 10));
        }
        // A slow failure does not move the latency figures.
        let now = Instant::now();
        window.failed(
            ms(60_000),
            Some(ErrorKind::Timeout),
            "[timeout] a: slow",
            now,
        );
        let health = window.health(now);
        assert_eq!((health.calls, health.errors), (21, 1));
        assert_eq!(health.p50_ms, Some(100));
        assert_eq!(health.p95_ms, Some(190));
        assert!((health.error_rate - 1.0 / 21.0).abs() < 1e-9);
        let last = health.last_error.unwrap();
        assert_eq!(last.kind.as_deref(), Some("timeout"));
        assert_eq!(last.message, "[timeout] a: slow");
    }

    #[test]
    fn the_window_keeps_the_last_hundred_calls() {
        let mut window = Window::default();
        let now = Instant::now();
        for _ in 0..WINDOW {
            window.failed(ms(1), None, "old", now);
        }
        for _ in 0..WINDOW {
            window.succeeded(ms(7));
        }
        let health = window.health(now);
        assert_eq!((health.calls, health.errors), (100, 0));
        assert_eq!(health.p50_ms, Some(7));
        // The last error stays visible after it leaves the window.
        assert_eq!(health.last_error.unwrap().message, "old");
    }

    #[test]
    fn nothing_measured_is_null_not_zero() {
        let health = Window::default().health(Instant::now());
        assert_eq!(health.p50_ms, None);
        assert_eq!(health.error_rate, 0.0);
        assert!(Window::default().is_empty());
    }
}
