//! Streams fed event by event, compared with the whole answers they stand for.

use super::*;
use crate::completion::FinishReason;
use crate::provider::Provider;
use crate::providers::anthropic::{Anthropic, AuthHeader, response};

/// Splits an SSE transcript into `(event, data)` pairs and feeds them through the
/// provider hook, as `http::read_stream` does, stopping at the final event.
fn run(transcript: &str) -> Result<StreamState, LlmError> {
    let anthropic = Anthropic::new(
        "https://api.anthropic.com".parse().unwrap(),
        AuthHeader::XApiKey,
    );
    let mut state = StreamState::default();
    for frame in transcript.split("\n\n") {
        let (mut event, mut data) = ("", String::new());
        for line in frame.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim();
            } else if let Some(more) = line.strip_prefix("data:") {
                data.push_str(more.trim());
            }
        }
        let blank = event.is_empty() && data.is_empty();
        if !state.done && !blank {
            anthropic.stream_event(&mut state, event, &data)?;
        }
    }
    Ok(state)
}

/// The tool-use stream of the streaming reference, with a thinking block first, cache
/// counts, and two `message_delta`s whose usage is cumulative.
pub(super) const TOOL_STREAM: &str = r#"
    event: message_start
    data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-5-5","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":100,"output_tokens":2},"content":[],"stop_reason":null}}

    event: content_block_start
    data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants weather."}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":0}

    event: content_block_start
    data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

    event: ping
    data: {"type": "ping"}

    event: content_block_delta
    data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Okay, let's check"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" the weather for San Francisco, CA:"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":1}

    event: content_block_start
    data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \"San Francisc"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"o, CA\", \"unit\": \"fah"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"renheit\"}"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":2}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":null,"stop_sequence":null},"usage":{"output_tokens":50}}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":null,"cache_read_input_tokens":100,"output_tokens":89}}

    event: message_stop
    data: {"type":"message_stop"}
"#;

/// The whole answer the same turn gives without streaming.
const TOOL_BODY: &str = r#"{
  "id": "msg_014p7gG3wDgGV9EUtLvnow3U", "type": "message", "role": "assistant",
  "model": "claude-sonnet-5-5",
  "content": [
    {"type": "thinking", "thinking": "The user wants weather.", "signature": "EqQBCgIYAhIM"},
    {"type": "text", "text": "Okay, let's check the weather for San Francisco, CA:"},
    {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "get_weather",
     "input": {"location": "San Francisco, CA", "unit": "fahrenheit"}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 472, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 100, "output_tokens": 89}
}"#;

#[test]
fn a_streamed_answer_finishes_as_the_whole_answer_parses() {
    let streamed = run(TOOL_STREAM).unwrap().finish("requested").unwrap();
    let whole = response::parse(TOOL_BODY.as_bytes()).unwrap();
    assert_eq!(streamed, whole);
    // Spelled out, so a shared mistake in both readers still shows.
    assert_eq!(streamed.model, "claude-sonnet-5-5");
    assert_eq!(streamed.tool_calls.len(), 1);
    assert_eq!(streamed.tool_calls[0].arguments["unit"], "fahrenheit");
    assert_eq!(streamed.finish_reason, FinishReason::ToolCalls);
    assert_eq!(streamed.usage.input_tokens, Some(572));
    assert_eq!(streamed.usage.output_tokens, Some(89));
    assert_eq!(streamed.usage.cache_write_tokens, Some(0));
}

#[test]
fn usage_is_overwritten_by_each_message_delta_never_added() {
    let state = run(TOOL_STREAM).unwrap();
    let start = StreamState {
        usage: usage(WireUsage {
            input_tokens: Some(10),
            output_tokens: Some(1),
            cache_read_input_tokens: Some(5),
            cache_creation_input_tokens: None,
        }),
        ..StreamState::default()
    };
    assert_eq!(state.usage.total(), Some(572 + 89));
    let mut later = start.clone();
    feed(
        &mut later,
        r#"{"type":"message_delta","delta":{},"usage":{"output_tokens":7}}"#,
    )
    .unwrap();
    assert_eq!(later.usage.input_tokens, Some(15));
    assert_eq!(later.usage.output_tokens, Some(7));
    let update = r#"{"type":"message_delta","delta":{},
        "usage":{"input_tokens":12,"cache_creation_input_tokens":3,"output_tokens":9}}"#;
    feed(&mut later, update).unwrap();
    feed(&mut later, update).unwrap();
    assert_eq!(later.usage.input_tokens, Some(12 + 5 + 3));
    assert_eq!(later.usage.cache_read_tokens, Some(5));
    assert_eq!(later.usage.cache_write_tokens, Some(3));
    assert_eq!(later.usage.output_tokens, Some(9));
}

#[test]
fn an_error_event_mid_stream_is_the_error_kind_of_its_type() {
    let transcript = r#"
        event: message_start
        data: {"type":"message_start","message":{"model":"claude-sonnet-5-5","usage":{"input_tokens":5,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}

        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
    "#;
    let err = run(transcript).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert!(
        err.detail()
            .contains("(overloaded_error): error event mid-stream: Overloaded")
    );
    assert!(!err.detail().contains("HTTP"));
    let spend = r#"{"type":"error","error":{"type":"rate_limit_error","message":"limit",
        "details":{"error_code":"enforced_spend_limit_reached"}}}"#;
    let err = feed(&mut StreamState::default(), spend).unwrap_err();
    assert_eq!(err.kind, ErrorKind::QuotaExceeded);
    let unknown = r#"{"type":"error","error":{"type":"brand_new_error","message":"?"}}"#;
    let err = feed(&mut StreamState::default(), unknown).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    let bare = r#"{"type":"error"}"#;
    let err = feed(&mut StreamState::default(), bare).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
}

#[test]
fn a_stream_cut_before_message_stop_is_an_upstream_error() {
    let cut = &TOOL_STREAM[..TOOL_STREAM.find("event: message_stop").unwrap()];
    let state = run(cut).unwrap();
    assert!(!state.done);
    assert_eq!(
        state.output,
        "Okay, let's check the weather for San Francisco, CA:"
    );
    assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn pings_stops_and_unknown_events_change_nothing() {
    let mut state = StreamState::default();
    for data in [
        r#"{"type": "ping"}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"brand_new_event","index":0,"stuff":[1,2]}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
        "",
    ] {
        feed(&mut state, data).unwrap();
    }
    assert_eq!(state.output, "");
    assert!(state.tool_calls.iter().all(|call| call.name.is_empty()));
    assert!(!state.done);
    let err = feed(&mut state, "not json").unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
}

#[test]
fn server_tool_input_is_dropped_and_text_only_answers_finish() {
    let transcript = r#"
        data: {"type":"message_start","message":{"model":"claude-haiku-5-5","usage":{"input_tokens":9,"output_tokens":1}}}

        data: {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}

        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"weather"}}

        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"}"}}

        data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":"Sunny"}}

        data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":", 18 C."}}

        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}}

        data: {"type":"message_stop"}
    "#;
    let done = run(transcript).unwrap().finish("m").unwrap();
    assert_eq!(done.output, "Sunny, 18 C.");
    assert!(done.tool_calls.is_empty());
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.model, "claude-haiku-5-5");
    assert_eq!(done.usage.total(), Some(21));
}

#[test]
fn a_stop_without_a_stop_reason_is_other_and_huge_indexes_are_refused() {
    let mut state = StreamState::default();
    feed(&mut state, r#"{"type":"message_stop"}"#).unwrap();
    assert!(state.done);
    assert_eq!(
        state.finish("m").unwrap().finish_reason,
        FinishReason::Other
    );
    let huge = r#"{"type":"content_block_delta","index":4000000000,
        "delta":{"type":"input_json_delta","partial_json":"{}"}}"#;
    let err = feed(&mut StreamState::default(), huge).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
}

/// A Sonnet 5.5 tool turn with summarized thinking (the streaming reference's thinking events:
/// `thinking_delta`s then one `signature_delta`), a redacted block sent whole on its start,
/// and no text block: the model's words between tool calls are in the thinking block.
const THINKING_STREAM: &str = r#"
    event: message_start
    data: {"type":"message_start","message":{"id":"msg_01ThinkTool","type":"message","role":"assistant","model":"claude-sonnet-5-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":210,"output_tokens":1}}}

    event: content_block_start
    data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I found the config file. "}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Next I will read the tests."}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":0}

    event: content_block_start
    data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":1}

    event: content_block_start
    data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01Read","name":"read_file","input":{}}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"path\": \"tests/"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"config.rs\"}"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":2}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":142}}

    event: message_stop
    data: {"type":"message_stop"}
"#;

/// The same turn answered whole.
const THINKING_BODY: &str = r#"{
  "id": "msg_01ThinkTool", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
  "content": [
    {"type": "thinking", "thinking": "I found the config file. Next I will read the tests.",
     "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
    {"type": "tool_use", "id": "toolu_01Read", "name": "read_file", "input": {"path": "tests/config.rs"}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 210, "output_tokens": 142}
}"#;

#[test]
fn a_thinking_stream_keeps_every_block_as_the_whole_answer_does() {
    let streamed = run(THINKING_STREAM).unwrap().finish("requested").unwrap();
    let whole = response::parse(THINKING_BODY.as_bytes()).unwrap();
    assert_eq!(streamed, whole);
    let body: serde_json::Value = serde_json::from_str(THINKING_BODY).unwrap();
    let state = streamed.provider_state.expect("thinking blocks are state");
    assert_eq!(state.format, "anthropic");
    assert_eq!(state.model, "claude-sonnet-5-5");
    assert_eq!(serde_json::Value::Array(state.parts), body["content"]);
    let said = "I found the config file. Next I will read the tests.";
    assert_eq!(streamed.reasoning.as_deref(), Some(said));
    // No text block in a tool turn: the words between tool calls are the output.
    assert_eq!(streamed.output, said);
    assert_eq!(streamed.tool_calls[0].arguments["path"], "tests/config.rs");
}

#[test]
fn a_tool_input_sent_whole_on_its_start_block_is_kept() {
    let start = r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"get_weather","input":{"city":"Paris"}}}"#;
    let end = [
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":20}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let mut whole_on_start = StreamState::default();
    feed(&mut whole_on_start, start).unwrap();
    for data in end {
        feed(&mut whole_on_start, data).unwrap();
    }
    let done = whole_on_start.finish("m").unwrap();
    assert_eq!(done.tool_calls.len(), 1);
    assert_eq!(done.tool_calls[0].arguments["city"], "Paris");
    // Deltas after such a start are the input; they replace what the start carried.
    let mut then_deltas = StreamState::default();
    feed(&mut then_deltas, start).unwrap();
    for piece in [r#""#, r#"{\"city\": "#, r#"\"Lyon\"}"#] {
        let delta = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta","partial_json":"{piece}"}}}}"#
        );
        feed(&mut then_deltas, &delta).unwrap();
    }
    for data in end {
        feed(&mut then_deltas, data).unwrap();
    }
    let done = then_deltas.finish("m").unwrap();
    assert_eq!(done.tool_calls[0].arguments["city"], "Lyon");
    assert!(done.provider_state.is_none(), "no thinking, no state");
}
