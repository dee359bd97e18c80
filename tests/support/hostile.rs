//! A hostile provider's replies (issue 16): stream events that name absurd indexes, lines
//! that never end, absurd `retry-after` values, counts at `u64::MAX`. Each is a [`Reply`] the
//! fake serves like any other, so a test pushes it and then checks the binary survived it.

use std::time::Duration;

use serde_json::{Value, json};

use super::backends::Backend;
use super::fake::Reply;
use super::sse::{data, openai_chunk};

/// An OpenAI-compatible stream whose first tool-call fragment names `index` (OpenAI, Mistral
/// and every compatible server read the same chunk shape), then a `finish_reason`.
pub fn tool_call_at_index(backend: &Backend, index: Value) -> Reply {
    let call = json!({"tool_calls": [{"index": index, "id": "call_1", "type": "function",
                                      "function": {"name": "get_weather", "arguments": "{}"}}]});
    let events = vec![
        data(&openai_chunk(
            backend.model,
            json!({"role": "assistant"}),
            None,
        )),
        data(&openai_chunk(backend.model, call, None)),
        data(&openai_chunk(backend.model, json!({}), Some("tool_calls"))),
        "data: [DONE]\n\n".to_string(),
    ];
    backend.stream_reply(events, Duration::ZERO)
}
