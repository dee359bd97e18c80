//! The supervisor's `compare`: one prompt to several providers at once, each answer under its
//! server's breaker and budgets; with `deadline_s`, what has arrived by then; with `judge`,
//! the judge's verdict on the answers ([`super::judge`]).

use std::time::Instant;

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;

use super::attempt::{Attempt, attempt};
use super::budget_gate;
use super::deadline;
use super::forward::{Caller, Failure};
use super::hub::Hub;
use super::judge;
use super::llm_tools::{SELF, log_usage, parse};
use super::router;
use super::tool_defs::{CompareArgs, CompareEntry, Comparison};
use crate::client::ToolErrorMeta;
use crate::completion::Record;
use crate::error::{ErrorKind, LlmError};
use crate::tool_result::json_result;

/// `compare`: the same prompt to each provider concurrently, one entry per provider in the
/// order asked; with `deadline_s`, what has arrived by then (the rest `timeout`); with
/// `judge`, the judge's verdict on the answers. Each answer counts against its server's
/// budgets; a server whose `block` budget is spent answers with that error.
pub async fn compare(
    hub: &Hub,
    arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let args: CompareArgs = match parse(&arguments) {
        Ok(args) => args,
        Err(err) => return err.to_tool_result(SELF),
    };
    let deadline = match deadline::from_args(args.deadline_s, tokio::time::Instant::now()) {
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
    let config = hub.config();
    let config = &config;
    let (model, timeout_s) = (&args.model, args.timeout_s);
    let caller = Caller::from(ctx);
    let calls = providers.iter().map(|name| {
        let child_args = child_args.clone();
        let caller = &caller;
        async move {
            // A spent `block` budget answers for its provider; the others still run.
            if let Some((err, _)) = budget_gate::blocked(hub.budgets(), config, name) {
                return failed_entry(name, err);
            }
            let target = router::Target {
                server: name.clone(),
                model: model.clone(),
            };
            let own = deadline::own_caller(caller);
            let started = Instant::now();
            let call = attempt(hub, name, "complete", child_args, timeout_s, &own);
            let outcome = match deadline::within(deadline, &own.ct, call).await {
                Some(Attempt::Called(outcome)) => outcome.map_err(Failure::into_error),
                Some(Attempt::Skipped { why, .. }) => {
                    return failed_entry(name, LlmError::new(ErrorKind::Unreachable, why));
                }
                None => return failed_entry(name, late(args.deadline_s.unwrap_or_default())),
            };
            let mut notes = Vec::new();
            match &outcome {
                Ok(result) => {
                    log_usage(hub, "compare", &target, started, result);
                    if ToolErrorMeta::read(result).is_none() {
                        notes = budget_gate::count(hub.budgets(), config, name, None, result);
                    }
                }
                Err(err) => {
                    let result = err.to_tool_result(name);
                    log_usage(hub, "compare", &target, started, &result);
                }
            }
            entry(name, outcome, &notes)
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

/// An entry for a provider that gave no record, with the error rendered under its name.
fn failed_entry(name: &str, err: LlmError) -> CompareEntry {
    CompareEntry {
        provider: name.to_string(),
        record: None,
        error: Some(err.render(name)),
        kind: Some(err.kind.to_string()),
    }
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

fn entry(name: &str, outcome: Result<CallToolResult, LlmError>, notes: &[String]) -> CompareEntry {
    let error = |err: LlmError| failed_entry(name, err);
    let result = match outcome {
        Ok(result) => result,
        Err(err) => return error(err),
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
        Some(Ok(mut record)) => CompareEntry {
            provider: name.to_string(),
            record: Some(Record {
                provider: name.to_string(),
                warnings: {
                    record.warnings.extend(notes.iter().cloned());
                    record.warnings
                },
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
