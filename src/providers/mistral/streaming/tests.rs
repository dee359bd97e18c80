//! Streams fed as literal SSE transcripts, in the chunk shapes of Mistral's chat completion
//! reference (`CompletionChunk`, `CompletionResponseStreamChoice`:
//! <https://docs.mistral.ai/api/#tag/chat/operation/chat_completion_v1_chat_completions_post>).

use crate::test_server::Authed;
use reqwest::Url;
use serde_json::{Value, json};

use crate::completion::{CompletionRequest, FinishReason, Message, Role, ToolCall};
use crate::error::{ErrorKind, LlmError};
use crate::provider::Provider;
use crate::providers::mistral::MistralProvider;
use crate::providers::mistral::request::mistral_id;
use crate::stream::StreamState;

fn mistral() -> MistralProvider {
    MistralProvider::new(Url::parse("https://api.mistral.ai").unwrap())
}

/// Feeds an SSE transcript as the HTTP reader does: stops at `done`, and at the end of the
/// body lets the adapter decide whether the stream was complete.
fn feed(transcript: &str) -> Result<StreamState, LlmError> {
    let mut state = StreamState::default();
    for block in transcript.split("\n\n").filter(|b| !b.trim().is_empty()) {
        if state.done {
            break;
        }
        let data = block.trim().strip_prefix("data:").unwrap().trim_start();
        mistral().stream_event(&mut state, "message", data)?;
    }
    if !state.done {
        mistral().stream_end(&mut state);
    }
    Ok(state)
}

fn chunk(delta: Value, finish: Option<&str>, usage: Option<Value>) -> String {
    let mut body = json!({"id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
        "object": "chat.completion.chunk", "created": 1702256327, "model": "mistral-small-latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    if let Some(usage) = usage {
        body["usage"] = usage;
    }
    format!("data: {body}\n\n")
}

const DONE: &str = "data: [DONE]\n\n";

fn usage() -> Value {
    json!({"prompt_tokens": 16, "total_tokens": 50, "completion_tokens": 34})
}

#[test]
fn a_stream_ends_as_the_same_record_as_the_whole_answer() {
    let transcript = [
        chunk(json!({"role": "assistant", "content": ""}), None, None),
        chunk(json!({"content": "Par"}), None, None),
        chunk(json!({"content": "is."}), None, None),
        chunk(json!({"content": ""}), Some("stop"), Some(usage())),
        DONE.to_string(),
    ]
    .concat();
    let streamed = feed(&transcript).unwrap();
    assert!(streamed.done);
    let whole = json!({"id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion",
        "model": "mistral-small-latest", "usage": usage(), "created": 1702256327,
        "choices": [{"index": 0, "message": {"content": "Paris.", "tool_calls": null,
            "prefix": false, "role": "assistant"}, "finish_reason": "stop"}]});
    let expected = mistral()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    assert_eq!(streamed.finish("requested").unwrap(), expected);
}

#[test]
fn a_whole_tool_call_with_its_usage_ends_the_stream_before_done() {
    let call = json!({"id": "D681PevKs", "index": 0, "function": {"name": "retrieve_payment_status",
        "arguments": "{\"transaction_id\": \"T1001\"}"}});
    let totals = json!({"prompt_tokens": 166, "total_tokens": 195, "completion_tokens": 29});
    let last = chunk(
        json!({"tool_calls": [call]}),
        Some("tool_calls"),
        Some(totals.clone()),
    );
    // Nothing after the finish chunk is read: the usage came with it.
    let transcript = [last, "data: {not json\n\n".into()].concat();
    let done = feed(&transcript).unwrap().finish("m").unwrap();
    let whole = json!({"model": "mistral-small-latest", "usage": totals,
        "choices": [{"index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": "", "tool_calls": [call]}}]});
    let expected = mistral()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    assert_eq!(done, expected);
    assert_eq!(done.tool_calls[0].id, "D681PevKs");
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
}

#[test]
fn model_length_is_length_and_error_is_other_as_in_a_whole_answer() {
    let full = [
        chunk(json!({"content": "The answer"}), None, None),
        chunk(
            json!({"content": " is"}),
            Some("model_length"),
            Some(usage()),
        ),
    ]
    .concat();
    let done = feed(&full).unwrap().finish("m").unwrap();
    assert_eq!(done.finish_reason, FinishReason::Length);
    assert_eq!(done.output, "The answer is");
    let errored = chunk(json!({"content": "par"}), Some("error"), Some(usage()));
    let done = feed(&errored).unwrap().finish("m").unwrap();
    assert_eq!(done.finish_reason, FinishReason::Other);
}

#[test]
fn a_stream_cut_before_its_finish_is_an_upstream_error() {
    let transcript = [
        chunk(json!({"role": "assistant", "content": ""}), None, None),
        chunk(json!({"content": "Par"}), None, None),
    ]
    .concat();
    let state = feed(&transcript).unwrap();
    assert!(!state.done);
    assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn an_error_object_mid_stream_is_the_error_of_an_error_body() {
    let error = json!({"object": "error", "message": "Service unavailable.",
        "type": "service_unavailable", "param": null, "code": "1000"});
    let transcript = [
        chunk(json!({"content": "Par"}), None, None),
        format!("data: {error}\n\n"),
    ]
    .concat();
    let err = feed(&transcript).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert_eq!(
        err.detail(),
        "(service_unavailable): error in the stream: Service unavailable."
    );
    let limited = json!({"object": "error", "message": "Requests rate limit exceeded",
        "type": "rate_limited", "param": null, "code": "1300"});
    let err = feed(&format!("data: {limited}\n\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    // An OpenAI-shaped error object is OpenAI's reader's.
    let openai = json!({"error": {"message": "Internal error", "type": "server_error"}});
    let err = feed(&format!("data: {openai}\n\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
}

#[test]
fn the_stream_request_has_no_stream_options_and_valid_ids() {
    let request = CompletionRequest {
        model: "mistral-large-latest".into(),
        system: None,
        messages: vec![
            Message::user("Status of T1001?"),
            Message {
                role: Role::Assistant,
                content: String::new(),
                tool_call_id: None,
                tool_calls: vec![ToolCall {
                    id: "call_0".into(),
                    name: "retrieve_payment_status".into(),
                    arguments: Default::default(),
                }],
                provider_state: None,
                attachments: Vec::new(),
            },
            Message {
                role: Role::Tool,
                content: "Paid".into(),
                tool_call_id: Some("call_0".into()),
                tool_calls: Vec::new(),
                provider_state: None,
                attachments: Vec::new(),
            },
        ],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Default::default(),
        ..Default::default()
    };
    let plain = mistral().authed_completion(&request, None).unwrap();
    let wire = mistral().authed_stream(&request, None).unwrap();
    assert_eq!(wire.url, plain.url);
    let body = wire.body.unwrap();
    assert_eq!(body["stream"], true);
    assert!(body.get("stream_options").is_none());
    assert_eq!(body["messages"][2]["tool_call_id"], mistral_id("call_0"));
    assert_eq!(body["messages"], plain.body.unwrap()["messages"]);
}
