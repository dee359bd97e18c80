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
use super::items::{message_text, reasoning_text, refused, tool_calls};
use crate::completion::{Completion, FinishReason, Usage};
use crate::error::{ErrorKind, LlmError};

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
