//! Reading a Messages API answer (<https://docs.anthropic.com/en/api/messages>) into a
//! [`Completion`].
//!
//! `text` blocks are concatenated in order; `tool_use` blocks become tool calls; the text of
//! `thinking` blocks is the reasoning; server-tool blocks are skipped. An answer with
//! `thinking` or `redacted_thinking` blocks keeps its whole content array, in order and
//! unchanged, as the provider state the next turn sends back: "when you return a tool result,
//! the thinking blocks from the assistant message must come back with it ... rebuilding the
//! message or filtering out `redacted_thinking` blocks triggers a 400 error"
//! (<https://platform.claude.com/docs/build-with-claude/thinking-tool-workflows>).
//!
//! Claude Sonnet 5.5 puts the text it writes between tool calls in `thinking` blocks ("text
//! between tool calls comes back in `thinking` blocks",
//! <https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5>), so a turn
//! that calls tools and has no `text` block at all takes that thinking text as its output;
//! any other answer's output is its `text` blocks only.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::completion::{Completion, FinishReason, ProviderState, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError, excerpt};

/// The name provider state made by this wire format carries (the backend's profile name).
pub(super) const STATE_FORMAT: &str = "anthropic";

#[derive(Deserialize)]
struct MessageBody {
    /// `message`; absent on some compatible servers, but never another value.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    model: String,
    // Required: a body without it is not a Messages answer (an OpenAI-shaped
    // `chat.completion` has `choices` instead), and must not pass as an empty success.
    content: Vec<Value>,
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
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    RedactedThinking {},
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

/// What an answer's content blocks amount to; a whole answer and a stream read them alike.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Content {
    /// The text blocks, or for a tool-calling turn without any, its thinking text.
    pub(super) output: String,
    /// The `tool_use` blocks, in order.
    pub(super) tool_calls: Vec<ToolCall>,
    /// The thinking text (empty thinking, as `display: "omitted"` sends, is none).
    pub(super) reasoning: Option<String>,
    /// The whole content array, when it holds thinking the next turn must send back.
    pub(super) parts: Option<Vec<Value>>,
}

/// Reads `blocks`, the `content` array of an answer, in order.
pub(super) fn content(blocks: Vec<Value>) -> Result<Content, LlmError> {
    let mut output = String::new();
    let mut tool_calls = Vec::new();
    let mut thoughts: Vec<String> = Vec::new();
    let mut has_text = false;
    let mut has_thinking = false;
    for raw in &blocks {
        // A block of a known type that does not have its documented fields is a broken
        // answer; a type added after this was written is skipped.
        let block: Block = serde_json::from_value(raw.clone()).map_err(|err| {
            LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "a content block that is not the documented JSON ({err}): {}",
                    excerpt(raw.to_string().as_bytes())
                ),
            )
        })?;
        match block {
            Block::Text { text } => {
                has_text = true;
                output.push_str(&text);
            }
            Block::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                arguments: arguments(&name, input)?,
                id,
                name,
            }),
            Block::Thinking { thinking } => {
                has_thinking = true;
                if !thinking.is_empty() {
                    thoughts.push(thinking);
                }
            }
            Block::RedactedThinking {} => has_thinking = true,
            Block::Other => {}
        }
    }
    let reasoning = (!thoughts.is_empty()).then(|| thoughts.join("\n\n"));
    if !has_text && !tool_calls.is_empty() {
        output = reasoning.clone().unwrap_or_default();
    }
    Ok(Content {
        output,
        tool_calls,
        reasoning,
        parts: has_thinking.then_some(blocks),
    })
}

/// The provider state of an answer by `model` whose content is `parts`.
pub(super) fn state(model: &str, parts: Vec<Value>) -> ProviderState {
    ProviderState {
        format: STATE_FORMAT.into(),
        model: model.into(),
        parts,
    }
}

/// Reads a 2xx body of `POST /v1/messages`.
pub(super) fn parse(body: &[u8]) -> Result<Completion, LlmError> {
    let message: MessageBody =
        serde_json::from_slice(body).map_err(|err| not_a_message(&err, body))?;
    if let Some(kind) = message.kind.as_deref().filter(|k| *k != "message") {
        return Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the provider's answer is a `{kind}`, not a Messages API `message`: {}",
                excerpt(body)
            ),
        ));
    }
    let content = content(message.content)?;
    Ok(Completion {
        output: content.output,
        usage: message.usage.map_or_else(Usage::default, usage),
        finish_reason: finish_reason(message.stop_reason.as_deref()),
        tool_calls: content.tool_calls,
        reasoning: content.reasoning,
        provider_state: content.parts.map(|parts| state(&message.model, parts)),
        model: message.model,
    })
}

/// The error for a 2xx body that is not a Messages answer, saying so plainly when it is
/// another wire format's (a base URL pointing at an OpenAI-compatible server).
fn not_a_message(err: &serde_json::Error, body: &[u8]) -> LlmError {
    let other_format = serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("choices").is_some() || v.get("candidates").is_some());
    let what = if other_format {
        "another wire format's answer (OpenAI- or Gemini-shaped), not a Messages API message; \
         check that the base URL is an Anthropic-compatible endpoint"
            .to_string()
    } else {
        format!("not the documented JSON ({err})")
    };
    LlmError::new(
        ErrorKind::InvalidResponse,
        format!("the provider's answer is {what}: {}", excerpt(body)),
    )
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
        // The provider's counts: saturate rather than wrap.
        uncached
            .saturating_add(wire.cache_read_input_tokens.unwrap_or(0))
            .saturating_add(wire.cache_creation_input_tokens.unwrap_or(0))
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
    fn thinking_is_reasoning_and_the_whole_content_is_kept_as_state() {
        // The extended-thinking reference's answer, with a redacted block and a server tool.
        let body = br#"{
          "type": "message",
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
        assert_eq!(
            done.output, "42",
            "a text block is the output, thinking is not"
        );
        assert!(done.tool_calls.is_empty());
        assert_eq!(done.reasoning.as_deref(), Some("Let me reason..."));
        assert_eq!(done.usage.reasoning_tokens, None);
        let state = done.provider_state.unwrap();
        assert_eq!(
            (state.format.as_str(), state.model.as_str()),
            ("anthropic", "claude-sonnet-5-5")
        );
        let sent: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            Value::Array(state.parts),
            sent["content"],
            "in order, unchanged"
        );
    }

    #[test]
    fn omitted_thinking_is_state_without_reasoning_and_no_thinking_is_no_state() {
        // `display: "omitted"`: the block comes with its signature and no text.
        let omitted = br#"{"type": "message", "model": "claude-sonnet-5-5", "content": [
            {"type": "thinking", "thinking": "", "signature": "EosnCkYICxIMMb3LzNrMu"},
            {"type": "text", "text": "Paris."}], "stop_reason": "end_turn"}"#;
        let done = parse(omitted).unwrap();
        assert_eq!(done.reasoning, None);
        assert_eq!(done.output, "Paris.");
        assert_eq!(done.provider_state.unwrap().parts.len(), 2);
        let plain = br#"{"type": "message", "model": "claude-haiku-5-5", "content": [
            {"type": "text", "text": "Paris."}], "stop_reason": "end_turn"}"#;
        assert_eq!(parse(plain).unwrap().provider_state, None);
    }

    #[test]
    fn a_tool_turn_without_text_takes_its_thinking_text_as_output() {
        // Sonnet 5.5: "text between tool calls comes back in `thinking` blocks".
        let body = br#"{"type": "message", "model": "claude-sonnet-5-5", "content": [
            {"type": "thinking", "thinking": "The build passes.", "signature": "Eq1"},
            {"type": "tool_use", "id": "toolu_1", "name": "run_tests", "input": {}},
            {"type": "thinking", "thinking": "Now the linter.", "signature": "Eq2"},
            {"type": "tool_use", "id": "toolu_2", "name": "run_lint", "input": {}}
          ], "stop_reason": "tool_use"}"#;
        let done = parse(body).unwrap();
        assert_eq!(done.output, "The build passes.\n\nNow the linter.");
        assert_eq!(done.tool_calls.len(), 2);
        // With a text block, the text alone is the output.
        let texted = br#"{"type": "message", "model": "claude-sonnet-5-5", "content": [
            {"type": "thinking", "thinking": "Plan.", "signature": "Eq1"},
            {"type": "text", "text": "Running the tests."},
            {"type": "tool_use", "id": "toolu_1", "name": "run_tests", "input": {}}
          ], "stop_reason": "tool_use"}"#;
        assert_eq!(parse(texted).unwrap().output, "Running the tests.");
        // A turn cut while thinking is not given its thinking as output.
        let cut = br#"{"type": "message", "model": "claude-sonnet-5-5", "content": [
            {"type": "thinking", "thinking": "Half a thou", "signature": "Eq1"}
          ], "stop_reason": "max_tokens"}"#;
        assert_eq!(parse(cut).unwrap().output, "");
    }

    #[test]
    fn another_wire_formats_body_is_an_invalid_response_not_an_empty_success() {
        // An OpenAI-compatible server's answer, as a misconfigured base URL gets it.
        let openai =
            br#"{"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
          "created": 1741570283, "model": "gpt-4o-2024-08-06",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}}"#;
        let err = parse(openai).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(
            err.message.contains("another wire format"),
            "{}",
            err.message
        );
        let not_message = br#"{"type": "completion", "model": "m", "content": []}"#;
        assert_eq!(
            parse(not_message).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
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
