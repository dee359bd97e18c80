//! Reading a streamed answer from `streamGenerateContent?alt=sse`
//! (<https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent>): every
//! SSE `data:` is a `GenerateContentResponse` holding the next piece of the candidate.
//!
//! - Text parts append (thought parts are left out, as in a whole answer); a `functionCall`
//!   part is a whole call, never a fragment.
//! - `usageMetadata` repeats on chunks with the counts so far, so the latest replaces any
//!   earlier one; `modelVersion` names the model.
//! - `finishReason` maps as in a whole answer. A filtered answer with nothing in it, or a
//!   blocked prompt (`promptFeedback.blockReason`, no candidate), is the same `content_filter`
//!   error a whole answer gives.
//! - An error after the 200 arrives as a chunk `{"error": {"code", "message", "status"}}`
//!   (e.g. 503 UNAVAILABLE part-way through), read as an error body of that `code`.
//!
//! When the stream is over: Gemini sends no terminal event; the server ends the body after the
//! last chunk. The chunk with a `finishReason` is normally the last, but nothing documents
//! that a usage-only chunk cannot follow it, so the stream is read to the end of the body and
//! [`end`] decides there: complete once a `finishReason` arrived, cut off otherwise.

use serde_json::Value;

use super::errors::parse_error_body;
use super::response::{GenerateResponse, blocked_prompt, finish_reason, usage, withheld};
use crate::completion::FinishReason;
use crate::error::LlmError;
use crate::provider::parse_json;
use crate::providers::arguments_object;
use crate::stream::{PartialToolCall, StreamState};

/// Feeds one SSE event's data into `state`.
pub(super) fn event(state: &mut StreamState, data: &str) -> Result<(), LlmError> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(());
    }
    let value: Value = parse_json(data.as_bytes())?;
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(stream_error(&value, data));
    }
    let chunk: GenerateResponse = parse_json(data.as_bytes())?;
    if let Some(model) = chunk.model_version.filter(|m| !m.is_empty()) {
        state.model = Some(model);
    }
    if let Some(metadata) = chunk.usage_metadata {
        state.usage = usage(Some(metadata));
    }
    let block = chunk.prompt_feedback.and_then(|f| f.block_reason);
    let Some(candidate) = chunk.candidates.into_iter().next() else {
        return match block {
            Some(reason) => Err(blocked_prompt(&reason)),
            // A chunk with only usage or feedback.
            None => Ok(()),
        };
    };
    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
    for part in parts.into_iter().filter(|p| !p.thought) {
        if let Some(text) = part.text {
            state.output.push_str(&text);
        }
        if let Some(call) = part.function_call {
            // Ids as in a whole answer: Gemini's own when it sends one, else `call_{index}`.
            let index = state.tool_calls.len();
            let arguments = arguments_object(&call.name, call.args)?;
            state.tool_calls.push(PartialToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{index}")),
                name: call.name,
                arguments: Value::Object(arguments).to_string(),
            });
        }
    }
    let reason = candidate
        .finish_reason
        .filter(|r| !r.is_empty() && r != "FINISH_REASON_UNSPECIFIED");
    if let Some(reason) = reason {
        let finish = finish_reason(Some(&reason));
        if finish == FinishReason::ContentFilter
            && state.output.is_empty()
            && state.tool_calls.is_empty()
        {
            return Err(withheld(&reason));
        }
        state.finish_reason = Some(finish);
    }
    Ok(())
}

/// The body ended: a stream that reached its `finishReason` is complete (function calls make
/// it `tool_calls`, as in a whole answer); one that did not was cut off.
pub(super) fn end(state: &mut StreamState) {
    if state.finish_reason.is_none() {
        return;
    }
    if state.tool_calls.iter().any(|call| !call.name.is_empty()) {
        state.finish_reason = Some(FinishReason::ToolCalls);
    }
    state.done = true;
}

/// An error chunk, classified as an error body of the status its `code` names (500 without
/// one); the HTTP status was already 200, so the error carries none.
fn stream_error(value: &Value, data: &str) -> LlmError {
    let status = value["error"]["code"]
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (400..=599).contains(code))
        .unwrap_or(500);
    let mut err = parse_error_body(status, data.as_bytes());
    err.status = None;
    err.message = format!("error in the stream: {}", err.message);
    err
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wire_tests;
