//! The sampling bridge: a child's `sampling/createMessage` request (any stdio MCP server can
//! be a child, and most clients never implement sampling) answered by the supervisor itself,
//! through the same routing as its `complete` (budgets, fallback, usage log), with the child's
//! `chat` tool.
//!
//! The config's `sampling` chooses: `bridge` (the default: the supervisor answers), `forward`
//! (the request goes to an upstream client that declared sampling) or `refuse` (the children
//! are not offered sampling, and a request is refused). Where a bridged request goes, from its
//! `modelPreferences`:
//!
//! 1. the first hint that names a configured server (exactly), or a tier (`fast`, `primary`,
//!    `premium`), or is part of a tier's model (`haiku` for `claude-haiku-4-5`), or of a
//!    server's name (`claude` does not match `anthropic`: hints are matched as written);
//! 2. else the priorities: `intelligencePriority` above the others picks `premium`;
//!    `speedPriority` or `costPriority` above it picks `fast` (when configured);
//! 3. else `tier: auto`, sized from the messages, as `complete` does.
//!
//! ```json
//! {"mcpServers": {...}, "tiers": {"fast": {"server": "anthropic", "model": "haiku"}}, "sampling": "bridge"}
//! ```

#![allow(deprecated)] // Sampling is deprecated by SEP-2577 in rmcp; children still use it.

use rmcp::model::{
    CreateMessageRequestParams, CreateMessageResult, ErrorCode, ModelPreferences, Role,
    SamplingContent, SamplingMessage, SamplingMessageContentBlock,
};
use rmcp::{ErrorData, Peer, RoleServer};
use serde_json::{Value, json};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::child_client::SamplingAnswerer;
use super::config::{SamplingMode, SupervisorConfig};
use super::forward::Caller;
use super::hub::Hub;
use super::llm_tools::{Route, routed};
use crate::client::ToolErrorMeta;

impl SamplingAnswerer for Hub {
    fn answer_sampling(
        &self,
        child: String,
        params: CreateMessageRequestParams,
        ct: CancellationToken,
    ) -> BoxFuture<'_, Result<CreateMessageResult, ErrorData>> {
        let caller = Caller { progress: None, ct };
        Box::pin(async move { answer(self, &child, params, caller).await })
    }
}

/// The JSON-RPC code MCP uses for a sampling request that is not granted.
const REFUSED: ErrorCode = ErrorCode(-1);

/// Answers the sampling request `params` of the child `child`, as the config says.
pub async fn answer(
    hub: &Hub,
    child: &str,
    params: CreateMessageRequestParams,
    caller: Caller,
) -> Result<CreateMessageResult, ErrorData> {
    match hub.config().sampling {
        SamplingMode::Refuse => Err(ErrorData::new(
            REFUSED,
            "sampling is refused by the supervisor's config (sampling: refuse)",
            None,
        )),
        SamplingMode::Forward => forward(hub.sampling_peer(), params).await,
        SamplingMode::Bridge => bridge(hub, child, params, &caller).await,
    }
}

async fn forward(
    peer: Option<Peer<RoleServer>>,
    params: CreateMessageRequestParams,
) -> Result<CreateMessageResult, ErrorData> {
    let Some(peer) = peer else {
        return Err(ErrorData::new(
            REFUSED,
            "no connected client supports sampling (sampling: forward)",
            None,
        ));
    };
    peer.create_message(params).await.map_err(|err| match err {
        rmcp::ServiceError::McpError(err) => err,
        other => ErrorData::internal_error(format!("the client did not answer: {other}"), None),
    })
}

/// The text of a sampling message's content, or why it cannot be bridged.
fn text_of(content: SamplingContent<SamplingMessageContentBlock>) -> Result<String, ErrorData> {
    let mut text = String::new();
    for block in content.into_vec() {
        match block {
            SamplingMessageContentBlock::Text(part) => text.push_str(&part.text),
            _ => {
                return Err(ErrorData::invalid_params(
                    "the sampling bridge takes text messages only (no images, audio or tools)",
                    None,
                ));
            }
        }
    }
    Ok(text)
}

/// Where `preferences` send a request under `config` (the module's rule).
pub fn route_for(config: &SupervisorConfig, preferences: Option<&ModelPreferences>) -> Route {
    let mut route = Route {
        tier: Some("auto".into()),
        ..Route::default()
    };
    let Some(preferences) = preferences else {
        return route;
    };
    let hints = preferences.hints.iter().flatten();
    for hint in hints.filter_map(|h| h.name.as_deref()) {
        let hint = hint.trim().to_ascii_lowercase();
        if hint.is_empty() {
            continue;
        }
        if let Some(server) = config.servers.iter().find(|s| s.name == hint) {
            route.provider = Some(server.name.clone());
            route.tier = None;
            return route;
        }
        if let Some((tier, _)) = config.tiers.get_key_value(&hint) {
            route.tier = Some(tier.clone());
            return route;
        }
        let by_model = config.tiers.iter().find(|(_, t)| {
            (t.model.as_deref()).is_some_and(|m| m.to_ascii_lowercase().contains(&hint))
        });
        if let Some((tier, _)) = by_model {
            route.tier = Some(tier.clone());
            return route;
        }
        if let Some(server) = config.servers.iter().find(|s| s.name.contains(&hint)) {
            route.provider = Some(server.name.clone());
            route.tier = None;
            return route;
        }
    }
    let priority = |p: Option<f32>| p.unwrap_or(0.0);
    let intelligence = priority(preferences.intelligence_priority);
    let quick = priority(preferences.speed_priority).max(priority(preferences.cost_priority));
    let wanted = if intelligence > quick {
        "premium"
    } else if quick > intelligence {
        "fast"
    } else {
        return route;
    };
    if config.tiers.contains_key(wanted) {
        route.tier = Some(wanted.to_string());
    }
    route
}

async fn bridge(
    hub: &Hub,
    child: &str,
    params: CreateMessageRequestParams,
    caller: &Caller,
) -> Result<CreateMessageResult, ErrorData> {
    if params.tools.is_some() {
        return Err(ErrorData::invalid_params(
            "the sampling bridge does not offer tools to the model",
            None,
        ));
    }
    let mut route = route_for(&hub.config(), params.model_preferences.as_ref());
    let mut messages = Vec::with_capacity(params.messages.len());
    for message in params.messages {
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        let text = text_of(message.content)?;
        route.text_bytes += text.len();
        messages.push(json!({"role": role, "content": text}));
    }
    let mut arguments = serde_json::Map::new();
    arguments.insert("messages".into(), Value::Array(messages));
    arguments.insert("max_tokens".into(), json!(params.max_tokens));
    if let Some(system) = params.system_prompt {
        route.text_bytes += system.len();
        arguments.insert("system".into(), json!(system));
    }
    if let Some(temperature) = params.temperature {
        arguments.insert("temperature".into(), json!(temperature));
    }
    if let Some(stop) = params.stop_sequences {
        arguments.insert("stop".into(), json!(stop));
    }
    tracing::info!(child, provider = ?route.provider, tier = ?route.tier, "sampling request bridged");
    let result = routed(hub, "chat", "sampling", arguments, &route, caller).await;
    if ToolErrorMeta::read(&result).is_some() {
        let text = (result.content.iter())
            .find_map(|c| c.as_text())
            .map_or_else(|| "the provider failed".to_string(), |t| t.text.clone());
        return Err(ErrorData::internal_error(text, None));
    }
    let record = result.structured_content.unwrap_or_default();
    let field = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or_default();
    let message = SamplingMessage::assistant_text(field("output"));
    let stop = match field("finish_reason") {
        "length" => CreateMessageResult::STOP_REASON_END_MAX_TOKEN,
        "tool_calls" => CreateMessageResult::STOP_REASON_TOOL_USE,
        _ => CreateMessageResult::STOP_REASON_END_TURN,
    };
    Ok(CreateMessageResult::new(message, field("model").to_string()).with_stop_reason(stop))
}

#[cfg(test)]
mod tests {
    use rmcp::model::ModelHint;

    use super::*;

    fn config() -> SupervisorConfig {
        SupervisorConfig::parse(
            r#"{"mcpServers": {"anthropic": {"command": "x"}, "local": {"command": "x"}},
                "tiers": {"fast": {"server": "anthropic", "model": "claude-haiku-4-5"},
                          "premium": {"server": "anthropic", "model": "claude-opus-4-5"}}}"#,
            &|_| None,
        )
        .unwrap()
    }

    fn hints(names: &[&str]) -> ModelPreferences {
        let mut preferences = ModelPreferences::new();
        preferences.hints = Some(names.iter().map(|n| ModelHint::new(*n)).collect());
        preferences
    }

    fn target(preferences: Option<&ModelPreferences>) -> (Option<String>, Option<String>) {
        let route = route_for(&config(), preferences);
        (route.provider, route.tier)
    }

    #[test]
    fn hints_name_servers_tiers_and_models() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(target(Some(&hints(&["local"]))), (some("local"), None));
        assert_eq!(target(Some(&hints(&["premium"]))), (None, some("premium")));
        assert_eq!(
            target(Some(&hints(&["gpt", "haiku"]))),
            (None, some("fast"))
        );
        assert_eq!(target(Some(&hints(&["anthro"]))), (some("anthropic"), None));
        assert_eq!(target(None), (None, some("auto")));
        assert_eq!(target(Some(&hints(&["gpt-5"]))), (None, some("auto")));
    }

    #[test]
    fn priorities_pick_a_configured_tier() {
        let mut clever = ModelPreferences::new();
        clever.intelligence_priority = Some(0.9);
        clever.speed_priority = Some(0.2);
        assert_eq!(target(Some(&clever)).1.as_deref(), Some("premium"));
        let mut cheap = ModelPreferences::new();
        cheap.cost_priority = Some(0.8);
        assert_eq!(target(Some(&cheap)).1.as_deref(), Some("fast"));
    }
}
