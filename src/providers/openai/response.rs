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
mod tests {
    use super::*;
    use serde_json::json;

    /// The example answer of the API reference.
    const TEXT: &str = r#"{
      "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      "object": "chat.completion",
      "created": 1741569952,
      "model": "gpt-4.1-2025-04-14",
      "choices": [{
        "index": 0,
        "message": {"role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": []},
        "logprobs": null,
        "finish_reason": "stop"
      }],
      "usage": {
        "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
      },
      "service_tier": "default"
    }"#;

    #[test]
    fn reads_text_model_and_usage() {
        let done = parse_completion(TEXT.as_bytes()).unwrap();
        assert_eq!(done.output, "Hello! How can I assist you today?");
        assert_eq!(done.model, "gpt-4.1-2025-04-14");
        assert_eq!(done.finish_reason, FinishReason::Stop);
        assert!(done.tool_calls.is_empty());
        assert_eq!(
            done.usage,
            Usage {
                input_tokens: Some(19),
                output_tokens: Some(10),
                cache_read_tokens: Some(0),
                cache_write_tokens: None,
                reasoning_tokens: Some(0),
            }
        );
    }

    #[test]
    fn cached_and_reasoning_tokens_are_parts_of_the_totals() {
        let body = json!({
            "model": "o3-2025-04-16",
            "choices": [{"message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                      "prompt_tokens_details": {"cached_tokens": 1920},
                      "completion_tokens_details": {"reasoning_tokens": 256}}
        });
        let done = parse_completion(body.to_string().as_bytes()).unwrap();
        assert_eq!(done.usage.input_tokens, Some(2006));
        assert_eq!(done.usage.output_tokens, Some(300));
        assert_eq!(done.usage.cache_read_tokens, Some(1920));
        assert_eq!(done.usage.reasoning_tokens, Some(256));
        assert_eq!(done.usage.total(), Some(2306));
    }

    #[test]
    fn missing_usage_and_details_are_unknown_not_zero() {
        let body = json!({"model": "llama", "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]});
        let done = parse_completion(body.to_string().as_bytes()).unwrap();
        assert_eq!(done.usage, Usage::default());
        assert_eq!(done.usage.total(), None);
        let partial = json!({"model": "llama", "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 5, "completion_tokens": 1}});
        let done = parse_completion(partial.to_string().as_bytes()).unwrap();
        assert_eq!(done.usage.input_tokens, Some(5));
        assert_eq!(done.usage.cache_read_tokens, None);
        assert_eq!(done.usage.reasoning_tokens, None);
    }

    #[test]
    fn reads_tool_calls_with_arguments_as_objects() {
        let body = json!({
            "model": "gpt-4.1",
            "choices": [{
                "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_abc123", "type": "function",
                     "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}},
                    {"id": "call_def456", "type": "function",
                     "function": {"name": "now", "arguments": ""}}
                ]},
                "finish_reason": "tool_calls"
            }]
        });
        let done = parse_completion(body.to_string().as_bytes()).unwrap();
        assert_eq!(done.output, "");
        assert_eq!(done.finish_reason, FinishReason::ToolCalls);
        assert_eq!(done.tool_calls.len(), 2);
        assert_eq!(done.tool_calls[0].id, "call_abc123");
        assert_eq!(done.tool_calls[0].name, "get_current_weather");
        assert_eq!(
            done.tool_calls[0].arguments["location"],
            json!("Boston, MA")
        );
        assert!(done.tool_calls[1].arguments.is_empty());
    }

    #[test]
    fn invalid_tool_arguments_are_an_invalid_response() {
        for arguments in [json!("{\"location\": "), json!("[1, 2]")] {
            let body = json!({"model": "m", "choices": [{"message": {"tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": arguments}}
            ]}, "finish_reason": "tool_calls"}]});
            let err = parse_completion(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidResponse);
            assert!(err.message.contains("\"lookup\""), "{}", err.message);
            assert!(!err.retryable);
        }
    }

    #[test]
    fn a_refusal_is_content_filter_with_its_text() {
        let body = json!({"model": "gpt-4o-2024-08-06", "choices": [{
            "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I cannot assist with that request."},
            "finish_reason": "stop"
        }]});
        let done = parse_completion(body.to_string().as_bytes()).unwrap();
        assert_eq!(done.finish_reason, FinishReason::ContentFilter);
        assert_eq!(done.output, "I'm sorry, I cannot assist with that request.");
    }

    #[test]
    fn every_finish_reason_maps_whatever_its_case() {
        let cases = [
            ("stop", FinishReason::Stop),
            ("length", FinishReason::Length),
            ("tool_calls", FinishReason::ToolCalls),
            ("function_call", FinishReason::ToolCalls),
            ("content_filter", FinishReason::ContentFilter),
            ("STOP", FinishReason::Stop),
            ("Length", FinishReason::Length),
            ("TOOL_CALLS", FinishReason::ToolCalls),
            ("eos", FinishReason::Other),
        ];
        for (wire, expected) in cases {
            let body = json!({"model": "m", "choices": [{"message": {"content": "x"}, "finish_reason": wire}]});
            let done = parse_completion(body.to_string().as_bytes()).unwrap();
            assert_eq!(done.finish_reason, expected, "{wire}");
        }
        assert_eq!(finish_reason(None), FinishReason::Other);
    }

    #[test]
    fn empty_choices_or_other_json_is_an_invalid_response() {
        let err = parse_completion(br#"{"model": "m", "choices": []}"#).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("no choices"));
        let err = parse_completion(b"<html>gateway</html>").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        // The legacy Completions shape: `text` instead of `message`.
        let legacy =
            br#"{"model": "m", "choices": [{"text": "hi", "index": 0, "finish_reason": "stop"}]}"#;
        let err = parse_completion(legacy).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("no message"), "{}", err.message);
        let withheld =
            br#"{"model": "m", "choices": [{"index": 0, "finish_reason": "content_filter"}]}"#;
        let done = parse_completion(withheld).unwrap();
        assert_eq!(done.finish_reason, FinishReason::ContentFilter);
        assert_eq!(done.output, "");
    }

    #[test]
    fn content_parts_are_concatenated() {
        let body = json!({"model": "m", "choices": [{"message": {"content": [
            {"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}
        ]}, "finish_reason": "stop"}]});
        assert_eq!(
            parse_completion(body.to_string().as_bytes())
                .unwrap()
                .output,
            "Hello, world"
        );
    }

    #[test]
    fn reasoning_text_is_kept_apart_from_the_output() {
        // Mistral's reasoning answer: a thinking part, then the text
        // (https://docs.mistral.ai/capabilities/reasoning/adjustable).
        let mistral = json!({"model": "mistral-medium-3-5", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": [
                {"type": "thinking", "thinking": [{"type": "text", "text": "John has 3 sisters. "},
                                                  {"type": "text", "text": "The third is 8."}]},
                {"type": "text", "text": "John is 16 years old."}
            ]}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 80, "completion_tokens": 300, "total_tokens": 380}});
        let done = parse_completion(mistral.to_string().as_bytes()).unwrap();
        assert_eq!(done.output, "John is 16 years old.");
        assert_eq!(
            done.reasoning.as_deref(),
            Some("John has 3 sisters. The third is 8.")
        );
        // DeepSeek's reasoner (https://api-docs.deepseek.com/guides/reasoning_model).
        let deepseek = json!({"model": "deepseek-reasoner", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": "9.11 < 9.8",
                        "reasoning_content": "Compare the tenths: 1 < 8."},
            "finish_reason": "stop"}]});
        let done = parse_completion(deepseek.to_string().as_bytes()).unwrap();
        assert_eq!(done.output, "9.11 < 9.8");
        assert_eq!(
            done.reasoning.as_deref(),
            Some("Compare the tenths: 1 < 8.")
        );
        // A plain answer has none.
        assert_eq!(parse_completion(TEXT.as_bytes()).unwrap().reasoning, None);
    }

    #[test]
    fn models_listing_reads_ids() {
        let body = r#"{"object": "list", "data": [
            {"id": "model-id-0", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
            {"id": "model-id-1", "object": "model", "created": 1686935002, "owned_by": "openai"}
        ]}"#;
        assert_eq!(
            parse_models(body.as_bytes()).unwrap(),
            ["model-id-0", "model-id-1"]
        );
        assert_eq!(
            parse_models(b"{}").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }
}
