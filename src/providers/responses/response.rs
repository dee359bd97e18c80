//! Reading a response object: output text in order, function calls, refusals, reasoning
//! summaries, usage, and `status` with `incomplete_details` mapped onto finish reasons.
//!
//! API DOC: <https://platform.openai.com/docs/api-reference/responses/object>. The table of
//! `status` (and `incomplete_details.reason`) to [`FinishReason`]:
//!
//! | status | reason | finish_reason |
//! |---|---|---|
//! | `completed` | | `tool_calls` when it called a function, `content_filter` when it refused, else `stop` |
//! | `incomplete` | `max_output_tokens` | `length` |
//! | `incomplete` | `content_filter` | `content_filter` |
//! | `incomplete` | anything else | `other` |
//! | `failed` | | an error of the kind `error.code` says (see `errors`) |
//! | `cancelled`, `queued`, `in_progress` | | an error: the answer is not there |

use serde::Deserialize;
use serde_json::Value;

use super::errors;
use crate::completion::{Completion, FinishReason, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError};
use crate::providers::arguments_object;

/// The fields of a response object this adapter reads.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireResponse {
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) model: Option<String>,
    #[serde(default)]
    pub(super) output: Vec<Value>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
    #[serde(default)]
    pub(super) error: Option<Value>,
    #[serde(default)]
    pub(super) incomplete_details: Option<Value>,
}

/// `usage`: `input_tokens` includes the cached ones, `output_tokens` the reasoning ones.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

fn usage(wire: Option<&WireUsage>) -> Usage {
    let Some(wire) = wire else {
        return Usage::default();
    };
    Usage {
        input_tokens: wire.input_tokens,
        output_tokens: wire.output_tokens,
        cache_read_tokens: wire
            .input_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens),
        cache_write_tokens: None,
        reasoning_tokens: wire
            .output_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens),
    }
}

fn texts<'a>(item: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    item.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The text of the `message` items of `items`, in order: `output_text` parts and refusals.
pub(super) fn message_text(items: &[Value]) -> String {
    items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("message"))
        .flat_map(|item| texts(item, "content"))
        .filter_map(|part| match part.get("type").and_then(Value::as_str) {
            Some("output_text") => part.get("text").and_then(Value::as_str),
            Some("refusal") => part.get("refusal").and_then(Value::as_str),
            _ => None,
        })
        .collect()
}

fn refused(items: &[Value]) -> bool {
    items
        .iter()
        .flat_map(|item| texts(item, "content"))
        .any(|part| part.get("type").and_then(Value::as_str) == Some("refusal"))
}

/// The reasoning summaries (and any reasoning text) of `items`, paragraphs apart.
fn reasoning_text(items: &[Value]) -> Option<String> {
    let parts: Vec<&str> = items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("reasoning"))
        .flat_map(|item| texts(item, "summary").chain(texts(item, "content")))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .filter(|text| !text.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

fn tool_calls(items: &[Value]) -> Result<Vec<ToolCall>, LlmError> {
    items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("function_call"))
        .map(|item| {
            let text = |field: &str| item.get(field).and_then(Value::as_str).unwrap_or_default();
            let name = text("name").to_string();
            let arguments = item.get("arguments").cloned().unwrap_or(Value::Null);
            Ok(ToolCall {
                id: text("call_id").to_string(),
                arguments: arguments_object(&name, arguments)?,
                name,
            })
        })
        .collect()
}

fn finish_reason(
    wire: &WireResponse,
    calls: bool,
    refused: bool,
) -> Result<FinishReason, LlmError> {
    let reason = wire
        .incomplete_details
        .as_ref()
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    match wire.status.as_deref() {
        Some("completed") | None if calls => Ok(FinishReason::ToolCalls),
        Some("completed") | None if refused => Ok(FinishReason::ContentFilter),
        Some("completed") | None => Ok(FinishReason::Stop),
        Some("incomplete") => Ok(match reason {
            Some("max_output_tokens") => FinishReason::Length,
            Some("content_filter") => FinishReason::ContentFilter,
            _ => FinishReason::Other,
        }),
        Some("failed") => Err(errors::failed(wire.error.as_ref())),
        Some(other) => Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!("the response is {other}, not finished"),
        )),
    }
}

/// The completion `wire` holds, with the provider state of its reasoning items (for the
/// backend `format`). `items` are its output items (the response's own, or those a stream
/// delivered one by one).
pub(super) fn completion(
    wire: &WireResponse,
    items: &[Value],
    format: &str,
    requested_model: &str,
) -> Result<Completion, LlmError> {
    let calls = tool_calls(items)?;
    let finish_reason = finish_reason(wire, !calls.is_empty(), refused(items))?;
    let model = wire
        .model
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| requested_model.to_string());
    let mut completion = Completion::new(message_text(items), model, finish_reason);
    completion.usage = usage(wire.usage.as_ref());
    completion.tool_calls = calls;
    completion.reasoning = reasoning_text(items);
    completion.provider_state = super::replay::state(format, &completion.model, items);
    Ok(completion)
}

/// Reads a whole answer: a response object (or, from a server that streams only, its events).
pub(super) fn parse_completion(body: &[u8], format: &str) -> Result<Completion, LlmError> {
    let start = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if matches!(start, Some(b'e' | b'd' | b':')) {
        return super::streaming::parse_events(body, format);
    }
    let wire: WireResponse = crate::provider::parse_json(body)?;
    completion(&wire, &wire.output, format, "")
}

/// The Codex backend's model listing: `{"models": [{"slug": ...}, ...]}`
/// (`ModelsResponse` in codex-rs/codex-api/src/endpoint/models.rs).
pub(super) fn parse_codex_models(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(Deserialize)]
    struct Listing {
        models: Vec<Slug>,
    }
    #[derive(Deserialize)]
    struct Slug {
        slug: String,
    }
    let listing: Listing = crate::provider::parse_json(body)?;
    Ok(listing.models.into_iter().map(|m| m.slug).collect())
}
