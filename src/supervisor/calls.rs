//! The supervisor's LLM tools: `complete` (routed, with fallback) and `compare` (one prompt to
//! several providers at once). Both forward to the children's own `complete` tool.

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use super::forward::{self, Failure};
use super::hub::Hub;
use super::own::{CompareArgs, CompareEntry, Comparison, RoutedCompleteArgs, json_result};
use super::router;
use crate::completion::Record;
use crate::error::{ErrorKind, LlmError};
use crate::tools::Checked;

/// The name the supervisor signs its own errors with.
const SELF: &str = "llm-mcp";

/// Calls `tool` on the child `name`, or says why it cannot.
pub async fn call_child(
    hub: &Hub,
    name: &str,
    tool: &str,
    arguments: JsonObject,
    timeout_s: Option<f64>,
    ctx: &RequestContext<RoleServer>,
) -> Result<CallToolResult, Failure> {
    let status = hub
        .status(name)
        .ok_or_else(|| forward::not_ready("removed"))?;
    let Some(live) = status.live else {
        let state = serde_json::to_value(status.state).unwrap_or_default();
        return Err(forward::not_ready(state.as_str().unwrap_or("unknown")));
    };
    let timeout = hub.config().health.call_timeout(timeout_s);
    forward::call(&live, tool, Some(arguments), timeout, ctx).await
}

fn parse<T: serde::de::DeserializeOwned>(arguments: &JsonObject) -> Result<T, LlmError> {
    serde_json::from_value::<Checked<T>>(Value::Object(arguments.clone()))
        .map_err(|err| LlmError::new(ErrorKind::BadRequest, format!("invalid arguments: {err}")))
        .and_then(|Checked(args)| args)
}

/// The supervisor's `complete`: tries each planned server until one answers or fails in a way
/// another server would not fix.
pub async fn complete(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: RoutedCompleteArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let text_bytes = args.prompt.len() + args.system.as_ref().map_or(0, String::len);
    let config = hub.config();
    let planned = router::plan(
        &config,
        args.provider.as_deref(),
        args.tier.as_deref(),
        args.model.as_deref(),
        text_bytes,
        0,
    );
    let targets = match planned {
        Ok(targets) => targets,
        Err(err) => return err.to_tool_result(SELF),
    };
    let mut tried = Vec::new();
    let mut last = None;
    for target in targets {
        let child_args = child_arguments(&arguments, &target);
        tried.push(target.server.clone());
        let outcome = call_child(
            hub,
            &target.server,
            "complete",
            child_args,
            args.timeout_s,
            ctx,
        )
        .await;
        let result = match outcome {
            Ok(result) if result.is_error != Some(true) => return answered(result, &tried),
            Ok(result) if router::is_retryable(&result) => result,
            Ok(result) => return failed(result, &tried),
            Err(Failure::Unavailable(err)) => err.to_tool_result(&target.server),
            Err(other) => return failed(other.into_error().to_tool_result(&target.server), &tried),
        };
        tracing::info!(server = %target.server, "complete failed retryably; trying the next server");
        last = Some(result);
    }
    let last = last.unwrap_or_else(|| {
        LlmError::new(ErrorKind::Internal, "no server was tried").to_tool_result(SELF)
    });
    failed(last, &tried)
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

/// A successful record, with `tried` added to its structured content and text.
fn answered(mut result: CallToolResult, tried: &[String]) -> CallToolResult {
    if let Some(Value::Object(record)) = &mut result.structured_content {
        record.insert("tried".into(), json!(tried));
        result.content = vec![ContentBlock::text(
            Value::Object(record.clone()).to_string(),
        )];
    } else {
        result
            .meta
            .get_or_insert_with(Default::default)
            .insert("tried".into(), json!(tried));
    }
    result
}

/// The last failure, with `tried` in its `_meta` and its text.
fn failed(mut result: CallToolResult, tried: &[String]) -> CallToolResult {
    result
        .meta
        .get_or_insert_with(Default::default)
        .insert("tried".into(), json!(tried));
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
/// order asked.
pub async fn compare(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: CompareArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let providers = match args.providers {
        Some(list) if list.is_empty() => {
            return LlmError::new(ErrorKind::BadRequest, "providers is empty").to_tool_result(SELF);
        }
        Some(list) => list,
        None => with_complete(hub),
    };
    let mut child_args = arguments;
    child_args.remove("providers");
    let calls = providers.iter().map(|name| {
        let child_args = child_args.clone();
        async move {
            let outcome = call_child(hub, name, "complete", child_args, args.timeout_s, ctx).await;
            entry(name, outcome)
        }
    });
    let results = futures::future::join_all(calls).await;
    json_result(&Comparison { results })
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

fn entry(name: &str, outcome: Result<CallToolResult, Failure>) -> CompareEntry {
    let error = |err: LlmError| CompareEntry {
        provider: name.to_string(),
        record: None,
        error: Some(err.render(name)),
        kind: Some(err.kind.to_string()),
    };
    let result = match outcome {
        Ok(result) => result,
        Err(failure) => return error(failure.into_error()),
    };
    if result.is_error == Some(true) {
        let kind = result
            .meta
            .as_ref()
            .and_then(|m| m.get("kind"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let text = result
            .content
            .iter()
            .find_map(|c| c.as_text())
            .map(|t| t.text.clone());
        return CompareEntry {
            provider: name.to_string(),
            record: None,
            error: text,
            kind,
        };
    }
    match result
        .structured_content
        .map(serde_json::from_value::<Record>)
    {
        Some(Ok(record)) => CompareEntry {
            provider: name.to_string(),
            record: Some(record),
            error: None,
            kind: None,
        },
        _ => error(LlmError::new(
            ErrorKind::InvalidResponse,
            "the answer is not an llm-mcp record",
        )),
    }
}
