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

/// A 200 stream whose second event is one line of `bytes` that never ends: its bytes arrive in
/// 256 KiB chunks, then the connection stays open and silent.
pub fn endless_line(backend: &Backend, bytes: usize) -> Reply {
    let start = match backend.framing {
        super::backends::Framing::Sse => {
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        }
        super::backends::Framing::Ndjson => "{\"model\":\"m\",\"message\":{\"content\":\"",
    };
    let first = (backend.events)(&backend.answer(&["hi"]))[0].clone();
    let mut pieces = vec![(Duration::ZERO, first), (Duration::ZERO, start.to_string())];
    let chunk = "x".repeat(256 * 1024);
    pieces.extend((0..bytes.div_ceil(chunk.len())).map(|_| (Duration::ZERO, chunk.clone())));
    Reply::chunked(200, backend.framing.content_type(), pieces)
        .ending(super::fake::Ending::HangMidBody)
}
