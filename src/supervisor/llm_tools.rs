//! The supervisor's LLM tools: `complete` (routed, with fallback, past open breakers) and
//! `compare` (one prompt to several providers at once, optionally by a deadline and judged).
//! Both forward to the children's own `complete` tool through [`attempt`].

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use rmcp::service::RequestContext;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::attempt::{self, Attempt, attempt};
use super::config::routing::Routing;
use super::deadline;
use super::forward::Failure;
use super::hub::Hub;
use super::judge;
use super::router;
use super::routing::{self, Rank};
use super::tool_defs::{CompareArgs, CompareEntry, Comparison, RoutedCompleteArgs};
use crate::client::ToolErrorMeta;
use crate::completion::{Record, Skipped};
use crate::error::{ErrorKind, LlmError};
use crate::tool_args::Checked;
use crate::tool_result::json_result;

/// The name the supervisor signs its own errors with.
const SELF: &str = "llm-mcp";

fn parse<T: serde::de::DeserializeOwned>(arguments: &JsonObject) -> Result<T, LlmError> {
    serde_json::from_value::<Checked<T>>(Value::Object(arguments.clone()))
        .map_err(|err| LlmError::new(ErrorKind::BadRequest, format!("invalid arguments: {err}")))
        .and_then(|Checked(args)| args)
}

/// The supervisor's `complete`: tries each planned server until one answers or fails in a way
/// another server would not fix, passing over those whose circuit breaker is open.
pub async fn complete(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: RoutedCompleteArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let planned = plan(&hub.config(), &args, &arguments, |name| {
        hub.board().rank(name)
    });
    let targets = match planned {
        Ok(targets) => targets,
        Err(err) => return err.to_tool_result(SELF),
    };
    let mut route = Route::default();
    let mut last = None;
    for target in targets {
        let child_args = child_arguments(&arguments, &target);
        let called = attempt(
            hub,
            &target.server,
            "complete",
            child_args,
            args.timeout_s,
            ctx,
        );
        let outcome = match called.await {
            Attempt::Skipped { why, retry_in } => {
                tracing::info!(server = %target.server, %why, "complete passed over a server");
                route.retry_in = match (route.retry_in, retry_in) {
                    (Some(soonest), Some(this)) => Some(soonest.min(this)),
                    (soonest, this) => soonest.or(this),
                };
                route.skipped.push(Skipped {
                    provider: target.server.clone(),
                    why,
                });
                continue;
            }
            Attempt::Called(outcome) => outcome,
        };
        route.tried.push(target.server.clone());
        let miss = attempt::miss(&outcome);
        let result = match outcome {
            Ok(result) if ToolErrorMeta::read(&result).is_none() => {
                return answered(result, &target.server, &route);
            }
            Ok(result) => result,
            Err(failure) => failure.into_error().to_tool_result(&target.server),
        };
        if !miss.is_some_and(router::moves_on) {
            return failed(result, &route);
        }
        tracing::info!(server = %target.server, "complete failed; the fallback rule moves on to the next server");
        last = Some(result);
    }
    let last = last.unwrap_or_else(|| all_skipped(&route.skipped, route.retry_in));
    failed(last, &route)
}

/// The servers one `complete` call tried, and those it passed over.
#[derive(Default)]
struct Route {
    tried: Vec<String>,
    skipped: Vec<Skipped>,
    /// The soonest an open breaker among them lets a probe go.
    retry_in: Option<std::time::Duration>,
}

/// The error of a call whose every planned server had an open breaker: `[unreachable]`, with
/// `retry_after` the soonest probe, so a caller retries then; signed with the server and
/// saying why when there was one, else naming each server and why.
fn all_skipped(skipped: &[Skipped], retry_in: Option<std::time::Duration>) -> CallToolResult {
    let unreachable =
        |message: String| LlmError::new(ErrorKind::Unreachable, message).with_retry_after(retry_in);
    match skipped {
        [one] => unreachable(one.why.clone()).to_tool_result(&one.provider),
        _ => {
            let reasons: Vec<String> = (skipped.iter())
                .map(|s| format!("{}: {}", s.provider, s.why))
                .collect();
            let message = format!(
                "every server planned for this call was passed over; {}",
                reasons.join("; ")
            );
            unreachable(message).to_tool_result(SELF)
        }
    }
}

/// The servers to try for a `complete` call, sized by its prompt and system text and by the
/// number of tools it offers (`tools`, passed on to the child as given).
/// Under `routing: latency`, the servers are then sorted by `rank` (see [`routing`]).
fn plan(
    config: &super::config::SupervisorConfig,
    args: &RoutedCompleteArgs,
    arguments: &JsonObject,
    rank: impl Fn(&str) -> Rank,
) -> Result<Vec<router::Target>, LlmError> {
    let text_bytes = args.prompt.len() + args.system.as_ref().map_or(0, String::len);
    let tools = arguments
        .get("tools")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut targets = router::plan(
        config,
        args.provider.as_deref(),
        args.tier.as_deref(),
        args.model.as_deref(),
        text_bytes,
        tools,
    )?;
    if config.routing.routing == Routing::Latency && args.provider.is_none() {
        let named_tier = args.tier.as_deref().is_some_and(|t| t != "auto");
        routing::by_health(&mut targets, named_tier, rank);
    }
    Ok(targets)
}

/// The caller's arguments as the child's `complete` takes them: without the routing fields,
/// with the target's model (or none: the child's default).
fn child_arguments(arguments: &JsonObject, target: &router::Target) -> JsonObject {
    let mut child_args = arguments.clone();
    child_args.remove("provider");
    child_args.remove("tier");
    match &target.model {
        Some(model) => child_args.insert("model".into(), json!(model)),
        None => child_args.remove("model"),
    };
    child_args
}

/// A successful record, signed with the configured server's name (two entries running the
/// same backend would otherwise both say, for example, `mock`), with `tried` (and `skipped`,
/// when a breaker passed a server over) added to its structured content and text.
fn answered(mut result: CallToolResult, server: &str, route: &Route) -> CallToolResult {
    let fields = route_fields(route);
    if let Some(Value::Object(record)) = &mut result.structured_content {
        record.insert("provider".into(), json!(server));
        record.extend(fields);
        result.content = vec![ContentBlock::text(
            Value::Object(record.clone()).to_string(),
        )];
    } else {
        let meta = result.meta.get_or_insert_with(Default::default);
        for (key, value) in fields {
            meta.insert(key, value);
        }
    }
    result
}

/// `tried`, and `skipped` when not empty.
fn route_fields(route: &Route) -> JsonObject {
    let mut fields = JsonObject::new();
    fields.insert("tried".into(), json!(route.tried));
    if !route.skipped.is_empty() {
        fields.insert("skipped".into(), json!(route.skipped));
    }
    fields
}

/// The last failure, with `tried` (and `skipped`) in its `_meta` and its text.
fn failed(mut result: CallToolResult, route: &Route) -> CallToolResult {
    let tried = &route.tried;
    let meta = result.meta.get_or_insert_with(Default::default);
    for (key, value) in route_fields(route) {
        meta.insert(key, value);
    }
    if tried.len() > 1 {
        let note = format!(" (tried {})", tried.join(", "));
        let text = result.content.iter_mut().find_map(|c| match c {
            ContentBlock::Text(text) => Some(text),
            _ => None,
        });
        if let Some(text) = text {
            text.text.push_str(&note);
        }
    }
    result
}

/// `compare`: the same prompt to each provider concurrently, one entry per provider in the
/// order asked; with `deadline_s`, what has arrived by then (the rest `timeout`); with
/// `judge`, the judge's verdict on the answers.
pub async fn compare(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: CompareArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let deadline = match deadline::from_args(args.deadline_s, Instant::now()) {
        Ok(deadline) => deadline,
        Err(err) => return err.to_tool_result(SELF),
    };
    let providers = match &args.providers {
        Some(list) if list.is_empty() => {
            return LlmError::new(ErrorKind::BadRequest, "providers is empty").to_tool_result(SELF);
        }
        Some(list) => list.clone(),
        None => with_complete(hub),
    };
    let mut child_args = arguments;
    for field in ["providers", "deadline_s", "judge"] {
        child_args.remove(field);
    }
    let calls = providers.iter().map(|name| {
        let child_args = child_args.clone();
        async move {
            let own = deadline::own_context(ctx);
            let call = attempt(hub, name, "complete", child_args, args.timeout_s, &own);
            match deadline::within(deadline, &own.ct, call).await {
                Some(Attempt::Called(outcome)) => entry(name, outcome),
                Some(Attempt::Skipped { why, .. }) => {
                    failed_entry(name, LlmError::new(ErrorKind::Unreachable, why))
                }
                None => failed_entry(name, late(args.deadline_s.unwrap_or_default())),
            }
        }
    });
    let results = futures::future::join_all(calls).await;
    let judgement = match &args.judge {
        None => None,
        Some(spec) => {
            let system = args.system.as_deref();
            let judged = judge::judge(
                hub,
                spec,
                &args.prompt,
                system,
                &results,
                args.timeout_s,
                ctx,
            );
            Some(judged.await)
        }
    };
    json_result(&Comparison { results, judgement })
}

/// The `[timeout]` of a provider that had not answered by the deadline.
fn late(deadline_s: f64) -> LlmError {
    LlmError::new(
        ErrorKind::Timeout,
        format!("no answer within deadline_s ({deadline_s} s); the call was cancelled"),
    )
}

/// Every configured child except ready ones without a `complete` tool.
fn with_complete(hub: &Hub) -> Vec<String> {
    hub.statuses()
        .into_iter()
        .filter(|(_, s)| {
            s.live
                .as_ref()
                .is_none_or(|l| l.tools.iter().any(|t| t.name == "complete"))
        })
        .map(|(name, _)| name)
        .collect()
}

/// An entry for a provider that gave no record, with the error rendered under its name.
fn failed_entry(name: &str, err: LlmError) -> CompareEntry {
    CompareEntry {
        provider: name.to_string(),
        record: None,
        error: Some(err.render(name)),
        kind: Some(err.kind.to_string()),
    }
}

fn entry(name: &str, outcome: Result<CallToolResult, Failure>) -> CompareEntry {
    let error = |err: LlmError| failed_entry(name, err);
    let result = match outcome {
        Ok(result) => result,
        Err(failure) => return error(failure.into_error()),
    };
    if let Some(meta) = ToolErrorMeta::read(&result) {
        let text = result
            .content
            .iter()
            .find_map(|c| c.as_text())
            .map(|t| t.text.clone());
        return CompareEntry {
            provider: name.to_string(),
            record: None,
            error: text,
            kind: meta.kind.map(|kind| kind.to_string()),
        };
    }
    match result
        .structured_content
        .map(serde_json::from_value::<Record>)
    {
        Some(Ok(record)) => CompareEntry {
            provider: name.to_string(),
            record: Some(Record {
                provider: name.to_string(),
                ..record
            }),
            error: None,
            kind: None,
        },
        _ => error(LlmError::new(
            ErrorKind::InvalidResponse,
            "the answer is not an llm-mcp record",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::config::SupervisorConfig;

    #[test]
    fn auto_counts_the_tools_the_call_offers() {
        let config = SupervisorConfig::parse(
            r#"{"mcpServers": {"small": {"command": "x"}, "big": {"command": "x"}},
                "tiers": {"fast": {"server": "small"}, "premium": {"server": "big"}}}"#,
            &|_| None,
        )
        .unwrap();
        let tools: Vec<Value> = (0..8).map(|n| json!({"name": format!("t{n}")})).collect();
        let arguments = |tools: &[Value]| {
            let Value::Object(object) = json!({"prompt": "hi", "tier": "auto", "tools": tools})
            else {
                unreachable!()
            };
            object
        };
        let first = |arguments: JsonObject| {
            let args: RoutedCompleteArgs = parse(&arguments).unwrap();
            plan(&config, &args, &arguments, |_| Rank::unmeasured()).unwrap()[0]
                .server
                .clone()
        };
        assert_eq!(first(arguments(&[])), "small");
        assert_eq!(first(arguments(&tools)), "big");
    }
}
