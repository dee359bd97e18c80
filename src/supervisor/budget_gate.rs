//! The budgets' say on one routed call ([`super::budget`] keeps the spend): before it is sent,
//! a spent `block` budget refuses it and a spent `downgrade` budget moves it to a cheaper tier;
//! once answered, its cost is counted and spent `warn` budgets add warnings to its record.

use rmcp::model::CallToolResult;
use serde_json::Value;

use super::budget::{Budgets, Spent};
use super::config::SupervisorConfig;
use super::config::budgets::{Action, Scope};
use super::router::Target;
use crate::error::LlmError;

/// Tiers from the cheapest up.
const CHEAPEST_FIRST: [&str; 3] = ["fast", "primary", "premium"];

/// The first target once the budgets have had their say, its tier, and what the record is to
/// say about it.
pub struct Routed {
    /// The first target, possibly on a cheaper tier than planned.
    pub first: Target,
    /// Its tier.
    pub tier: Option<String>,
    /// Warnings for the record (a downgrade).
    pub notes: Vec<String>,
}

/// The configured tiers cheaper than `tier` (a call on no tier counts as primary), nearest
/// first.
fn cheaper<'a>(config: &'a SupervisorConfig, tier: Option<&str>) -> Vec<&'a str> {
    let rank = CHEAPEST_FIRST
        .iter()
        .position(|t| Some(*t) == tier)
        .unwrap_or(1);
    CHEAPEST_FIRST[..rank]
        .iter()
        .rev()
        .filter_map(|t| config.tiers.get_key_value(*t).map(|(k, _)| k.as_str()))
        .collect()
}

/// The first spent budget that stops a call to `server` on `tier`: a `block` one, or (when
/// `downgrade` is true) a `downgrade` one.
fn stopping(spent: &[Spent], downgrade: bool) -> Option<&Spent> {
    spent
        .iter()
        .find(|s| s.action == Action::Block)
        .or_else(|| {
            downgrade
                .then(|| spent.iter().find(|s| s.action == Action::Downgrade))
                .flatten()
        })
}

/// Applies block and downgrade to the first planned target, on `tier`; the error when the
/// call is refused.
pub fn route(
    budgets: &Budgets,
    config: &SupervisorConfig,
    first: Target,
    tier: Option<String>,
) -> Result<Routed, LlmError> {
    let spent = budgets.spent(&config.budgets, &first.server, tier.as_deref());
    let Some(stop) = stopping(&spent, true) else {
        return Ok(Routed {
            first,
            tier,
            notes: Vec::new(),
        });
    };
    if stop.action == Action::Block {
        return Err(stop.error(None));
    }
    for cheaper in cheaper(config, tier.as_deref()) {
        let target = &config.tiers[cheaper];
        let spent = budgets.spent(&config.budgets, &target.server, Some(cheaper));
        if stopping(&spent, true).is_none() {
            let from = tier.as_deref().unwrap_or("the default server");
            return Ok(Routed {
                first: Target {
                    server: target.server.clone(),
                    model: target.model.clone(),
                },
                tier: Some(cheaper.to_string()),
                notes: vec![format!(
                    "{}: downgraded from {from} to {cheaper}",
                    stop.warning()
                )],
            });
        }
    }
    Err(stop.error(Some("no cheaper tier is within its budgets")))
}

/// A spent `block` budget refusing a call to `server` (a fallback, or one `compare` asks), and
/// whether another server could still answer (the budget counts this server only).
pub fn blocked(
    budgets: &Budgets,
    config: &SupervisorConfig,
    server: &str,
) -> Option<(LlmError, bool)> {
    let spent = budgets.spent(&config.budgets, server, None);
    let stop = stopping(&spent, false)?;
    let only_here = config
        .budgets
        .iter()
        .find(|b| b.name == stop.name)
        .is_some_and(|b| matches!(b.scope, Scope::Server(_)));
    Some((stop.error(None), only_here))
}

/// Counts an answered call's `cost_usd` and `tokens_used` against the budgets covering
/// `server` on `tier`; the warnings of the `warn` budgets it leaves spent.
pub fn count(
    budgets: &Budgets,
    config: &SupervisorConfig,
    server: &str,
    tier: Option<&str>,
    result: &CallToolResult,
) -> Vec<String> {
    if config.budgets.is_empty() {
        return Vec::new();
    }
    let record = result.structured_content.as_ref();
    let field = |name: &str| record.and_then(|r| r.get(name)).and_then(Value::as_f64);
    let usd = field("cost_usd").unwrap_or(0.0);
    let tokens = field("tokens_used").unwrap_or(0.0) as u64;
    budgets.record(&config.budgets, server, tier, usd, tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheaper_tiers_nearest_first_and_no_tier_counts_as_primary() {
        let config = SupervisorConfig::parse(
            r#"{"mcpServers": {"a": {"command": "x"}},
                "tiers": {"fast": {"server": "a"}, "primary": {"server": "a"}, "premium": {"server": "a"}}}"#,
            &|_| None,
        )
        .unwrap();
        assert_eq!(cheaper(&config, Some("premium")), ["primary", "fast"]);
        assert_eq!(cheaper(&config, Some("primary")), ["fast"]);
        assert_eq!(cheaper(&config, None), ["fast"]);
        assert!(cheaper(&config, Some("fast")).is_empty());
    }
}
