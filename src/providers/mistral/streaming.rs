//! Reading a streamed Mistral answer (`"stream": true` on `/v1/chat/completions`,
//! <https://docs.mistral.ai/api/#tag/chat/operation/chat_completion_v1_chat_completions_post>):
//! OpenAI's chunk shape, read by OpenAI's reader
//! ([`crate::providers::openai`], built without `stream_options`, which Mistral refuses). The
//! usage comes unasked on the chunk with the `finish_reason`, so that chunk ends the stream
//! even before `data: [DONE]`. What differs is here:
//! - `finish_reason: "model_length"` (the context window is full) is `length`, as in a whole
//!   answer; `error` is `other`.
//! - An error object in the stream has Mistral's error shape
//!   (`{"object": "error", "message", "type", "code"}`, where `code` is Mistral's own number,
//!   not an HTTP status), which OpenAI's reader would take for an empty chunk; it is read as
//!   Mistral's error body of the status its `type` implies.

use serde_json::Value;

use super::parse_error_body;
use crate::completion::FinishReason;
use crate::error::LlmError;
use crate::provider::Provider;
use crate::providers::openai::OpenAi;
use crate::stream::StreamState;

/// Feeds one SSE event into `state` through OpenAI's reader, then applies Mistral's own.
pub(super) fn event(
    inner: &OpenAi,
    state: &mut StreamState,
    event: &str,
    data: &str,
) -> Result<(), LlmError> {
    let value = serde_json::from_str::<Value>(data.trim()).unwrap_or(Value::Null);
    if value["object"] == "error" {
        return Err(stream_error(&value, data.trim()));
    }
    inner.stream_event(state, event, data)?;
    let model_length = value["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["index"].as_u64().unwrap_or(0) == 0)
        .is_some_and(|c| c["finish_reason"] == "model_length");
    if model_length {
        state.finish_reason = Some(FinishReason::Length);
    }
    Ok(())
}

/// A Mistral error object after the 200: classified as an error body of the status its `type`
/// implies (500 when it implies none), carrying no status of its own.
fn stream_error(value: &Value, data: &str) -> LlmError {
    let kind = value["type"].as_str().unwrap_or_default();
    let status = match kind {
        _ if kind.contains("rate_limit") => 429,
        "service_unavailable" | "overloaded" => 503,
        "invalid_request_error" | "invalid_model" => 400,
        _ => 500,
    };
    // The status only classifies: the answer's own status was 200, so the error has none.
    let mut err = parse_error_body(status, data.as_bytes());
    err.status = None;
    err.message = format!("error in the stream: {}", err.message);
    err
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wire_tests;
