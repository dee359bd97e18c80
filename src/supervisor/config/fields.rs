//! The fields the supervisor's config file knows, and the check that refuses any other: a
//! misspelt `fallbacks` or `max_restart` would otherwise be ignored without a word, and the
//! supervisor would run with a configuration nobody wrote.

use serde_json::Value;

use super::ConfigFileError;
use super::routing::BREAKER_FIELDS as BREAKER;

const TOP: &[&str] = &[
    "mcpServers",
    "default",
    "fallback",
    "catalog",
    "tiers",
    "restart",
    "health",
    "expose",
    "routing",
    "breaker",
    "budgets",
    "sampling",
];
const ENTRY: &[&str] = &[
    "command",
    "args",
    "env",
    "rate_limit",
    "tools",
    "exclude_tools",
];
const TIER: &[&str] = &["server", "model"];
const RESTART: &[&str] = &[
    "max_restarts",
    "initial_delay_ms",
    "max_delay_ms",
    "stable_after_s",
];
const HEALTH: &[&str] = &[
    "ping_interval_ms",
    "ping_timeout_ms",
    "start_timeout_ms",
    "call_timeout_s",
];

/// Refuses a field the file format does not have, naming it and the nearest known field.
/// Values of the wrong shape are left to the typed parse, which names them too.
pub fn check(file: &Value) -> Result<(), ConfigFileError> {
    let Value::Object(top) = file else {
        return Ok(());
    };
    known(top, "", TOP)?;
    if let Some(Value::Object(servers)) = top.get("mcpServers") {
        for (name, entry) in servers {
            if let Value::Object(entry) = entry {
                known(entry, &format!("mcpServers.{name}."), ENTRY)?;
            }
        }
    }
    if let Some(Value::Object(tiers)) = top.get("tiers") {
        for (name, tier) in tiers {
            if let Value::Object(tier) = tier {
                known(tier, &format!("tiers.{name}."), TIER)?;
            }
        }
    }
    if let Some(Value::Object(budgets)) = top.get("budgets") {
        for (name, budget) in budgets {
            if let Value::Object(budget) = budget {
                known(budget, &format!("budgets.{name}."), super::budgets::FIELDS)?;
            }
        }
    }
    let sections = [
        ("restart", RESTART),
        ("health", HEALTH),
        ("breaker", BREAKER),
    ];
    for (section, fields) in sections {
        if let Some(Value::Object(object)) = top.get(section) {
            known(object, &format!("{section}."), fields)?;
        }
    }
    Ok(())
}

fn known(
    object: &serde_json::Map<String, Value>,
    path: &str,
    fields: &[&str],
) -> Result<(), ConfigFileError> {
    match object.keys().find(|key| !fields.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(ConfigFileError(format!(
            "{path}{key}: unknown field; did you mean {path}{}? (known here: {})",
            nearest(key, fields),
            fields.join(", ")
        ))),
    }
}

/// The known field with the fewest single-character edits from `key` (the first on a tie).
fn nearest<'a>(key: &str, fields: &[&'a str]) -> &'a str {
    fields
        .iter()
        .copied()
        .min_by_key(|field| edits(&key.to_ascii_lowercase(), &field.to_ascii_lowercase()))
        .unwrap_or_default()
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(file: Value) -> String {
        check(&file).unwrap_err().0
    }

    #[test]
    fn misspelt_fields_are_named_with_the_nearest_known_one() {
        let servers = json!({"a": {"command": "x"}});
        let message = refusal(json!({"mcpServers": servers, "fallbacks": ["a"]}));
        assert!(
            message.starts_with("fallbacks: unknown field; did you mean fallback?"),
            "{message}"
        );
        let message = refusal(json!({"mcpServers": servers, "defualt": "a"}));
        assert!(
            message.starts_with("defualt: unknown field; did you mean default?"),
            "{message}"
        );
        let message = refusal(json!({"mcpServers": {"a": {"command": "x", "arg": ["-v"]}}}));
        assert!(
            message.starts_with("mcpServers.a.arg: unknown field; did you mean mcpServers.a.args?"),
            "{message}"
        );
        let message = refusal(json!({"mcpServers": servers, "restart": {"max_restart": 3}}));
        assert!(
            message.starts_with(
                "restart.max_restart: unknown field; did you mean restart.max_restarts?"
            ),
            "{message}"
        );
        let message = refusal(
            json!({"mcpServers": servers, "tiers": {"fast": {"server": "a", "modle": "m"}}}),
        );
        assert!(
            message.contains("did you mean tiers.fast.model?"),
            "{message}"
        );
        let message = refusal(json!({"mcpServers": servers, "health": {"ping_interval": 5}}));
        assert!(
            message.contains("did you mean health.ping_interval_ms?"),
            "{message}"
        );
        let message = refusal(json!({"mcpServers": servers, "breaker": {"cooldown_s": 5}}));
        assert!(
            message.contains("did you mean breaker.cooldown_ms?"),
            "{message}"
        );
    }

    #[test]
    fn every_known_field_passes() {
        let file = json!({
            "mcpServers": {"a": {"command": "x", "args": [], "env": {}, "rate_limit": "60,1000",
                "tools": ["chat"], "exclude_tools": ["status"]}},
            "default": "a", "fallback": [], "tiers": {"fast": {"server": "a", "model": "m"}},
            "restart": {"max_restarts": 1, "initial_delay_ms": 1, "max_delay_ms": 1, "stable_after_s": 1},
            "health": {"ping_interval_ms": 1, "ping_timeout_ms": 1, "start_timeout_ms": 1, "call_timeout_s": 1},
            "expose": ["a__chat"], "routing": "latency", "breaker": {"failures": 2, "cooldown_ms": 5},
            "budgets": {"d": {"server": "a", "window": "day", "usd": 1, "tokens": 1, "action": "warn"}},
            "sampling": "bridge"
        });
        check(&file).unwrap();
    }
}
