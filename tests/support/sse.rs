//! Streamed answers for the fake provider: SSE transcripts of one answer in Anthropic's and
//! OpenAI's formats, with the whole (non-streamed) body of the same answer beside them, so a
//! test can check that both paths give the same record.
//!
//! API DOC: https://docs.claude.com/en/api/messages-streaming (`message_start`,
//! `content_block_start/delta/stop`, `ping`, `message_delta` with cumulative usage,
//! `message_stop`, `error` events);
//! https://platform.openai.com/docs/api-reference/chat-streaming/streaming
//! (`chat.completion.chunk`, `usage: null` on every chunk when `stream_options.include_usage`
//! is set, then one chunk with `choices: []` and the usage, then `data: [DONE]`).

use std::time::Duration;

use serde_json::{Value, json};

use super::fake::Reply;
use super::{anthropic_api, openai_api};

/// One tool call in an answer, with its arguments split into the fragments a stream sends.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// The provider's id of the call.
    pub id: &'static str,
    /// The tool's name.
    pub name: &'static str,
    /// The arguments' JSON text, in pieces; joined they are the arguments object.
    pub fragments: Vec<&'static str>,
}

impl ToolCall {
    /// The arguments as a JSON object.
    pub fn arguments(&self) -> Value {
        serde_json::from_str(&self.fragments.concat()).expect("fragments join into JSON")
    }
}

/// One answer: its text in the pieces a stream sends, an optional tool call, why it stopped
/// (in the provider's own words) and its usage.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The model the provider says it used.
    pub model: &'static str,
    /// The text, piece by piece.
    pub pieces: Vec<&'static str>,
    /// A tool call after the text.
    pub tool: Option<ToolCall>,
    /// `stop_reason` (Anthropic) or `finish_reason` (OpenAI).
    pub stop: &'static str,
    /// Input tokens (uncached for Anthropic, all of them for OpenAI).
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Cached input tokens read.
    pub cache_read: u64,
    /// Cached input tokens written (Anthropic only).
    pub cache_write: u64,
}

impl Answer {
    /// The whole text.
    pub fn text(&self) -> String {
        self.pieces.concat()
    }
}

/// One SSE event with a name.
pub fn event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// One unnamed SSE event.
pub fn data(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// A `text/event-stream` reply sending `events` with `gap` before each.
pub fn reply(events: Vec<String>, gap: Duration) -> Reply {
    let pieces = events.into_iter().map(|e| (gap, e)).collect();
    Reply::chunked(200, "text/event-stream", pieces)
}

/// The Anthropic events of `answer`, in the documented order, with a `ping` after the first
/// block starts.
pub fn anthropic_events(answer: &Answer) -> Vec<String> {
    let mut events = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message",
            "role": "assistant", "content": [], "model": answer.model,
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": answer.input, "cache_creation_input_tokens": answer.cache_write,
                      "cache_read_input_tokens": answer.cache_read, "output_tokens": 1}
        }}),
    )];
    let block_start = |index: usize, block: Value| {
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        )
    };
    let block_delta = |index: usize, delta: Value| {
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    };
    let block_stop = |index: usize| {
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        )
    };
    events.push(block_start(0, json!({"type": "text", "text": ""})));
    events.push(event("ping", &json!({"type": "ping"})));
    for piece in &answer.pieces {
        events.push(block_delta(0, json!({"type": "text_delta", "text": piece})));
    }
    events.push(block_stop(0));
    if let Some(tool) = &answer.tool {
        let start = json!({"type": "tool_use", "id": tool.id, "name": tool.name, "input": {}});
        events.push(block_start(1, start));
        for fragment in &tool.fragments {
            let delta = json!({"type": "input_json_delta", "partial_json": fragment});
            events.push(block_delta(1, delta));
        }
        events.push(block_stop(1));
    }
    events.push(event(
        "message_delta",
        &json!({"type": "message_delta",
                "delta": {"stop_reason": answer.stop, "stop_sequence": null},
                "usage": {"output_tokens": answer.output}}),
    ));
    events.push(event("message_stop", &json!({"type": "message_stop"})));
    events
}

/// The whole Anthropic `message` of `answer`.
pub fn anthropic_whole(answer: &Answer) -> Value {
    let usage = anthropic_api::Usage {
        input: answer.input,
        output: answer.output,
        cache_read: answer.cache_read,
        cache_creation: answer.cache_write,
    };
    let mut content = vec![json!({"type": "text", "text": answer.text()})];
    if let Some(tool) = &answer.tool {
        content.push(
            json!({"type": "tool_use", "id": tool.id, "name": tool.name, "input": tool.arguments()}),
        );
    }
    anthropic_api::message(answer.model, Value::Array(content), answer.stop, usage)
}

fn openai_usage(answer: &Answer) -> Value {
    json!({
        "prompt_tokens": answer.input,
        "completion_tokens": answer.output,
        "total_tokens": answer.input + answer.output,
        "prompt_tokens_details": {"cached_tokens": answer.cache_read, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    })
}

/// One `chat.completion.chunk` with `delta` and `finish_reason`.
pub fn openai_chunk(model: &str, delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190,
        "model": model, "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        "usage": null
    })
}

/// The OpenAI chunks of `answer` as sent with `stream_options.include_usage`: a role chunk,
/// the content, the tool call's fragments, the `finish_reason` chunk, the usage chunk and
/// `[DONE]`.
pub fn openai_events(answer: &Answer) -> Vec<String> {
    let model = answer.model;
    let mut events = vec![data(&openai_chunk(
        model,
        json!({"role": "assistant", "content": "", "refusal": null}),
        None,
    ))];
    for piece in &answer.pieces {
        events.push(data(&openai_chunk(model, json!({"content": piece}), None)));
    }
    if let Some(tool) = &answer.tool {
        let first = json!({"tool_calls": [{"index": 0, "id": tool.id, "type": "function",
                                            "function": {"name": tool.name, "arguments": ""}}]});
        events.push(data(&openai_chunk(model, first, None)));
        for fragment in &tool.fragments {
            let delta = json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]});
            events.push(data(&openai_chunk(model, delta, None)));
        }
    }
    events.push(data(&openai_chunk(model, json!({}), Some(answer.stop))));
    let mut usage = openai_chunk(model, json!({}), None);
    usage["choices"] = json!([]);
    usage["usage"] = openai_usage(answer);
    events.push(data(&usage));
    events.push("data: [DONE]\n\n".to_string());
    events
}

/// The whole OpenAI `chat.completion` of `answer`.
pub fn openai_whole(answer: &Answer) -> Value {
    let content = match (&answer.tool, answer.text()) {
        (Some(_), text) if text.is_empty() => Value::Null,
        (_, text) => json!(text),
    };
    let mut message = json!({"role": "assistant", "content": content, "refusal": null});
    if let Some(tool) = &answer.tool {
        message["tool_calls"] = json!([{"id": tool.id, "type": "function", "function": {
            "name": tool.name, "arguments": tool.arguments().to_string()}}]);
    }
    let usage = openai_api::Usage {
        prompt: answer.input,
        completion: answer.output,
        cached: answer.cache_read,
        reasoning: 0,
    };
    openai_api::completion(answer.model, message, answer.stop, usage)
}
