//! Where the supervisor's `complete` goes: the explicit provider, else the tier's server and
//! model, else the default; then, after a failure the fallback rule ([`moves_on`]) accepts,
//! the next server in `fallback`.
//!
//! The `auto` tier is picked from the size of the call, estimated at 4 bytes of prompt and
//! system text per token:
//!
//! | estimate | tools offered | tier |
//! |---|---|---|
//! | over 32,000 tokens (128 KiB) | or 8 or more | `premium`: long contexts and heavy tool use need the strongest model |
//! | at most 500 tokens (2 KiB) | none | `fast`: short, self-contained prompts |
//! | anything else | | `primary` |
//!
//! When the picked tier is not configured, the nearest configured one answers (fast, then
//! primary, then premium for small calls; premium, then primary, then fast for large ones); with
//! no tiers at all, the default server does. An explicitly named tier must be configured.

use super::config::{SupervisorConfig, TIER_NAMES};
use crate::error::{ErrorKind, LlmError};

/// Up to this many estimated tokens (and no tools), `auto` picks `fast`.
pub const FAST_MAX_TOKENS: usize = 500;
/// Above this many estimated tokens, `auto` picks `premium`.
pub const PREMIUM_MIN_TOKENS: usize = 32_000;
/// With this many tools or more, `auto` picks `premium`.
pub const PREMIUM_MIN_TOOLS: usize = 8;

/// One server to try, and the model to ask it for (its default when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The child's name.
    pub server: String,
    /// The model, when the call or the tier names one for this server.
    pub model: Option<String>,
}

/// The tier `auto` picks for a call of `text_bytes` bytes offering `tools` tools.
pub fn auto_tier(text_bytes: usize, tools: usize) -> &'static str {
    let tokens = text_bytes.div_ceil(4);
    if tokens > PREMIUM_MIN_TOKENS || tools >= PREMIUM_MIN_TOOLS {
        "premium"
    } else if tokens <= FAST_MAX_TOKENS && tools == 0 {
        "fast"
    } else {
        "primary"
    }
}

/// The nearest configured tier to `wanted`, in the order of the module table.
fn nearest<'a>(config: &'a SupervisorConfig, wanted: &str) -> Option<&'a str> {
    let order: [&str; 3] = match wanted {
        "fast" => ["fast", "primary", "premium"],
        "premium" => ["premium", "primary", "fast"],
        _ => ["primary", "premium", "fast"],
    };
    order
        .into_iter()
        .find_map(|t| config.tiers.get_key_value(t).map(|(k, _)| k.as_str()))
}

fn bad(message: String) -> LlmError {
    LlmError::new(ErrorKind::BadRequest, message)
}

/// The configured tier a call asking for `tier` goes to (`auto` picked from its size, see the
/// module table); `None` when it asks for none, or for `auto` with no tiers configured.
pub fn tier_for<'a>(
    config: &'a SupervisorConfig,
    tier: Option<&'a str>,
    text_bytes: usize,
    tools: usize,
) -> Result<Option<&'a str>, LlmError> {
    Ok(match tier {
        None => None,
        Some("auto") => nearest(config, auto_tier(text_bytes, tools)),
        Some(t) if !TIER_NAMES.contains(&t) => {
            return Err(bad(format!(
                "tier {t:?}: expected fast, primary, premium or auto"
            )));
        }
        Some(t) if !config.tiers.contains_key(t) => {
            return Err(bad(format!(
                "tier {t} is not configured in the supervisor's tiers"
            )));
        }
        Some(t) => Some(t),
    })
}

/// The servers to try in order for one `complete` call. An explicit `provider` is tried alone
/// (the caller chose it); a tier or the default is followed by the fallback servers, which
/// use their own default model (a model id rarely means the same thing to two providers).
pub fn plan(
    config: &SupervisorConfig,
    provider: Option<&str>,
    tier: Option<&str>,
    model: Option<&str>,
    text_bytes: usize,
    tools: usize,
) -> Result<Vec<Target>, LlmError> {
    let model = model.map(str::trim).filter(|m| !m.is_empty());
    let known = |name: &str| config.servers.iter().any(|s| s.name == name);
    if let Some(provider) = provider {
        if !known(provider) {
            return Err(bad(format!(
                "provider {provider:?} is not configured; {}",
                names(config)
            )));
        }
        let model = model.map(str::to_string);
        return Ok(vec![Target {
            server: provider.to_string(),
            model,
        }]);
    }
    let tier = tier_for(config, tier, text_bytes, tools)?;
    let first = match tier.and_then(|t| config.tiers.get(t)) {
        Some(tier) => Target {
            server: tier.server.clone(),
            model: model.map(str::to_string).or_else(|| tier.model.clone()),
        },
        None => Target {
            server: config
                .default_server()
                .ok_or_else(|| bad("no server is configured".into()))?
                .to_string(),
            model: model.map(str::to_string),
        },
    };
    let mut targets = vec![first];
    for name in &config.fallback {
        if !targets.iter().any(|t| &t.server == name) {
            targets.push(Target {
                server: name.clone(),
                model: None,
            });
        }
    }
    Ok(targets)
}

fn names(config: &SupervisorConfig) -> String {
    let list: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
    format!("configured: {}", list.join(", "))
}

/// One failed attempt, as the fallback rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// The provider failed with this kind: a tool error from the child, or a child that was
    /// not ready or did not answer in time.
    Failed(ErrorKind),
    /// The child process stopped during the call.
    Crashed,
}

/// The fallback rule: whether a failed attempt moves on to the next planned server. Rate
/// limits, overload, timeouts, an unreachable provider and a crashed child are that server's
/// trouble, so another may answer. Any other kind (auth, bad_request, context_length, a
/// provider's 5xx `upstream`, ...) would fail the same way elsewhere or needs the caller to
/// act, so it is answered at once.
pub fn moves_on(miss: Miss) -> bool {
    match miss {
        Miss::Crashed => true,
        Miss::Failed(kind) => matches!(
            kind,
            ErrorKind::RateLimited
                | ErrorKind::Overloaded
                | ErrorKind::Timeout
                | ErrorKind::Unreachable
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> SupervisorConfig {
        SupervisorConfig::parse(text, &|_| None).unwrap()
    }

    const THREE: &str = r#"{"mcpServers": {"a": {"command": "x"}, "b": {"command": "x"}, "c": {"command": "x"}},
        "default": "b", "fallback": ["a", "b", "c"],
        "tiers": {"fast": {"server": "c", "model": "small"}, "premium": {"server": "a"}}}"#;

    fn servers(targets: &[Target]) -> Vec<&str> {
        targets.iter().map(|t| t.server.as_str()).collect()
    }

    #[test]
    fn auto_follows_size_and_tools() {
        assert_eq!(auto_tier(100, 0), "fast");
        assert_eq!(auto_tier(2_000, 0), "fast");
        assert_eq!(auto_tier(2_001, 0), "primary");
        assert_eq!(auto_tier(100, 1), "primary");
        assert_eq!(auto_tier(128_001, 0), "premium");
        assert_eq!(auto_tier(100, 8), "premium");
    }

    #[test]
    fn default_then_fallback_without_repeats() {
        let plan = plan(&config(THREE), None, None, Some("m"), 10, 0).unwrap();
        assert_eq!(servers(&plan), ["b", "a", "c"]);
        assert_eq!(plan[0].model.as_deref(), Some("m"));
        assert_eq!(plan[1].model, None);
    }

    #[test]
    fn tiers_give_server_and_model_and_auto_finds_the_nearest() {
        let c = config(THREE);
        let fast = plan(&c, None, Some("fast"), None, 10, 0).unwrap();
        assert_eq!(
            fast[0],
            Target {
                server: "c".into(),
                model: Some("small".into())
            }
        );
        assert_eq!(servers(&fast), ["c", "a", "b"]);
        // primary is not configured: a mid-sized call goes to the next tier up.
        let auto = plan(&c, None, Some("auto"), None, 10_000, 0).unwrap();
        assert_eq!(auto[0].server, "a");
        assert!(plan(&c, None, Some("primary"), None, 10, 0).is_err());
        assert!(plan(&c, None, Some("huge"), None, 10, 0).is_err());
    }

    #[test]
    fn an_explicit_provider_is_tried_alone() {
        let c = config(THREE);
        assert_eq!(
            servers(&plan(&c, Some("c"), Some("fast"), None, 10, 0).unwrap()),
            ["c"]
        );
        assert!(plan(&c, Some("zzz"), None, None, 10, 0).is_err());
    }

    #[test]
    fn rate_limited_moves_on() {
        assert!(moves_on(Miss::Failed(ErrorKind::RateLimited)));
    }

    #[test]
    fn overloaded_moves_on() {
        assert!(moves_on(Miss::Failed(ErrorKind::Overloaded)));
    }

    #[test]
    fn timeout_moves_on() {
        assert!(moves_on(Miss::Failed(ErrorKind::Timeout)));
    }

    #[test]
    fn unreachable_moves_on() {
        assert!(moves_on(Miss::Failed(ErrorKind::Unreachable)));
    }

    #[test]
    fn a_crashed_child_moves_on() {
        assert!(moves_on(Miss::Crashed));
    }

    #[test]
    fn every_other_kind_is_answered_at_once() {
        let stays = [
            ErrorKind::Auth,
            ErrorKind::QuotaExceeded,
            ErrorKind::BadRequest,
            ErrorKind::ModelNotFound,
            ErrorKind::ContextLength,
            ErrorKind::ContentFilter,
            ErrorKind::Upstream,
            ErrorKind::InvalidResponse,
            ErrorKind::BudgetExceeded,
            ErrorKind::Cancelled,
            ErrorKind::Internal,
        ];
        for kind in stays {
            assert!(!moves_on(Miss::Failed(kind)), "{kind}");
        }
    }
}
