//! The config's routing fields: `routing` (`"ordered"`, the default, or `"latency"`) and
//! `breaker` (when a child's circuit opens and for how long).
//!
//! ```json
//! {"routing": "latency", "breaker": {"failures": 3, "cooldown_ms": 30000}}
//! ```
//!
//! `breaker.failures: 0` turns the breakers off.

use std::time::Duration;

use serde::Deserialize;

/// How the servers of one `complete` call are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The tier's server (or `default`), then `fallback`, as written.
    #[default]
    Ordered,
    /// The same servers sorted by health: open breakers last, then by latency p50.
    Latency,
}

/// When a child's circuit breaker opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BreakerPolicy {
    /// Provider failures in a row (those the fallback rule moves on from) that open it; 0
    /// never opens it.
    pub failures: u32,
    /// How long it stays open before one probe call may try the child again.
    pub cooldown_ms: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 3,
            cooldown_ms: 30_000,
        }
    }
}

/// The longest cooldown honoured: a day (a typo of a few zeros must not park a child for a
/// year).
const MAX_COOLDOWN: Duration = Duration::from_secs(24 * 3600);

impl BreakerPolicy {
    /// Whether breakers are on.
    pub fn enabled(&self) -> bool {
        self.failures > 0
    }

    /// The cooldown, at least 1 ms and at most a day.
    pub fn cooldown(&self) -> Duration {
        Duration::from_millis(self.cooldown_ms.max(1)).min(MAX_COOLDOWN)
    }
}

/// The routing fields as the file holds them (flattened into the top level).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RoutingPolicy {
    /// `ordered` or `latency`.
    #[serde(default)]
    pub routing: Routing,
    /// The breakers' thresholds.
    #[serde(default)]
    pub breaker: BreakerPolicy,
}

/// The fields of `breaker`, for the unknown-field check.
pub const BREAKER_FIELDS: &[&str] = &["failures", "cooldown_ms"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let policy: RoutingPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(policy.routing, Routing::Ordered);
        assert_eq!(policy.breaker, BreakerPolicy::default());
        let policy: RoutingPolicy = serde_json::from_str(
            r#"{"routing": "latency", "breaker": {"failures": 0, "cooldown_ms": 99999999999}}"#,
        )
        .unwrap();
        assert_eq!(policy.routing, Routing::Latency);
        assert!(!policy.breaker.enabled());
        assert_eq!(policy.breaker.cooldown(), MAX_COOLDOWN);
        assert!(serde_json::from_str::<RoutingPolicy>(r#"{"routing": "fastest"}"#).is_err());
    }
}
