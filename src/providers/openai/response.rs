//! Reading a Chat Completions answer and a model listing
//! (<https://platform.openai.com/docs/api-reference/chat/object>,
//! <https://platform.openai.com/docs/api-reference/models/list>).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::completion::{Completion, FinishReason, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    /// The reasoning text of DeepSeek's reasoner and vLLM's reasoning parsers
    /// (<https://api-docs.deepseek.com/guides/reasoning_model>).
    #[serde(default)]
    reasoning_content: Option<Value>,
    /// The same under the name newer vLLM builds and OpenRouter use.
    #[serde(default)]
    reasoning: Option<Value>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Option<Value>,
}

/// `usage`; every field may be missing on compatible servers, and missing stays unknown.
#[derive(Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

/// Maps `finish_reason`, ignoring case (OpenRouter has sent it uppercase):
///
/// | wire | neutral |
/// |---|---|
/// | `stop` | `stop` |
/// | `length` | `length` |
/// | `tool_calls`, `function_call` (deprecated) | `tool_calls` |
/// | `content_filter` | `content_filter` |
/// | anything else, or none | `other` |
///
/// A `refusal` in the message overrides this with `content_filter`.
pub(super) fn finish_reason(wire: Option<&str>) -> FinishReason {
    match wire.map(str::to_ascii_lowercase).as_deref() {
        Some("stop") => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// `prompt_tokens` already counts cached tokens and `completion_tokens` already counts
/// reasoning tokens, so they map straight onto the neutral totals. OpenAI bills no cache writes.
pub(super) fn usage(wire: Option<WireUsage>) -> Usage {
    let Some(wire) = wire else {
        return Usage::default();
    };
    Usage {
        input_tokens: wire.prompt_tokens,
        output_tokens: wire.completion_tokens,
        cache_read_tokens: wire.prompt_tokens_details.and_then(|d| d.cached_tokens),
        cache_write_tokens: None,
        reasoning_tokens: wire
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens),
    }
}

/// `content` is a string or null; a few compatible servers send an array of text parts.
pub(super) fn text(content: Option<Value>) -> String {
    match content {
        Some(Value::String(text)) => text,
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// The reasoning text of a message: `reasoning_content` or `reasoning` (compatible servers),
/// and Mistral's `thinking` content parts (`{"type": "thinking", "thinking": [{"type":
/// "text", "text": ...}]}`, <https://docs.mistral.ai/capabilities/reasoning/adjustable>), which
/// [`text`] leaves out of the output. `None` when there is none.
pub(super) fn reasoning(content: Option<&Value>, fields: [Option<&Value>; 2]) -> Option<String> {
    let mut said: String = fields
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let parts = content.and_then(Value::as_array).into_iter().flatten();
    for part in parts.filter(|p| p.get("type").and_then(Value::as_str) == Some("thinking")) {
        let pieces = part
            .get("thinking")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        said.extend(pieces.filter_map(|p| p.get("text").and_then(Value::as_str)));
    }
    Some(said).filter(|s| !s.is_empty())
}

/// `arguments` is a JSON string that must hold an object. An empty string (some compatible
/// servers, for a tool without parameters) is `{}`; an object already decoded is accepted.
fn arguments(name: &str, wire: Option<Value>) -> Result<Map<String, Value>, LlmError> {
    let invalid = |detail: String| {
        LlmError::new(
            ErrorKind::InvalidResponse,
            format!("the arguments of the call to tool {name:?} are not a JSON object: {detail}"),
        )
    };
    let value = match wire {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(Map::new()),
        Some(Value::String(text)) => serde_json::from_str(&text).map_err(|err| {
            invalid(format!(
                "{err} in {}",
                crate::error::excerpt(text.as_bytes())
            ))
        })?,
        Some(value) => value,
    };
    match value {
        Value::Object(map) => Ok(map),
        other => Err(invalid(format!("got {other}"))),
    }
}

fn tool_calls(wire: Option<Vec<WireToolCall>>) -> Result<Vec<ToolCall>, LlmError> {
    wire.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, call)| {
            let arguments = arguments(&call.function.name, call.function.arguments)?;
            Ok(ToolCall {
                // Older llama.cpp builds omit the id; the tool turn still needs one to answer.
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{index}")),
                name: call.function.name,
                arguments,
            })
        })
        .collect()
}

/// Reads a completion: the first choice's text, tool calls, finish reason and the usage.
pub(super) fn parse_completion(body: &[u8]) -> Result<Completion, LlmError> {
    let response: ChatResponse = parse_json(body)?;
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!("the answer has no choices: {}", crate::error::excerpt(body)),
        ));
    };
    // A choice without a message is not a chat completion (the legacy Completions API puts
    // `text` there), unless a content filter withheld the whole message.
    let filtered = finish_reason(choice.finish_reason.as_deref()) == FinishReason::ContentFilter;
    let message = match choice.message {
        Some(message) => message,
        None if filtered => WireMessage {
            content: None,
            refusal: None,
            tool_calls: None,
            reasoning_content: None,
            reasoning: None,
        },
        None => {
            return Err(LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the first choice has no message: {}",
                    crate::error::excerpt(body)
                ),
            ));
        }
    };
    let tool_calls = tool_calls(message.tool_calls)?;
    let thought = reasoning(
        message.content.as_ref(),
        [
            message.reasoning_content.as_ref(),
            message.reasoning.as_ref(),
        ],
    );
    let refusal = message.refusal.filter(|r| !r.is_empty());
    let (output, finish_reason) = match refusal {
        // A refusal replaces the content: the model declined for safety reasons.
        Some(refusal) => (refusal, FinishReason::ContentFilter),
        None => (
            text(message.content),
            finish_reason(choice.finish_reason.as_deref()),
        ),
    };
    Ok(Completion {
        output,
        // Every server we know names the model; if one does not, the record says so by
        // leaving it empty rather than guessing.
        model: response.model.unwrap_or_default(),
        usage: usage(response.usage),
        finish_reason,
        tool_calls,
        reasoning: thought,
        provider_state: None,
    })
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

/// Reads `GET /models`: `{"object": "list", "data": [{"id": ...}, ...]}`.
pub(super) fn parse_models(body: &[u8]) -> Result<Vec<String>, LlmError> {
    let list: ModelList = parse_json(body)?;
    Ok(list.data.into_iter().map(|m| m.id).collect())
}

#[cfg(test)]
mod tests;
