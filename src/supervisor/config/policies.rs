//! How the supervisor keeps its children: `restart` (crash loops and backoff) and `health`
//! (pings, start and call timeouts), with their defaults; and `sampling`, what it does with a
//! child's sampling request.

use std::time::Duration;

use serde::Deserialize;

/// How crashed children are restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RestartPolicy {
    /// Crashes without a stable period between them before `crash_loop`.
    pub max_restarts: u32,
    /// The first backoff delay.
    pub initial_delay_ms: u64,
    /// The longest backoff delay.
    pub max_delay_ms: u64,
    /// How long a child must run to count as stable again.
    pub stable_after_s: u64,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            initial_delay_ms: 1_000,
            max_delay_ms: 16_000,
            stable_after_s: 300,
        }
    }
}

impl RestartPolicy {
    /// The delay before restart number `n` (0-based): doubling from the initial delay, capped.
    pub fn delay(&self, n: u32) -> Duration {
        let ms = self
            .initial_delay_ms
            .saturating_mul(1u64 << n.min(32))
            .min(self.max_delay_ms);
        Duration::from_millis(ms)
    }
}

/// How children are watched and how long the supervisor waits for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HealthPolicy {
    /// How often a ready child is pinged.
    pub ping_interval_ms: u64,
    /// A ping not answered within this is a hung child: it is killed and restarted.
    pub ping_timeout_ms: u64,
    /// Spawn to initialized and tools listed, at most.
    pub start_timeout_ms: u64,
    /// A forwarded tool call without `timeout_s` waits at most this long (a backend's own
    /// default whole-call timeout is 600 s; the margin lets it answer `[timeout]` itself).
    pub call_timeout_s: u64,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            ping_interval_ms: 10_000,
            ping_timeout_ms: 5_000,
            start_timeout_ms: 10_000,
            call_timeout_s: 660,
        }
    }
}

impl HealthPolicy {
    /// The ping period.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms.max(1))
    }

    /// The ping deadline.
    pub fn ping_timeout(&self) -> Duration {
        Duration::from_millis(self.ping_timeout_ms.max(1))
    }

    /// The start deadline.
    pub fn start_timeout(&self) -> Duration {
        Duration::from_millis(self.start_timeout_ms.max(1))
    }

    /// The deadline of a forwarded call that asked for `timeout_s` (or did not).
    pub fn call_timeout(&self, timeout_s: Option<f64>) -> Duration {
        let cap = Duration::from_secs(self.call_timeout_s.max(1));
        timeout_s
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map_or(cap, |asked| (asked + Duration::from_secs(5)).min(cap))
    }
}

/// What the supervisor does with a child's sampling request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingMode {
    /// Answer it through the supervisor's own routing.
    #[default]
    Bridge,
    /// Pass it to an upstream client that declared sampling.
    Forward,
    /// Do not offer sampling to children; refuse any request.
    Refuse,
}
