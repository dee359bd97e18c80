//! Reading an `/api/chat` answer (also each line of a stream).

use serde::Deserialize;
use serde_json::Value;

use super::FORMAT;
use crate::completion::{Completion, FinishReason, ProviderState, Usage};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;
use crate::providers::arguments_object;
use crate::stream::{PartialToolCall, StreamState};

/// An `/api/chat` answer, or one line of a streamed one: the same fields either way.
#[derive(Deserialize)]
pub(super) struct ChatResponse {
    #[serde(default)]
    pub(super) model: Option<String>,
    #[serde(default)]
    pub(super) message: Option<WireMessage>,
    /// On every stream line (`false` until the last); a whole answer says `true`.
    #[serde(default)]
    pub(super) done: Option<bool>,
    #[serde(default)]
    pub(super) done_reason: Option<String>,
    #[serde(default)]
    pub(super) prompt_eval_count: Option<u64>,
    #[serde(default)]
    pub(super) eval_count: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct WireMessage {
    #[serde(default)]
    pub(super) content: String,
    /// The model's thinking, apart from the answer (`think`, Ollama 0.9+).
    #[serde(default)]
    pub(super) thinking: Option<String>,
    #[serde(default)]
    pub(super) tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
pub(super) struct WireToolCall {
    #[serde(default)]
    pub(super) id: Option<String>,
    pub(super) function: WireFunction,
}

#[derive(Deserialize)]
pub(super) struct WireFunction {
    pub(super) name: String,
    #[serde(default)]
    pub(super) arguments: Value,
}

pub(super) fn finish_reason(done_reason: Option<&str>, has_tool_calls: bool) -> FinishReason {
    match done_reason {
        _ if has_tool_calls => FinishReason::ToolCalls,
        Some("stop") | None => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some(_) => FinishReason::Other,
    }
}

/// A body without Ollama's `message` (or, streamed, its `done`) is another API's answer.
pub(super) fn not_ollama(what: &str) -> LlmError {
    LlmError::new(
        ErrorKind::InvalidResponse,
        format!(
            "the answer is not an Ollama /api/chat {what}; is the base URL another provider's API?"
        ),
    )
}

/// The thinking of a turn that called tools, kept as Ollama provider state: the message's
/// `thinking` goes back with the turn, as the models' templates render it between tool calls
/// (<https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-with-history>).
pub(super) fn thinking_state(thinking: &str, has_tool_calls: bool) -> Option<ProviderState> {
    (has_tool_calls && !thinking.is_empty()).then(|| ProviderState {
        format: FORMAT.to_string(),
        model: String::new(),
        parts: vec![serde_json::json!({"thinking": thinking})],
    })
}

/// Reads an `/api/chat` body: the whole answer as the one and last chunk of a stream, so the
/// message, tool call and thinking rules exist once ([`apply`]).
pub fn parse_chat(body: &[u8]) -> Result<Completion, LlmError> {
    let response: ChatResponse = parse_json(body)?;
    if response.message.is_none() {
        return Err(not_ollama("response (no message)"));
    }
    let mut state = StreamState::default();
    apply(&mut state, response, true)?;
    state.finish("")
}

/// Feeds one answer (`done`: the last one) into `state`: `message.content` is the next piece
/// of output, `message.thinking` of the reasoning; tool calls arrive whole, arguments already
/// an object; the last one carries the token counts and the finish reason.
pub(super) fn apply(
    state: &mut StreamState,
    chunk: ChatResponse,
    done: bool,
) -> Result<(), LlmError> {
    if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
        state.model = Some(model);
    }
    if let Some(message) = chunk.message {
        state.output.push_str(&message.content);
        state
            .reasoning
            .push_str(message.thinking.as_deref().unwrap_or_default());
        for call in message.tool_calls {
            // Ollama's own id when it sends one, else `call_{index}`.
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
