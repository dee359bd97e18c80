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

use serde::Deserialize;
use serde_json::Value;

use super::errors::parse_error_body;
use super::response::{WireMessage, finish_reason, not_ollama, thinking_state};
use crate::completion::Usage;
use crate::error::LlmError;
use crate::provider::parse_json;
use crate::providers::arguments_object;
use crate::stream::{PartialToolCall, StreamState};

/// One line of the stream: the fields of a whole answer, plus `done`.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    message: Option<WireMessage>,
    /// On every line (`false` until the last); a line without it is not Ollama's.
    #[serde(default)]
    done: Option<bool>,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
}

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
    let chunk: Chunk = parse_json(line.as_bytes())?;
    let Some(done) = chunk.done else {
        return Err(not_ollama("stream line (no done)"));
    };
    if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
        state.model = Some(model);
    }
    if let Some(message) = chunk.message {
        state.output.push_str(&message.content);
        state
            .reasoning
            .push_str(message.thinking.as_deref().unwrap_or_default());
        for call in message.tool_calls {
            // Ids as in a whole answer: Ollama's own when it sends one, else `call_{index}`.
            let index = state.tool_calls.len();
            let arguments = arguments_object(&call.function.name, call.function.arguments)?;
            state.tool_calls.push(PartialToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{index}")),
                name: call.function.name,
                arguments: Value::Object(arguments).to_string(),
            });
        }
    }
    if done {
        // The counts come once, on the last line, so they are taken as they are.
        state.usage = Usage {
            input_tokens: chunk.prompt_eval_count,
            output_tokens: chunk.eval_count,
            ..Usage::default()
        };
        let has_calls = !state.tool_calls.is_empty();
        state.finish_reason = Some(finish_reason(chunk.done_reason.as_deref(), has_calls));
        state.provider_state = thinking_state(&state.reasoning, has_calls);
        state.done = true;
    }
    Ok(())
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
