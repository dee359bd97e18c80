//! Requests and answers checked against the examples of Mistral's API reference.

use reqwest::Url;

use super::request::*;
use super::*;
use crate::completion::FinishReason;
use crate::completion::{Message, Role, Sampling, ToolCall, ToolChoice, ToolSpec};
use crate::error::ErrorKind;
use crate::secret::Secret;
use crate::test_server::Authed;
use serde_json::json;

fn provider() -> MistralProvider {
    MistralProvider::new(Url::parse("https://api.mistral.ai").unwrap())
}

fn call(id: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: "retrieve_payment_status".into(),
        arguments: json!({"transaction_id": "T1001"})
            .as_object()
            .unwrap()
            .clone(),
    }
}

fn result(id: &str) -> Message {
    Message {
        role: Role::Tool,
        content: "{\"status\": \"Paid\"}".into(),
        tool_call_id: Some(id.into()),
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    }
}

#[test]
fn ids_become_nine_alphanumerics_deterministically() {
    assert_eq!(mistral_id("D681PevKs"), "D681PevKs");
    let mapped = mistral_id("call_0");
    assert_eq!(mapped.len(), 9);
    assert!(mapped.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(mistral_id("call_0"), mapped);
    assert_ne!(mistral_id("call_1"), mapped);
    assert_ne!(mistral_id("toolu_01A09q90qw90lq917835lq9"), mapped);
}

// The function-calling walk-through of https://docs.mistral.ai/capabilities/function_calling/.
#[test]
fn request_is_openai_shaped_with_max_tokens_and_valid_ids() {
    let key = Secret::new("mistral-secret".into());
    let request = CompletionRequest {
        model: "mistral-large-latest".into(),
        system: Some("You answer payment questions.".into()),
        messages: vec![
            Message::user("What's the status of my transaction T1001?"),
            Message {
                role: Role::Assistant,
                content: String::new(),
                tool_call_id: None,
                tool_calls: vec![call("call_0"), call("D681PevKs")],
                provider_state: None,
                attachments: Vec::new(),
            },
            result("call_0"),
            result("D681PevKs"),
        ],
        tools: vec![ToolSpec {
            name: "retrieve_payment_status".into(),
            description: Some("Get payment status of a transaction".into()),
            input_schema: json!({"type": "object", "properties": {"transaction_id": {"type": "string"}}, "required": ["transaction_id"]}),
        }],
        tool_choice: Some(ToolChoice::Required),
        sampling: Sampling {
            max_tokens: Some(64),
            temperature: Some(0.3),
            top_p: Some(0.9),
            stop: vec!["\n\n".into()],
        },
        ..Default::default()
    };
    let wire = provider().authed_completion(&request, Some(&key)).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://api.mistral.ai/v1/chat/completions"
    );
    assert_eq!(wire.headers["authorization"], "Bearer mistral-secret");
    let mapped = mistral_id("call_0");
    let args = "{\"transaction_id\":\"T1001\"}";
    assert_eq!(
        wire.body.unwrap(),
        json!({
            "model": "mistral-large-latest",
            "messages": [
                {"role": "system", "content": "You answer payment questions."},
                {"role": "user", "content": "What's the status of my transaction T1001?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": mapped, "type": "function", "function": {"name": "retrieve_payment_status", "arguments": args}},
                    {"id": "D681PevKs", "type": "function", "function": {"name": "retrieve_payment_status", "arguments": args}}
                ]},
                {"role": "tool", "tool_call_id": mapped, "content": "{\"status\": \"Paid\"}"},
                {"role": "tool", "tool_call_id": "D681PevKs", "content": "{\"status\": \"Paid\"}"}
            ],
            "max_tokens": 64,
            "temperature": 0.3,
            "top_p": 0.9,
            "stop": ["\n\n"],
            "tools": [{"type": "function", "function": {
                "name": "retrieve_payment_status",
                "description": "Get payment status of a transaction",
                "parameters": {"type": "object", "properties": {"transaction_id": {"type": "string"}}, "required": ["transaction_id"]}
            }}],
            "tool_choice": "required"
        })
    );
}

#[test]
fn a_base_with_v1_is_kept_and_models_come_from_v1_models() {
    let spelled = MistralProvider::new(Url::parse("https://api.mistral.ai/v1/").unwrap());
    let wire = spelled.authed_models(None).unwrap();
    assert_eq!(wire.url.as_str(), "https://api.mistral.ai/v1/models");
    let body = br#"{"object": "list", "data": [
      {"id": "mistral-medium-2505", "object": "model", "created": 1747000000, "owned_by": "mistralai",
       "capabilities": {"completion_chat": true, "function_calling": true}, "name": "mistral-medium-2505",
       "aliases": ["mistral-medium-latest"], "type": "base"},
      {"id": "codestral-latest", "object": "model", "owned_by": "mistralai"}
    ]}"#;
    assert_eq!(
        provider().parse_models(body).unwrap(),
        vec!["mistral-medium-2505", "codestral-latest"]
    );
}

// The response example of the chat completion reference.
#[test]
fn parses_text_and_usage() {
    let body = br#"{
      "id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
      "object": "chat.completion",
      "model": "mistral-small-latest",
      "usage": {"prompt_tokens": 16, "completion_tokens": 34, "total_tokens": 50},
      "created": 1702256327,
      "choices": [{"index": 0, "message": {"content": "Paris.", "tool_calls": null, "prefix": false, "role": "assistant"},
        "finish_reason": "stop"}]
    }"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.output, "Paris.");
    assert_eq!(done.model, "mistral-small-latest");
    assert_eq!(done.usage.input_tokens, Some(16));
    assert_eq!(done.usage.output_tokens, Some(34));
    assert_eq!(done.finish_reason, FinishReason::Stop);
}

#[test]
fn parses_tool_calls_with_their_ids() {
    let body = br#"{"id": "c1", "object": "chat.completion", "created": 1718380000, "model": "mistral-large-latest",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": [
        {"id": "D681PevKs", "type": "function", "index": 0,
         "function": {"name": "retrieve_payment_status", "arguments": "{\"transaction_id\": \"T1001\"}"}}]},
        "finish_reason": "tool_calls", "logprobs": null}],
      "usage": {"prompt_tokens": 166, "total_tokens": 195, "completion_tokens": 29}}"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls[0].id, "D681PevKs");
    assert_eq!(
        done.tool_calls[0].arguments["transaction_id"],
        json!("T1001")
    );
}

#[test]
fn reasoning_chunks_are_left_out_and_model_length_is_length() {
    let body = br#"{"id": "c2", "object": "chat.completion", "model": "magistral-medium-2509",
      "choices": [{"index": 0, "finish_reason": "model_length", "message": {"role": "assistant", "content": [
        {"type": "thinking", "thinking": [{"type": "text", "text": "2 plus 2..."}]},
        {"type": "text", "text": "The answer is 4."}]}}],
      "usage": {"prompt_tokens": 10, "completion_tokens": 90, "total_tokens": 100}}"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.output, "The answer is 4.");
    assert_eq!(done.finish_reason, FinishReason::Length);
    let errored = br#"{"model": "m", "choices": [{"index": 0, "finish_reason": "error",
      "message": {"role": "assistant", "content": "par"}}]}"#;
    assert_eq!(
        provider().parse_completion(errored).unwrap().finish_reason,
        FinishReason::Other
    );
}

#[test]
fn validation_errors_read_as_field_and_problem() {
    let err = parse_error_body(422, br#"{"object": "error", "message": {"detail": [{"type": "extra_forbidden",
      "loc": ["body", "safe_mode"], "msg": "Extra inputs are not permitted", "input": false,
      "url": "https://errors.pydantic.dev/2.6/v/extra_forbidden"}]}, "type": "invalid_request_error", "param": null, "code": null}"#);
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert_eq!(
        err.detail(),
        "HTTP 422 (invalid_request_error): safe_mode: Extra inputs are not permitted"
    );
    let err = parse_error_body(422, br#"{"detail": [{"type": "float_type", "loc": ["body", "messages", 0, "content"],
      "msg": "Input should be a valid string", "input": null}, {"type": "extra_forbidden",
      "loc": ["body", "max_completion_tokens"], "msg": "Extra inputs are not permitted", "input": 8192}]}"#);
    assert_eq!(
        err.detail(),
        "HTTP 422: messages.0.content: Input should be a valid string; max_completion_tokens: Extra inputs are not permitted"
    );
    assert!(!err.retryable);
}

#[test]
fn errors_map_to_kinds() {
    let err = parse_error_body(400, br#"{"object": "error", "message": "Invalid model: mistral-huge", "type": "invalid_model", "param": null, "code": "1500"}"#);
    assert_eq!(err.kind, ErrorKind::ModelNotFound);
    assert!(err.message.contains("Invalid model: mistral-huge"));
    let err = parse_error_body(400, br#"{"object": "error", "message": "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length", "type": "invalid_request_error", "param": null, "code": null}"#);
    assert_eq!(err.kind, ErrorKind::ContextLength);
    let err = parse_error_body(400, br#"{"object": "error", "message": "Tool call id was abc123 but must be a-z, A-Z, 0-9, with a length of 9.", "type": "invalid_request_error", "param": null, "code": null}"#);
    assert_eq!(err.kind, ErrorKind::BadRequest);
    let err = parse_error_body(
        401,
        br#"{"message": "Unauthorized", "request_id": "933f233947ff6d346065bb297e4a4d56"}"#,
    );
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorKind::Auth, "Unauthorized")
    );
    let err = parse_error_body(401, br#"{"detail": "Unauthorized"}"#);
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorKind::Auth, "Unauthorized")
    );
    let err = parse_error_body(429, br#"{"message": "Requests rate limit exceeded"}"#);
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert!(err.retryable);
    let err = parse_error_body(
        429,
        br#"{"message": "You have exceeded your monthly spending limit"}"#,
    );
    assert_eq!(err.kind, ErrorKind::QuotaExceeded);
    assert!(!err.retryable);
    let err = parse_error_body(503, br#"{"object": "error", "message": "Service unavailable.", "type": "service_unavailable", "param": null, "code": "1000"}"#);
    assert_eq!(err.kind, ErrorKind::Overloaded);
    let err = parse_error_body(500, b"");
    assert_eq!(
        (err.kind, err.detail().as_str()),
        (ErrorKind::Upstream, "HTTP 500: (empty body)")
    );
}
