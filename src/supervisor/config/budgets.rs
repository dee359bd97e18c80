//! The config file's `budgets`: named limits on spend (USD, tokens or both) over a rolling
//! window, for one child (`server`), one tier (`tier`) or everything (neither), and what to do
//! once one is spent.
//!
//! ```json
//! "budgets": {
//!   "daily": {"window": "day", "usd": 5, "action": "block"},
//!   "premium-hourly": {"tier": "premium", "window": "hour", "tokens": 200000, "action": "downgrade"},
//!   "anthropic-monthly": {"server": "anthropic", "window": "month", "usd": 50, "action": "warn"}
//! }
//! ```
//!
//! The runtime side (what was spent, on disk) is [`crate::supervisor::budget`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigFileError, ServerSpec, TIER_NAMES};

/// The most budgets one file may name: each is checked on every call and kept on disk.
pub const MAX_BUDGETS: usize = 64;

/// How far back a budget counts: the last hour, day (24 hours) or month (30 days), rolling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// The last 60 minutes.
    Hour,
    /// The last 24 hours.
    Day,
    /// The last 30 days.
    Month,
}

impl Window {
    /// The window's length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Month => 30 * 86_400,
        }
    }
}

/// What happens to a call once a budget it falls under is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The call goes ahead; its record carries a warning.
    Warn,
    /// The call is refused with `[budget_exceeded]`.
    Block,
    /// The call goes to the next cheaper configured tier within its budgets (fast is cheaper
    /// than primary, primary than premium; a call on no tier counts as primary); refused as
    /// with `block` when there is none.
    Downgrade,
}

/// What a budget counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every call.
    Overall,
    /// Calls answered by this child.
    Server(String),
    /// Calls routed through this tier.
    Tier(String),
}

/// One budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// Its name in the file; spend is kept on disk under it.
    pub name: String,
    /// What it counts.
    pub scope: Scope,
    /// How far back.
    pub window: Window,
    /// The most USD in the window, if limited.
    pub usd: Option<f64>,
    /// The most tokens in the window, if limited.
    pub tokens: Option<u64>,
    /// What happens once it is spent.
    pub action: Action,
}

impl Budget {
    /// Whether a call answered by `server` on `tier` counts against this budget.
    pub fn covers(&self, server: &str, tier: Option<&str>) -> bool {
        match &self.scope {
            Scope::Overall => true,
            Scope::Server(name) => name == server,
            Scope::Tier(name) => tier == Some(name.as_str()),
        }
    }
}

/// One entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Shape {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    window: Window,
    #[serde(default)]
    usd: Option<f64>,
    #[serde(default)]
    tokens: Option<u64>,
    action: Action,
}

/// The field names of one budget, for the unknown-field check.
pub const FIELDS: &[&str] = &["server", "tier", "window", "usd", "tokens", "action"];

/// Parses the file's `budgets` object against the configured `servers`.
pub fn parse(
    budgets: BTreeMap<String, serde_json::Value>,
    servers: &[ServerSpec],
) -> Result<Vec<Budget>, ConfigFileError> {
    if budgets.len() > MAX_BUDGETS {
        return Err(ConfigFileError(format!(
            "budgets: at most {MAX_BUDGETS} budgets"
        )));
    }
    let mut parsed = Vec::with_capacity(budgets.len());
    for (name, value) in budgets {
        let at = |message: String| ConfigFileError(format!("budgets.{name}: {message}"));
        if name.trim().is_empty() || name.len() > 64 {
            return Err(at("a budget name needs 1 to 64 characters".into()));
        }
        let shape: Shape = serde_json::from_value(value).map_err(|err| at(err.to_string()))?;
        let scope = match (shape.server, shape.tier) {
            (Some(_), Some(_)) => {
                return Err(at("set server or tier, not both".into()));
            }
            (Some(server), None) => {
                if !servers.iter().any(|s| s.name == server) {
                    return Err(at(format!("server {server:?} is not in mcpServers")));
                }
                Scope::Server(server)
            }
            (None, Some(tier)) => {
                if !TIER_NAMES.contains(&tier.as_str()) {
                    return Err(at(format!(
                        "tier {tier:?}: expected fast, primary or premium"
                    )));
                }
                Scope::Tier(tier)
            }
            (None, None) => Scope::Overall,
        };
        if shape.usd.is_none() && shape.tokens.is_none() {
            return Err(at("set usd, tokens or both".into()));
        }
        if shape.usd.is_some_and(|usd| !usd.is_finite() || usd < 0.0) {
            return Err(at("usd must be a number of dollars, 0 or more".into()));
        }
        parsed.push(Budget {
            name,
            scope,
            window: shape.window,
            usd: shape.usd,
            tokens: shape.tokens,
            action: shape.action,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn servers() -> Vec<ServerSpec> {
        vec![ServerSpec {
            name: "a".into(),
            command: "x".into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            inherit: Vec::new(),
        }]
    }

    fn one(value: serde_json::Value) -> Result<Budget, String> {
        let budgets = BTreeMap::from([("b".to_string(), value)]);
        parse(budgets, &servers())
            .map(|mut list| list.remove(0))
            .map_err(|err| err.0)
    }

    #[test]
    fn scopes_windows_and_actions() {
        let overall = one(json!({"window": "day", "usd": 5, "action": "block"})).unwrap();
        assert_eq!(overall.scope, Scope::Overall);
        assert!(overall.covers("anything", None));
        let server =
            one(json!({"server": "a", "window": "hour", "tokens": 10, "action": "warn"})).unwrap();
        assert!(server.covers("a", Some("fast")) && !server.covers("b", None));
        let tier =
            one(json!({"tier": "premium", "window": "month", "usd": 1, "action": "downgrade"}))
                .unwrap();
        assert!(tier.covers("a", Some("premium")) && !tier.covers("a", None));
        assert_eq!(tier.window.seconds(), 30 * 86_400);
    }

    #[test]
    fn bad_budgets_are_refused_by_name() {
        let err = one(json!({"window": "day", "action": "block"})).unwrap_err();
        assert_eq!(err, "budgets.b: set usd, tokens or both");
        let err =
            one(json!({"server": "zz", "window": "day", "usd": 1, "action": "block"})).unwrap_err();
        assert!(err.contains("\"zz\" is not in mcpServers"), "{err}");
        let err = one(json!({"window": "week", "usd": 1, "action": "block"})).unwrap_err();
        assert!(err.contains("week"), "{err}");
        let err = one(json!({"window": "day", "usd": -1, "action": "block"})).unwrap_err();
        assert!(err.contains("0 or more"), "{err}");
        let err = one(json!({"window": "day", "usd": 1, "action": "stop"})).unwrap_err();
        assert!(err.contains("stop"), "{err}");
    }
}
