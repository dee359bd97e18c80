//! Reading a streamed `/api/chat` answer (`"stream": true`,
//! <https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion>): NDJSON,
//! one chat object per line.
//!
//! - `message.content` of each line is the next piece of text, `message.thinking` the next
//!   piece of the reasoning (as in a whole answer).
//! - `message.tool_calls` arrive whole, arguments already an object, never in fragments.
//! - The last line has `done: true` with `done_reason`, `prompt_eval_count` and `eval_count`;
//!   it ends the stream. A body that ends before it was cut off.
//! - An error before the first line comes back with its own HTTP status, like any error body.
//!   Once the 200 is out, Ollama writes the error as a line `{"error": "..."}` and closes
//!   (`streamResponse` in <https://github.com/ollama/ollama/blob/main/server/routes.go>, whose
//!   status for an error without its own is 500), so it is read as a 500 error body.

use serde_json::Value;

use super::errors::parse_error_body;
use super::response::{ChatResponse, apply, not_ollama};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;
use crate::stream::StreamState;

/// Feeds one NDJSON line into `state`.
pub(super) fn event(state: &mut StreamState, line: &str) -> Result<(), LlmError> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(());
    }
    let value: Value = parse_json(line.as_bytes())?;
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(stream_error(line));
    }
    let chunk: ChatResponse = serde_json::from_value(value).map_err(|err| {
        LlmError::new(
            ErrorKind::InvalidResponse,
            format!("a stream line is not an Ollama chat chunk: {err}"),
        )
    })?;
    let Some(done) = chunk.done else {
        return Err(not_ollama("stream line (no done)"));
    };
    apply(state, chunk, done)
}

/// An `{"error": "..."}` line after the 200: classified as a 500 body with that text (the
/// server's own failure), carrying no status of its own.
fn stream_error(line: &str) -> LlmError {
    let mut err = parse_error_body(500, line.as_bytes());
    err.status = None;
    err.message = format!("error in the stream: {}", err.message);
    err
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wire_tests;
