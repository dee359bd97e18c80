//! Reading a Messages API answer (<https://docs.anthropic.com/en/api/messages>) into a
//! [`Completion`].
//!
//! `text` blocks are concatenated in order; `tool_use` blocks become tool calls; `thinking`,
//! `redacted_thinking` and server-tool blocks are not output and are skipped.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::completion::{Completion, FinishReason, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;

#[derive(Deserialize)]
struct MessageBody {
    model: String,
    #[serde(default)]
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

/// `usage`: every count may be absent (or null) on compatible endpoints, and then stays unknown.
#[derive(Deserialize, Default, Clone, Copy)]
pub(super) struct WireUsage {
    pub(super) input_tokens: Option<u64>,
    pub(super) output_tokens: Option<u64>,
    pub(super) cache_read_input_tokens: Option<u64>,
    pub(super) cache_creation_input_tokens: Option<u64>,
}

/// Reads a 2xx body of `POST /v1/messages`.
pub(super) fn parse(body: &[u8]) -> Result<Completion, LlmError> {
    let message: MessageBody = parse_json(body)?;
    let mut output = String::new();
    let mut tool_calls = Vec::new();
    for block in message.content {
        match block {
            Block::Text { text } => output.push_str(&text),
            Block::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                arguments: arguments(&name, input)?,
                id,
                name,
            }),
            Block::Other => {}
        }
    }
    Ok(Completion {
        output,
        model: message.model,
        usage: message.usage.map_or_else(Usage::default, usage),
        finish_reason: finish_reason(message.stop_reason.as_deref()),
        tool_calls,
        reasoning: None,
        provider_state: None,
    })
}

/// A tool's input is documented to be an object; a missing one means no arguments.
fn arguments(name: &str, input: Value) -> Result<Map<String, Value>, LlmError> {
    match input {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!("tool_use {name}: input is not a JSON object: {other}"),
        )),
    }
}

/// `input_tokens` counts only uncached input, so the cache reads and writes are added to it
/// (<https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance>).
/// Anthropic does not report thinking tokens apart: they are inside `output_tokens`.
pub(super) fn usage(wire: WireUsage) -> Usage {
    let input_tokens = wire.input_tokens.map(|uncached| {
        uncached
            + wire.cache_read_input_tokens.unwrap_or(0)
            + wire.cache_creation_input_tokens.unwrap_or(0)
    });
    Usage {
        input_tokens,
        output_tokens: wire.output_tokens,
        cache_read_tokens: wire.cache_read_input_tokens,
        cache_write_tokens: wire.cache_creation_input_tokens,
        reasoning_tokens: None,
    }
}

/// `stop_reason` (<https://platform.claude.com/docs/build-with-claude/handling-stop-reasons>):
///
/// | Anthropic | finish_reason |
/// |---|---|
/// | `end_turn`, `stop_sequence` | `stop` |
/// | `max_tokens`, `model_context_window_exceeded` | `length` |
/// | `tool_use` | `tool_calls` |
/// | `refusal` | `content_filter` |
/// | `pause_turn`, anything else, or none | `other` |
pub(super) fn finish_reason(stop_reason: Option<&str>) -> FinishReason {
    match stop_reason {
        Some("end_turn" | "stop_sequence") => FinishReason::Stop,
        Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_answer_from_the_api_reference() {
        let body = br#"{
          "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
          "type": "message",
          "role": "assistant",
          "model": "claude-sonnet-5-5",
          "content": [{"type": "text", "text": "Hi! My name is Claude."}],
          "stop_reason": "end_turn",
          "stop_sequence": null,
          "usage": {"input_tokens": 2095, "output_tokens": 503}
        }"#;
        let done = parse(body).unwrap();
        assert_eq!(done.output, "Hi! My name is Claude.");
        assert_eq!(done.model, "claude-sonnet-5-5");
        assert_eq!(done.finish_reason, FinishReason::Stop);
        assert!(done.tool_calls.is_empty());
        assert_eq!(
            done.usage,
            Usage {
                input_tokens: Some(2095),
                output_tokens: Some(503),
                cache_read_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }
        );
    }

    #[test]
    fn tool_use_answer_keeps_text_and_calls_in_order() {
        let body = br#"{
          "id": "msg_01Aq9w938a90dw8q",
          "type": "message",
          "role": "assistant",
          "model": "claude-opus-5-5",
          "content": [
            {"type": "text", "text": "I'll check the weather. "},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9",
             "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}},
            {"type": "text", "text": "One moment."},
            {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {}}
          ],
          "stop_reason": "tool_use",
          "usage": {"input_tokens": 400, "output_tokens": 80}
        }"#;
        let done = parse(body).unwrap();
        assert_eq!(done.output, "I'll check the weather. One moment.");
        assert_eq!(done.finish_reason, FinishReason::ToolCalls);
        assert_eq!(done.tool_calls.len(), 2);
        let first = &done.tool_calls[0];
        assert_eq!(first.id, "toolu_01A09q90qw90lq917835lq9");
        assert_eq!(first.name, "get_weather");
        assert_eq!(
            Value::Object(first.arguments.clone()),
            json!({"location": "San Francisco, CA", "unit": "celsius"})
        );
        assert_eq!(done.tool_calls[1].name, "get_time");
        assert!(done.tool_calls[1].arguments.is_empty());
    }

    #[test]
    fn thinking_and_unknown_blocks_are_skipped() {
        let body = br#"{
          "model": "claude-sonnet-5-5",
          "content": [
            {"type": "thinking", "thinking": "Let me reason...", "signature": "EqQBCgIYAhIM"},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
            {"type": "text", "text": "42"}
          ],
          "stop_reason": "end_turn",
          "usage": {"input_tokens": 10, "output_tokens": 300}
        }"#;
        let done = parse(body).unwrap();
        assert_eq!(done.output, "42");
        assert!(done.tool_calls.is_empty());
        assert_eq!(done.usage.reasoning_tokens, None);
    }

    #[test]
    fn cache_tokens_are_part_of_input_and_reported_apart() {
        let body = br#"{
          "model": "claude-sonnet-5-5",
          "content": [{"type": "text", "text": "ok"}],
          "stop_reason": "end_turn",
          "usage": {
            "input_tokens": 21,
            "cache_creation_input_tokens": 188086,
            "cache_read_input_tokens": 1000,
            "cache_creation": {"ephemeral_5m_input_tokens": 188086, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 393,
            "service_tier": "standard"
          }
        }"#;
        let usage = parse(body).unwrap().usage;
        assert_eq!(usage.input_tokens, Some(21 + 188086 + 1000));
        assert_eq!(usage.cache_write_tokens, Some(188086));
        assert_eq!(usage.cache_read_tokens, Some(1000));
        assert_eq!(usage.output_tokens, Some(393));
        assert_eq!(usage.total(), Some(21 + 188086 + 1000 + 393));
    }

    #[test]
    fn null_or_missing_usage_is_unknown_not_zero() {
        let body = br#"{
          "model": "qwen3-coder",
          "content": [{"type": "text", "text": "ok"}],
          "stop_reason": "end_turn",
          "usage": {"input_tokens": null, "output_tokens": 5, "cache_read_input_tokens": null}
        }"#;
        let usage = parse(body).unwrap().usage;
        assert_eq!(usage.input_tokens, None);
        assert_eq!(usage.cache_read_tokens, None);
        assert_eq!(usage.output_tokens, Some(5));
        let bare = br#"{"model": "m", "content": [], "stop_reason": "end_turn"}"#;
        assert_eq!(parse(bare).unwrap().usage, Usage::default());
        assert_eq!(parse(bare).unwrap().usage.total(), None);
    }

    #[test]
    fn every_stop_reason_maps() {
        for (reason, expected) in [
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::Stop),
            ("max_tokens", FinishReason::Length),
            ("model_context_window_exceeded", FinishReason::Length),
            ("tool_use", FinishReason::ToolCalls),
            ("refusal", FinishReason::ContentFilter),
            ("pause_turn", FinishReason::Other),
            ("something_new", FinishReason::Other),
        ] {
            let body = json!({
                "model": "claude-sonnet-5-5",
                "content": [],
                "stop_reason": reason,
                "usage": {"input_tokens": 1, "output_tokens": 1}
            });
            let done = parse(body.to_string().as_bytes()).unwrap();
            assert_eq!(done.finish_reason, expected, "{reason}");
        }
        let null = br#"{"model": "m", "content": [], "stop_reason": null}"#;
        assert_eq!(parse(null).unwrap().finish_reason, FinishReason::Other);
    }

    #[test]
    fn bodies_that_are_not_a_message_are_invalid_responses() {
        assert_eq!(
            parse(b"<html>502</html>").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        // No model: not the documented shape.
        assert_eq!(
            parse(br#"{"content": []}"#).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        let bad_input = br#"{"model": "m", "content": [
            {"type": "tool_use", "id": "t", "name": "f", "input": "not an object"}]}"#;
        let err = parse(bad_input).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("tool_use f"));
    }
}
