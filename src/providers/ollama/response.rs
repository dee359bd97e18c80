//! Reading an `/api/chat` answer (also each line of a stream).

use serde::Deserialize;
use serde_json::Value;

use super::FORMAT;
use crate::completion::{Completion, FinishReason, ProviderState, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;
use crate::providers::arguments_object;

#[derive(Deserialize)]
pub(super) struct ChatResponse {
    pub(super) model: String,
    #[serde(default)]
    pub(super) message: Option<WireMessage>,
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

/// Reads an `/api/chat` body: `message.content` is the output, `message.thinking` the
/// reasoning.
pub fn parse_chat(body: &[u8]) -> Result<Completion, LlmError> {
    let response: ChatResponse = parse_json(body)?;
    let message = response
        .message
        .ok_or_else(|| not_ollama("response (no message)"))?;
    let tool_calls = message
        .tool_calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| {
            Ok(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{i}")),
                arguments: arguments_object(&call.function.name, call.function.arguments)?,
                name: call.function.name,
            })
        })
        .collect::<Result<Vec<_>, LlmError>>()?;
    let thinking = message.thinking.unwrap_or_default();
    let provider_state =
        thinking_state(&thinking, !tool_calls.is_empty()).map(|state| ProviderState {
            model: response.model.clone(),
            ..state
        });
    Ok(Completion {
        output: message.content,
        model: response.model,
        usage: Usage {
            input_tokens: response.prompt_eval_count,
            output_tokens: response.eval_count,
            ..Usage::default()
        },
        finish_reason: finish_reason(response.done_reason.as_deref(), !tool_calls.is_empty()),
        tool_calls,
        reasoning: (!thinking.is_empty()).then_some(thinking),
        provider_state,
    })
}
