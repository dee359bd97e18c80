//! `NAME__tool` passthrough past rmcp: a client's `tools/call` that asks for no progress goes
//! to its child as a line the supervisor writes, and the child's answer goes back as the
//! child's own bytes, under the client's id.
//!
//! Why: rmcp runs every request in a task of its own, and reads and writes each answer as
//! typed values; for a passthrough that was most of what the supervisor spent per call
//! (docs/performance.md). The answer is the same either way: the same routing
//! ([`tool_index::resolve`]), the same timeout, the same errors for a timeout, a crash and an
//! answer that is no tool result ([`forward`]). What this declines takes rmcp's way: a call
//! with a progress token, one to a child under a `rate_limit`, one whose child is not ready
//! or whose stdin is backed up, and any answer not plainly a tool result or an error
//! ([`crate::stdio::plain_answer`]; read then as the pipe's reader reads it, and written from
//! the typed value).

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ErrorData, JsonRpcMessage, ServerResult};
use rmcp::service::TxJsonRpcMessage;
use serde_json::value::RawValue;

use super::forward::{self, Failure};
use super::hub::Hub;
use super::tool_index;
use crate::progress::NO_PROGRESS_META;
use crate::stdio::bypass::{Outcome, Waiter};
use crate::stdio::shortcut::{CallLine, Reply, Shortcut, Ticket};

/// The supervisor's shortcut for passthrough calls.
pub struct Express {
    hub: Arc<Hub>,
}

impl Express {
    /// Passthrough calls to the children of `hub`.
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl Shortcut for Express {
    fn take(&self, call: &CallLine<'_>, reply: Reply) -> Option<Ticket> {
        let config = self.hub.config();
        let statuses = self.hub.statuses();
        let (child, tool) = tool_index::resolve(&statuses, &config, &call.name)?;
        if config.rate_limits.contains_key(&child) {
            return None;
        }
        let (_, status) = statuses.iter().find(|(name, _)| *name == child)?;
        let live = status.live.as_ref()?;
        let timeout = config.health.call_timeout(call.timeout_s);
        let request = |id: &str| request_line(id, &tool, call.arguments);
        let waiter = Box::new(Answer { reply, child });
        live.bypass.send(request, timeout, waiter)
    }
}

/// The `tools/call` line for the child: its tool, the client's arguments as they were, and
/// the mark that no one waits for progress (as [`forward::call_peer`] sends it).
fn request_line(id: &str, tool: &str, arguments: Option<&RawValue>) -> Vec<u8> {
    let tool = serde_json::to_string(tool).expect("a string serializes");
    let meta = serde_json::to_string(NO_PROGRESS_META).expect("a string serializes");
    let (member, arguments) = arguments.map_or(("", ""), |raw| (",\"arguments\":", raw.get()));
    // Joined rather than formatted: `format!` cost a fifth of what taking the call costs.
    [
        "{\"jsonrpc\":\"2.0\",\"id\":",
        id,
        ",\"method\":\"tools/call\",\"params\":{\"name\":",
        &tool,
        member,
        arguments,
        ",\"_meta\":{",
        &meta,
        ":true}}}\n",
    ]
    .concat()
    .into_bytes()
}

/// One passthrough call waiting for its child.
struct Answer {
    reply: Reply,
    child: String,
}

impl Waiter for Answer {
    fn done(self: Box<Self>, outcome: Outcome<'_>) {
        let line = match outcome {
            Outcome::Plain(answer) => {
                let id = serde_json::to_string(self.reply.id()).expect("an id serializes");
                answer.with_id(&id)
            }
            Outcome::Answered(line) => self.read_line(line),
            Outcome::TimedOut(timeout) => self.typed_line(Err(forward::timed_out(timeout))),
            Outcome::Gone => self.typed_line(Err(forward::gone("its connection closed"))),
        };
        self.reply.send(line);
    }
}

impl Answer {
    /// The client's answer for a child's answer that is not plain, read the typed way.
    fn read_line(&self, line: &[u8]) -> Vec<u8> {
        match crate::stdio::read_answer(line) {
            Some(JsonRpcMessage::Response(response)) => {
                self.typed_line(forward::tool_result(response.result))
            }
            Some(JsonRpcMessage::Error(error)) => {
                self.typed_line(Err(Failure::Protocol(error.error)))
            }
            // Our id, but no readable answer.
            _ => self.typed_line(Err(forward::not_a_tool_result())),
        }
    }

    /// The client's answer for a typed outcome, as the rmcp way writes it.
    fn typed_line(&self, outcome: Result<rmcp::model::CallToolResult, Failure>) -> Vec<u8> {
        let id = self.reply.id().clone();
        let message: TxJsonRpcMessage<RoleServer> =
            match forward::passthrough_answer(outcome, &self.child) {
                Ok(result) => JsonRpcMessage::response(ServerResult::CallToolResult(result), id),
                Err(error) => JsonRpcMessage::error(error, Some(id)),
            };
        let mut line = serde_json::to_vec(&message).unwrap_or_else(|err| {
            let error =
                ErrorData::internal_error(format!("writing the answer failed: {err}"), None);
            let message: TxJsonRpcMessage<RoleServer> =
                JsonRpcMessage::error(error, Some(self.reply.id().clone()));
            serde_json::to_vec(&message).expect("an error serializes")
        });
        line.push(b'\n');
        line
    }
}

#[cfg(test)]
mod tests;
