//! Reading a streamed answer from `streamGenerateContent?alt=sse`
//! (<https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent>): every
//! SSE `data:` is a `GenerateContentResponse` holding the next piece of the candidate.
//!
//! - Each chunk is read as a whole answer is ([`apply`]): text appends, thought summaries go
//!   to the reasoning, a `functionCall` part is a whole call, never a fragment, and parts with
//!   a `thoughtSignature` are kept for the next turn.
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
use super::response::{GenerateResponse, apply, complete};
use crate::error::LlmError;
use crate::provider::parse_json;
use crate::stream::StreamState;

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
    apply(state, chunk).map(|_| ())
}

/// The body ended: a stream that reached its `finishReason` is complete (see [`complete`]);
/// one that did not was cut off.
pub(super) fn end(state: &mut StreamState) {
    if state.finish_reason.is_some() {
        complete(state);
    }
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
