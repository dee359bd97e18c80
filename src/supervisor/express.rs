//! `NAME__tool` passthrough past rmcp: a client's `tools/call` that asks for no progress goes
//! to its child as a line the supervisor writes, and the child's answer goes back as the
//! bytes of its `result`, under the client's id.
//!
//! Why: rmcp runs every request in a task of its own, and reads and writes each answer as
//! typed values; for a passthrough that was most of what the supervisor spent per call
//! (docs/performance.md). The answer is the same either way: the same routing
//! ([`tool_index::resolve`]), the same timeout, the same errors for a timeout, a crash and an
//! answer that is no tool result ([`forward`]). What this declines takes rmcp's way: a call
//! with a progress token, one to a child under a `rate_limit`, one whose child is not ready
//! or whose stdin is backed up, and any answer not plainly a tool result or an error (read
//! then as [`super::server_pipe`]'s reader reads it, and written from the typed value).

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ErrorData, JsonRpcMessage, RequestId, ServerResult};
use rmcp::service::TxJsonRpcMessage;
use serde::Deserialize;
use serde::de::IgnoredAny;
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
    let arguments = arguments.map_or(String::new(), |raw| format!(",\"arguments\":{raw}"));
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":\
         {{\"name\":{tool}{arguments},\"_meta\":{{{meta}:true}}}}}}\n"
    )
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
            Outcome::Answered {
                line,
                result,
                error,
            } => match plain(result, error) {
                Some(raw) => raw_line(self.reply.id(), raw),
                None => self.read_line(line),
            },
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

/// What the client gets as it is: a `result` that is plainly a tool result (its known fields
/// only, with text blocks only) or an `error` that is plainly a JSON-RPC error.
enum Plain<'a> {
    Result(&'a RawValue),
    Error(&'a RawValue),
}

/// The answer's member to pass on as it is, if it is plain.
fn plain<'a>(result: Option<&'a RawValue>, error: Option<&'a RawValue>) -> Option<Plain<'a>> {
    match (result, error) {
        (Some(result), None) if is_plain_result(result) => Some(Plain::Result(result)),
        (None, Some(error)) if is_plain_error(error) => Some(Plain::Error(error)),
        _ => None,
    }
}

/// `{"jsonrpc":"2.0","id":ID,"result"|"error":RAW}` and a newline.
fn raw_line(id: &RequestId, raw: Plain<'_>) -> Vec<u8> {
    let id = serde_json::to_string(id).expect("an id serializes");
    let (member, raw) = match raw {
        Plain::Result(raw) => ("result", raw),
        Plain::Error(raw) => ("error", raw),
    };
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"{member}\":{raw}}}\n").into_bytes()
}

/// Whether `raw` is a tool result rmcp's way would read as one and write back with the same
/// meaning: the fields of a `CallToolResult` only, `resultType` absent or `complete`, at
/// least one of `content`, `structuredContent`, `isError`, and text blocks with nothing but
/// their text (the same test as the pipe's own fast read). Nothing is allocated.
fn is_plain_result(raw: &RawValue) -> bool {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct ToolResult<'a> {
        #[serde(default, borrow)]
        result_type: Option<&'a str>,
        content: Option<Vec<TextBlock>>,
        structured_content: Option<IgnoredAny>,
        is_error: Option<bool>,
        #[serde(rename = "_meta", borrow)]
        meta: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TextBlock {
        #[serde(rename = "type")]
        _kind: TextKind,
        #[serde(rename = "text")]
        _text: Text,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum TextKind {
        Text,
    }
    let Ok(result) = serde_json::from_str::<ToolResult>(raw.get()) else {
        return false;
    };
    let complete = result.result_type.is_none_or(|kind| kind == "complete");
    let known = result.content.is_some()
        || result.structured_content.is_some()
        || result.is_error.is_some();
    // rmcp reads a present `null` for `structuredContent` as a value and writes it back; an
    // absent `_meta` or one that is an object is what it keeps.
    let meta_ok = result.meta.is_none_or(|meta| meta.get().starts_with('{'));
    complete && known && meta_ok
}

/// Whether `raw` is a JSON-RPC error object: `code`, `message`, perhaps `data`, nothing else.
fn is_plain_error(raw: &RawValue) -> bool {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Error {
        #[serde(rename = "code")]
        _code: i32,
        #[serde(rename = "message")]
        _message: Text,
        #[serde(rename = "data")]
        _data: Option<IgnoredAny>,
    }
    serde_json::from_str::<Error>(raw.get()).is_ok()
}

/// A JSON string, checked and not kept.
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests;
