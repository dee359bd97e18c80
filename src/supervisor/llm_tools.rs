//! The supervisor's routed `complete` (with fallback, past open breakers, under the budgets),
//! also used by the sampling bridge and `compare`'s judge; each attempt goes to a child's own
//! tool through [`attempt`]. `compare` is in [`super::compare`].

use std::time::Instant;

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use super::attempt::{Attempt, attempt};
use super::budget_gate;
use super::config::routing::Routing;
use super::forward::{Caller, Failure};
use super::hub::Hub;
use super::router::{self, Miss};
use super::routing::{self, Rank};
use super::tool_defs::RoutedCompleteArgs;
use crate::client::ToolErrorMeta;
use crate::completion::Skipped;
use crate::error::{ErrorKind, LlmError};
use crate::tool_args::Checked;

/// The name the supervisor signs its own errors with.
pub(super) const SELF: &str = "llm-mcp";

pub(super) fn parse<T: serde::de::DeserializeOwned>(arguments: &JsonObject) -> Result<T, LlmError> {
    serde_json::from_value::<Checked<T>>(Value::Object(arguments.clone()))
        .map_err(|err| LlmError::new(ErrorKind::BadRequest, format!("invalid arguments: {err}")))
        .and_then(|Checked(args)| args)
}

/// The supervisor's `complete`: tries each planned server until one answers or fails in a way
/// another server would not fix, passing over those whose circuit breaker is open. The budgets
/// may refuse the call, or move it to a cheaper tier, before it is sent ([`budget_gate`]); an
/// answer's cost is counted against them.
pub async fn complete(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: RoutedCompleteArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let route = Route::of(&args, &arguments);
    routed(
        hub,
        "complete",
        "complete",
        arguments,
        &route,
        &Caller::from(ctx),
    )
    .await
}

/// Where a routed call asks to go, and what sizes it for `tier: auto`.
#[derive(Debug, Clone, Default)]
pub struct Route {
    /// The server named by the call (tried alone).
    pub provider: Option<String>,
    /// The tier named by the call (`auto` included).
    pub tier: Option<String>,
    /// The model named by the call.
    pub model: Option<String>,
    /// Bytes of prompt and system text.
    pub text_bytes: usize,
    /// Tools the call offers the model.
    pub tools: usize,
    /// The call's own timeout.
    pub timeout_s: Option<f64>,
}

impl Route {
    /// The route of a `complete` call: its prompt and system text and the number of tools it
    /// offers (`tools`, passed on to the child as given).
    fn of(args: &RoutedCompleteArgs, arguments: &JsonObject) -> Self {
        Self {
            provider: args.provider.clone(),
            tier: args.tier.clone(),
            model: args.model.clone(),
            text_bytes: args.prompt.len() + args.system.as_ref().map_or(0, String::len),
            tools: arguments
                .get("tools")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
            timeout_s: args.timeout_s,
        }
    }
}

/// Sends `arguments` to the child tool `tool` (`complete`, or `chat` for a sampling request)
/// of each planned server in turn, with the budgets' say and fallback; `label` names the
/// call in the usage log.
pub async fn routed(
    hub: &Hub,
    tool: &str,
    label: &str,
    arguments: JsonObject,
    route: &Route,
    caller: &Caller,
) -> CallToolResult {
    let config = hub.config();
    let planned = plan(&config, route, |name| hub.board().rank(name));
    let (mut targets, tier) = match planned {
        Ok(planned) => planned,
        Err(err) => return err.to_tool_result(SELF),
    };
    let routed = budget_gate::route(hub.budgets(), &config, targets.remove(0), tier);
    let routed = match routed {
        Ok(routed) => routed,
        Err(err) => return err.to_tool_result(SELF),
    };
    targets.retain(|t| t.server != routed.first.server);
    targets.insert(0, routed.first);
    let mut notes = routed.notes;
    let mut trace = Trace::default();
    let mut last = None;
    for (n, target) in targets.into_iter().enumerate() {
        // Only the first target is on the tier; the fallbacks answer with their defaults.
        let tier = if n == 0 { routed.tier.as_deref() } else { None };
        if n > 0
            && let Some((err, elsewhere)) =
                budget_gate::blocked(hub.budgets(), &config, &target.server)
        {
            trace.tried.push(target.server.clone());
            last = Some(err.to_tool_result(&target.server));
            if elsewhere {
                continue;
            }
            break;
        }
        let child_args = child_arguments(&arguments, &target);
        let started = Instant::now();
        let called = attempt(
            hub,
            &target.server,
            tool,
            child_args,
            route.timeout_s,
            caller,
        );
        let outcome = match called.await {
            Attempt::Skipped { why, retry_in } => {
                tracing::info!(server = %target.server, %why, "complete passed over a server");
                trace.retry_in = match (trace.retry_in, retry_in) {
                    (Some(soonest), Some(this)) => Some(soonest.min(this)),
                    (soonest, this) => soonest.or(this),
                };
                trace.skipped.push(Skipped {
                    provider: target.server.clone(),
                    why,
                });
                continue;
            }
            Attempt::Called(outcome) => outcome,
        };
        trace.tried.push(target.server.clone());
        let (result, miss) = match outcome {
            Ok(result) => match ToolErrorMeta::read(&result) {
                None => {
                    log_usage(hub, label, &target, started, &result);
                    let counted =
                        budget_gate::count(hub.budgets(), &config, &target.server, tier, &result);
                    notes.extend(counted);
                    return answered(result, &target.server, &trace, &notes);
                }
                Some(meta) => (result, meta.kind.map(Miss::Failed)),
            },
            Err(Failure::Crashed(err)) => (err.to_tool_result(&target.server), Some(Miss::Crashed)),
            Err(Failure::Unavailable(err)) => {
                let miss = Some(Miss::Failed(err.kind));
                (err.to_tool_result(&target.server), miss)
            }
            Err(other) => (other.into_error().to_tool_result(&target.server), None),
        };
        log_usage(hub, label, &target, started, &result);
        if !miss.is_some_and(router::moves_on) {
            return failed(result, &trace);
        }
        tracing::info!(server = %target.server, "complete failed; the fallback rule moves on to the next server");
        last = Some(result);
    }
    let last = last.unwrap_or_else(|| all_skipped(&trace.skipped, trace.retry_in));
    failed(last, &trace)
}

/// The servers one routed call tried, and those it passed over.
#[derive(Default)]
struct Trace {
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

/// One line in the usage log, when there is one.
pub(super) fn log_usage(
    hub: &Hub,
    tool: &str,
    target: &router::Target,
    started: Instant,
    result: &CallToolResult,
) {
    if let Some(log) = hub.usage_log() {
        let model = target.model.as_deref();
        log.write(tool, &target.server, model, started.elapsed(), result);
    }
}

/// The servers to try for a routed call, and the tier the first is on (none for a call naming
/// its provider). Under `routing: latency`, the servers are then sorted by `rank` (see
/// [`routing`]).
fn plan(
    config: &super::config::SupervisorConfig,
    route: &Route,
    rank: impl Fn(&str) -> Rank,
) -> Result<(Vec<router::Target>, Option<String>), LlmError> {
    let mut targets = router::plan(
        config,
        route.provider.as_deref(),
        route.tier.as_deref(),
        route.model.as_deref(),
        route.text_bytes,
        route.tools,
    )?;
    if config.routing.routing == Routing::Latency && route.provider.is_none() {
        let named_tier = route.tier.as_deref().is_some_and(|t| t != "auto");
        routing::by_health(&mut targets, named_tier, rank);
    }
    let tier = match route.provider {
        Some(_) => None,
        None => router::tier_for(config, route.tier.as_deref(), route.text_bytes, route.tools)?,
    };
    Ok((targets, tier.map(str::to_string)))
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
/// when a breaker passed a server over) and the budgets' `notes` (added to its `warnings`) in
/// its structured content and text.
fn answered(
    mut result: CallToolResult,
    server: &str,
    trace: &Trace,
    notes: &[String],
) -> CallToolResult {
    let fields = trace_fields(trace);
    if let Some(Value::Object(record)) = &mut result.structured_content {
        record.insert("provider".into(), json!(server));
        record.extend(fields);
        add_warnings(record, notes);
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
fn trace_fields(trace: &Trace) -> JsonObject {
    let mut fields = JsonObject::new();
    fields.insert("tried".into(), json!(trace.tried));
    if !trace.skipped.is_empty() {
        fields.insert("skipped".into(), json!(trace.skipped));
    }
    fields
}

/// Appends `notes` to a record's `warnings`.
fn add_warnings(record: &mut JsonObject, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    let warnings = record.entry("warnings").or_insert_with(|| json!([]));
    if let Value::Array(list) = warnings {
        list.extend(notes.iter().map(|n| json!(n)));
    }
}

/// The last failure, with `tried` (and `skipped`) in its `_meta` and its text.
fn failed(mut result: CallToolResult, trace: &Trace) -> CallToolResult {
    let tried = &trace.tried;
    let meta = result.meta.get_or_insert_with(Default::default);
    for (key, value) in trace_fields(trace) {
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
            plan(&config, &Route::of(&args, &arguments), |_| {
                Rank::unmeasured()
            })
            .unwrap()
            .0[0]
                .server
                .clone()
        };
        assert_eq!(first(arguments(&[])), "small");
        assert_eq!(first(arguments(&tools)), "big");
    }
}
