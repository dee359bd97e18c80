//! Unit tests on literal bodies of the Responses API reference
//! (<https://platform.openai.com/docs/api-reference/responses/create>, `/object`, and the
//! function-calling and reasoning guides).

use std::sync::Arc;

use reqwest::Url;
use serde_json::{Value, json};

use super::*;
use crate::completion::{
    FinishReason, Message, ProviderState, Reasoning, Role, Sampling, ToolCall, ToolChoice, ToolSpec,
};
use crate::error::ErrorKind;
use crate::secret::Secret;

pub(super) const MODEL: &str = "o3-2025-04-16";

/// The reasoning answer of the reasoning guide, with `include: ["reasoning.encrypted_content"]`.
pub(super) fn reasoning_answer() -> Value {
    json!({
        "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
        "object": "response",
        "created_at": 1741476777,
        "status": "completed",
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": MODEL,
        "output": [
            {
                "type": "reasoning",
                "id": "rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7",
                "summary": [{"type": "summary_text", "text": "**Answering a simple question**\n\nThe user asks for the capital of France."}],
                "encrypted_content": "gAAAAABoISQ24OyVRYbkYfukdkWn5VoOwr7mAs2mG-Ms"
            },
            {
                "type": "message",
                "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "The capital of France is Paris.", "annotations": []}]
            }
        ],
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": "low", "summary": "auto"},
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 81,
            "input_tokens_details": {"cached_tokens": 64},
            "output_tokens": 1035,
            "output_tokens_details": {"reasoning_tokens": 832},
            "total_tokens": 1116
        },
        "user": null,
        "metadata": {}
    })
}

/// A reasoning model calling `get_weather`, as in the function-calling guide.
pub(super) fn call_answer() -> Value {
    let mut answer = reasoning_answer();
    answer["output"][1] = json!({
        "type": "function_call",
        "id": "fc_12345xyz",
        "call_id": "call_12345xyz",
        "name": "get_weather",
        "arguments": "{\"location\":\"Paris, France\"}",
        "status": "completed"
    });
    answer
}

fn openai() -> Responses {
    let base = Url::parse("https://api.openai.com/v1").unwrap();
    Responses::new(base.clone(), Route::OpenAi, OpenAi::new(base), "openai")
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: Some("Get current temperature for a given location.".into()),
        input_schema: json!({"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}),
    }
}

fn conversation() -> CompletionRequest {
    let call = ToolCall {
        id: "call_12345xyz".into(),
        name: "get_weather".into(),
        arguments: json!({"location": "Paris, France"})
            .as_object()
            .cloned()
            .unwrap(),
    };
    CompletionRequest {
        model: "o3".into(),
        system: Some("You are terse.".into()),
        messages: vec![
            Message::user("What is the weather like in Paris today?"),
            Message {
                role: Role::Assistant,
                tool_calls: vec![call],
                ..Message::default()
            },
            Message {
                role: Role::Tool,
                content: "14°C".into(),
                tool_call_id: Some("call_12345xyz".into()),
                ..Message::default()
            },
        ],
        tools: vec![weather_tool()],
        tool_choice: Some(ToolChoice::Tool("get_weather".into())),
        sampling: Sampling {
            max_tokens: Some(500),
            ..Sampling::default()
        },
        reasoning: Some(Reasoning {
            effort: Some(crate::completion::Effort::Low),
            budget_tokens: None,
            include: true,
        }),
        ..CompletionRequest::default()
    }
}

#[test]
fn the_request_is_the_documented_stateless_body() {
    let wire = openai().completion_request(&conversation()).unwrap();
    assert_eq!(wire.url.as_str(), "https://api.openai.com/v1/responses");
    let expected = json!({
        "model": "o3",
        "instructions": "You are terse.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "What is the weather like in Paris today?"}]},
            {"type": "function_call", "call_id": "call_12345xyz", "name": "get_weather", "arguments": "{\"location\":\"Paris, France\"}"},
            {"type": "function_call_output", "call_id": "call_12345xyz", "output": "14°C"}
        ],
        "tools": [{
            "type": "function",
            "name": "get_weather",
            "description": "Get current temperature for a given location.",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
            "strict": false
        }],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "max_output_tokens": 500,
        "reasoning": {"effort": "low", "summary": "auto"},
        "store": false,
        "include": ["reasoning.encrypted_content"]
    });
    assert_eq!(wire.body.unwrap(), expected);
}

#[test]
fn the_cache_key_is_the_prompt_cache_key() {
    let mut request = conversation();
    request.cache_key = Some("tenant-7".into());
    let body = openai().completion_request(&request).unwrap().body.unwrap();
    assert_eq!(body["prompt_cache_key"], json!("tenant-7"));
}

#[test]
fn a_model_that_does_not_reason_is_not_asked_for_reasoning_items() {
    let request = CompletionRequest {
        model: "gpt-4.1".into(),
        messages: vec![Message::user("hi")],
        sampling: Sampling {
            temperature: Some(0.2),
            ..Sampling::default()
        },
        ..CompletionRequest::default()
    };
    let body = openai().completion_request(&request).unwrap().body.unwrap();
    assert_eq!(body["temperature"], json!(0.2));
    assert_eq!(body["store"], json!(false));
    assert!(body.get("include").is_none(), "{body}");
    assert!(body.get("instructions").is_none(), "{body}");
    assert!(body.get("stream").is_none(), "{body}");
}

#[test]
fn an_answer_reads_into_text_usage_reasoning_and_state() {
    let body = reasoning_answer().to_string();
    let done = openai().parse_completion(body.as_bytes()).unwrap();
    assert_eq!(done.output, "The capital of France is Paris.");
    assert_eq!(done.model, MODEL);
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(81));
    assert_eq!(done.usage.cache_read_tokens, Some(64));
    assert_eq!(done.usage.output_tokens, Some(1035));
    assert_eq!(done.usage.reasoning_tokens, Some(832));
    assert_eq!(done.usage.total(), Some(1116));
    assert!(
        done.reasoning
            .unwrap()
            .starts_with("**Answering a simple question**")
    );
    let state = done.provider_state.unwrap();
    assert_eq!(state.format, "openai");
    assert_eq!(state.model, MODEL);
    assert_eq!(
        state.parts,
        reasoning_answer()["output"].as_array().unwrap().clone()
    );
}

#[test]
fn a_function_call_is_a_tool_call_with_its_call_id() {
    let done = openai()
        .parse_completion(call_answer().to_string().as_bytes())
        .unwrap();
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.output, "");
    assert_eq!(done.tool_calls.len(), 1);
    assert_eq!(done.tool_calls[0].id, "call_12345xyz");
    assert_eq!(done.tool_calls[0].name, "get_weather");
    assert_eq!(done.tool_calls[0].arguments["location"], "Paris, France");
    assert_eq!(done.provider_state.unwrap().parts.len(), 2);
}

#[test]
fn an_answer_without_reasoning_leaves_no_state() {
    let mut answer = reasoning_answer();
    answer["output"].as_array_mut().unwrap().remove(0);
    let done = openai()
        .parse_completion(answer.to_string().as_bytes())
        .unwrap();
    assert_eq!(done.reasoning, None);
    assert_eq!(done.provider_state, None);
}

#[test]
fn the_next_turn_replays_the_items_unchanged_and_an_edited_turn_is_rebuilt() {
    let done = openai()
        .parse_completion(call_answer().to_string().as_bytes())
        .unwrap();
    let mut request = conversation();
    request.messages[1] = done.message();
    let input = &openai().completion_request(&request).unwrap().body.unwrap()["input"];
    let output = call_answer()["output"].clone();
    assert_eq!(input[1], output[0], "the reasoning item first");
    assert_eq!(input[2], output[1], "then the call, with its id");
    assert_eq!(input[3]["type"], "function_call_output");

    // The caller changed the call: the items no longer say what the turn says.
    request.messages[1].tool_calls[0].id = "call_other".into();
    let input = &openai().completion_request(&request).unwrap().body.unwrap()["input"];
    assert_eq!(input[1]["type"], "function_call");
    assert_eq!(input[1]["call_id"], "call_other");
    assert!(input[1].get("id").is_none());
    assert_eq!(input.as_array().unwrap().len(), 3);
}

#[test]
fn state_that_is_not_responses_items_is_ignored() {
    let mut request = conversation();
    request.messages[1].provider_state = Some(ProviderState {
        format: "openai".into(),
        model: "o3".into(),
        parts: vec![json!({"reasoning_content": "chat completions state"})],
    });
    let input = &openai().completion_request(&request).unwrap().body.unwrap()["input"];
    assert_eq!(input[1]["type"], "function_call");
    assert!(input[1].get("id").is_none());
}

#[test]
fn status_and_incomplete_details_map_onto_finish_reasons() {
    let with = |status: &str, reason: Option<&str>| {
        let mut answer = reasoning_answer();
        answer["status"] = json!(status);
        answer["incomplete_details"] = reason.map_or(Value::Null, |r| json!({"reason": r}));
        openai().parse_completion(answer.to_string().as_bytes())
    };
    let reason = |status, why| with(status, why).unwrap().finish_reason;
    assert_eq!(
        reason("incomplete", Some("max_output_tokens")),
        FinishReason::Length
    );
    assert_eq!(
        reason("incomplete", Some("content_filter")),
        FinishReason::ContentFilter
    );
    assert_eq!(
        reason("incomplete", Some("something_new")),
        FinishReason::Other
    );
    assert_eq!(
        with("in_progress", None).unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}

#[test]
fn a_refusal_is_the_output_and_a_content_filter_stop() {
    let mut answer = reasoning_answer();
    answer["output"][1]["content"] =
        json!([{"type": "refusal", "refusal": "I can't help with that."}]);
    let done = openai()
        .parse_completion(answer.to_string().as_bytes())
        .unwrap();
    assert_eq!(done.output, "I can't help with that.");
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
}

#[test]
fn a_failed_response_is_the_error_its_code_says() {
    let failed = |code: &str| {
        let mut answer = reasoning_answer();
        answer["status"] = json!("failed");
        answer["error"] = json!({"code": code, "message": "Something went wrong."});
        openai()
            .parse_completion(answer.to_string().as_bytes())
            .unwrap_err()
    };
    let err = failed("server_error");
    assert_eq!((err.kind, err.retryable), (ErrorKind::Upstream, true));
    assert_eq!(err.message, "Something went wrong.");
    assert_eq!(err.code.as_deref(), Some("server_error"));
    assert_eq!(failed("rate_limit_exceeded").kind, ErrorKind::RateLimited);
    assert_eq!(failed("invalid_prompt").kind, ErrorKind::BadRequest);
    assert_eq!(
        failed("image_content_policy_violation").kind,
        ErrorKind::ContentFilter
    );
}

#[test]
fn error_bodies_are_read_as_chat_completions_reads_them_plus_usage_limits() {
    let body = |value: Value| value.to_string().into_bytes();
    let quota = body(
        json!({"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}),
    );
    let err = openai().parse_error(429, &quota);
    assert_eq!((err.kind, err.retryable), (ErrorKind::QuotaExceeded, false));
    let usage = body(
        json!({"error": {"type": "usage_limit_reached", "message": "The usage limit has been reached", "plan_type": "plus", "resets_at": 1764631712}}),
    );
    let err = openai().parse_error(429, &usage);
    assert_eq!((err.kind, err.retryable), (ErrorKind::QuotaExceeded, false));
    let auth = body(
        json!({"error": {"message": "Incorrect API key provided: sk-abc***xyz.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
    );
    let err = openai().parse_error(401, &auth);
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(!err.message.contains("sk-abc"), "{}", err.message);
    let rate = body(
        json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
    );
    assert_eq!(
        openai().parse_error(429, &rate).kind,
        ErrorKind::RateLimited
    );
}

#[test]
fn azure_routes_are_the_v1_api_and_the_resource_endpoint_with_a_responses_version() {
    let url = |base: &str, version: &str| {
        let base = Url::parse(base).unwrap();
        let route = Route::for_endpoint(true, &base, version);
        let provider = Responses::new(base.clone(), route, OpenAi::new(base), "azure");
        let wire = provider.completion_request(&conversation()).unwrap();
        assert_eq!(
            provider.credential().clone_header(),
            Some(("api-key", "")),
            "Azure takes the key in api-key"
        );
        wire.url.to_string()
    };
    assert_eq!(
        url("https://me.openai.azure.com/openai/v1/", "2024-10-21"),
        "https://me.openai.azure.com/openai/v1/responses"
    );
    assert_eq!(
        url("https://me.openai.azure.com", "2024-10-21"),
        "https://me.openai.azure.com/openai/responses?api-version=2025-04-01-preview"
    );
    assert_eq!(
        url("https://me.openai.azure.com/openai", "2025-11-15-preview"),
        "https://me.openai.azure.com/openai/responses?api-version=2025-11-15-preview"
    );
}

/// Writes its name into a header, to show that a route's signer signs.
struct Named;

impl RequestSigner for Named {
    fn sign(
        &self,
        request: &mut WireRequest,
        key: &Secret,
        _: std::time::SystemTime,
    ) -> Result<(), LlmError> {
        let value = format!("Bearer {}", key.expose());
        request
            .headers
            .insert("authorization", value.parse().unwrap());
        Ok(())
    }
}

pub(super) fn codex() -> Responses {
    let base = Url::parse("https://chatgpt.com/backend-api/codex").unwrap();
    let route = Route::Codex {
        signer: Arc::new(Named),
    };
    Responses::new(base.clone(), route, OpenAi::new(base), "openai")
}

#[test]
fn the_codex_backend_gets_a_stream_with_instructions_and_no_output_limit() {
    let mut request = conversation();
    request.system = None;
    request.sampling.temperature = Some(0.3);
    let warnings = codex().adjust(&mut request).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let wire = codex().completion_request(&request).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://chatgpt.com/backend-api/codex/responses"
    );
    assert_eq!(wire.headers["accept"], "text/event-stream");
    let body = wire.body.unwrap();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["store"], json!(false));
    assert_eq!(
        body["instructions"],
        json!(request::CODEX_DEFAULT_INSTRUCTIONS)
    );
    assert!(body.get("max_output_tokens").is_none(), "{body}");
    assert!(body.get("temperature").is_none(), "{body}");
    let models = codex().models_request().unwrap();
    assert_eq!(
        models.url.as_str(),
        "https://chatgpt.com/backend-api/codex/models?client_version=0.99.0"
    );
    let listing = json!({"models": [{"slug": "gpt-5.5", "display_name": "GPT-5.5"}], "etag": ""});
    assert_eq!(
        codex()
            .parse_models(listing.to_string().as_bytes())
            .unwrap(),
        vec!["gpt-5.5"]
    );
    assert!(matches!(codex().credential(), Credential::Signer(_)));
}

/// The header a credential sends the key in, for assertions.
trait HeaderOf {
    fn clone_header(&self) -> Option<(&'static str, &'static str)>;
}

impl HeaderOf for Credential {
    fn clone_header(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Credential::Header { name, prefix } => Some((name, prefix)),
            _ => None,
        }
    }
}
