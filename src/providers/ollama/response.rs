//! Reading an `/api/chat` answer (also each line of a stream).

use serde::Deserialize;
use serde_json::Value;

use crate::completion::{Completion, FinishReason, ToolCall, Usage};
use crate::error::LlmError;
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

/// Reads an `/api/chat` body.
pub fn parse_chat(body: &[u8]) -> Result<Completion, LlmError> {
    let response: ChatResponse = parse_json(body)?;
    let message = response.message.unwrap_or(WireMessage {
        content: String::new(),
        tool_calls: Vec::new(),
    });
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
        reasoning: None,
        provider_state: None,
    })
}
