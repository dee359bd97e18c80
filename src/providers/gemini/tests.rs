//! Requests and answers checked against the examples of <https://ai.google.dev/api>.

use std::time::Duration;

use reqwest::Url;
use serde_json::{Value, json};

use super::errors::*;
use super::request::*;
use super::response::*;
use super::*;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::catalog::types::Reasoning as Controls;
use crate::completion::{Effort, FinishReason, Message, Reasoning, Role, ToolCall, ToolChoice};
use crate::completion::{Sampling, ToolSpec, Usage};
use crate::error::ErrorKind;
use crate::secret::Secret;
use crate::stream::StreamState;
use crate::test_server::Authed;

fn provider() -> GeminiProvider {
    GeminiProvider::new(Url::parse("https://generativelanguage.googleapis.com").unwrap())
}

fn request(messages: Vec<Message>) -> CompletionRequest {
    CompletionRequest {
        model: "gemini-2.5-flash".into(),
        system: None,
        messages,
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    }
}

fn call(id: &str, name: &str, args: Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.as_object().unwrap().clone(),
    }
}

fn result(id: &str, content: &str) -> Message {
    Message {
        role: Role::Tool,
        content: content.into(),
        tool_call_id: Some(id.into()),
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    }
}

#[test]
fn the_key_is_a_header_and_the_model_one_encoded_segment() {
    let key = Secret::new("AIza-secret".into());
    let mut req = request(vec![Message::user("hi")]);
    let wire = provider().authed_completion(&req, Some(&key)).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(wire.headers["x-goog-api-key"], "AIza-secret");
    assert!(wire.headers["x-goog-api-key"].is_sensitive());
    assert!(!wire.url.as_str().contains("AIza"));
    assert!(!format!("{wire:?}").contains("AIza-secret"));
    req.model = "models/gemini-2.5-pro".into();
    let wire = provider().authed_completion(&req, Some(&key)).unwrap();
    assert!(
        wire.url
            .path()
            .ends_with("/models/gemini-2.5-pro:generateContent")
    );
    req.model = "../../upload/x?key=1#y".into();
    let wire = provider().authed_completion(&req, Some(&key)).unwrap();
    assert_eq!(
        wire.url.path(),
        "/v1beta/models/..%2F..%2Fupload%2Fx%3Fkey%3D1%23y:generateContent"
    );
    assert_eq!(wire.url.query(), None);
}

// Shapes of https://ai.google.dev/gemini-api/docs/function-calling (parallel calls).
#[test]
fn request_maps_system_turns_tools_and_grouped_results() {
    let mut req = request(vec![
        Message::user("Turn this place into a party!"),
        Message {
            role: Role::Assistant,
            content: String::new(),
            tool_call_id: None,
            tool_calls: vec![
                call("call_0", "power_disco_ball", json!({"power": true})),
                call("call_1", "dim_lights", json!({"brightness": 0.5})),
            ],
            provider_state: None,
            attachments: Vec::new(),
        },
        result("call_0", r#"{"status": "on"}"#),
        result("call_1", "dimmed"),
    ]);
    req.system = Some("You are a party planner.".into());
    req.tools = vec![ToolSpec {
        name: "dim_lights".into(),
        description: Some("Dims the lights.".into()),
        input_schema: json!({"type": "object", "properties": {"brightness": {"type": "number"}}, "required": ["brightness"]}),
    }];
    req.tool_choice = Some(ToolChoice::Tool("dim_lights".into()));
    req.sampling = Sampling {
        max_tokens: Some(256),
        temperature: Some(0.5),
        top_p: Some(0.9),
        stop: vec!["END".into()],
    };
    assert_eq!(
        generate_body(&req),
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Turn this place into a party!"}]},
                {"role": "model", "parts": [
                    {"functionCall": {"name": "power_disco_ball", "args": {"power": true}},
                     "thoughtSignature": "skip_thought_signature_validator"},
                    {"functionCall": {"name": "dim_lights", "args": {"brightness": 0.5}},
                     "thoughtSignature": "skip_thought_signature_validator"}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "power_disco_ball", "response": {"status": "on"}}},
                    {"functionResponse": {"name": "dim_lights", "response": {"result": "dimmed"}}}
                ]}
            ],
            "systemInstruction": {"parts": [{"text": "You are a party planner."}]},
            "generationConfig": {"maxOutputTokens": 256, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
            "tools": [{"functionDeclarations": [{
                "name": "dim_lights",
                "parametersJsonSchema": {"type": "object", "properties": {"brightness": {"type": "number"}}, "required": ["brightness"]},
                "description": "Dims the lights."
            }]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["dim_lights"]}}
        })
    );
}

#[test]
fn tool_choice_modes() {
    assert_eq!(
        tool_config(&ToolChoice::Auto)["functionCallingConfig"]["mode"],
        "AUTO"
    );
    assert_eq!(
        tool_config(&ToolChoice::None)["functionCallingConfig"]["mode"],
        "NONE"
    );
    let any = tool_config(&ToolChoice::Required);
    assert_eq!(any["functionCallingConfig"], json!({"mode": "ANY"}));
    let silent = Message {
        role: Role::Assistant,
        content: String::new(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    };
    assert_eq!(
        model_turn(&silent),
        json!({"role": "model", "parts": [{"text": ""}]})
    );
    let plain = generate_body(&request(vec![Message::user("hi")]));
    assert_eq!(
        plain,
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    );
}

// The response example of https://ai.google.dev/api/generate-content, with thinking.
#[test]
fn parses_text_usage_and_model_version() {
    let body = br#"{
      "candidates": [{
        "content": {"parts": [{"text": "AI learns patterns "}, {"text": "from data."}], "role": "model"},
        "finishReason": "STOP",
        "index": 0
      }],
      "usageMetadata": {
        "promptTokenCount": 8,
        "candidatesTokenCount": 12,
        "totalTokenCount": 45,
        "cachedContentTokenCount": 4,
        "thoughtsTokenCount": 25,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]
      },
      "modelVersion": "gemini-2.5-flash",
      "responseId": "mAitaLmkHPPlz7IPvtfUqQ4"
    }"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.output, "AI learns patterns from data.");
    assert_eq!(done.model, "gemini-2.5-flash");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(8));
    assert_eq!(done.usage.cache_read_tokens, Some(4));
    assert_eq!(done.usage.output_tokens, Some(37));
    assert_eq!(done.usage.reasoning_tokens, Some(25));
    assert_eq!(done.usage.total(), Some(45));
}

#[test]
fn parses_function_calls_with_and_without_ids() {
    let body = br#"{
      "candidates": [{
        "content": {"role": "model", "parts": [
          {"thought": true, "text": "planning"},
          {"functionCall": {"name": "set_light_values", "args": {"brightness": 25, "color_temp": "warm"}},
           "thoughtSignature": "CiQB0e2Kb..."},
          {"functionCall": {"id": "fc-7", "name": "dim_lights", "args": {}}}
        ]},
        "finishReason": "STOP"
      }],
      "usageMetadata": {"promptTokenCount": 60, "candidatesTokenCount": 20, "totalTokenCount": 80},
      "modelVersion": "gemini-2.5-pro"
    }"#;
    let done = parse_generate(body).unwrap();
    assert_eq!(done.output, "");
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls[0].id, "call_0");
    assert_eq!(done.tool_calls[0].name, "set_light_values");
    assert_eq!(done.tool_calls[0].arguments["brightness"], json!(25));
    assert_eq!(done.tool_calls[1].id, "fc-7");
    assert_eq!(done.usage.reasoning_tokens, None);
    assert_eq!(done.usage.output_tokens, Some(20));
}

#[test]
fn finish_reasons_map() {
    assert_eq!(finish_reason(Some("MAX_TOKENS")), FinishReason::Length);
    for reason in [
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
    ] {
        assert_eq!(
            finish_reason(Some(reason)),
            FinishReason::ContentFilter,
            "{reason}"
        );
    }
    assert_eq!(
        finish_reason(Some("MALFORMED_FUNCTION_CALL")),
        FinishReason::Other
    );
    assert_eq!(finish_reason(None), FinishReason::Other);
    let cut = br#"{"candidates": [{"content": {"parts": [{"text": "Once upon"}]}, "finishReason": "MAX_TOKENS"}],
        "modelVersion": "gemini-2.5-flash"}"#;
    let done = parse_generate(cut).unwrap();
    assert_eq!(done.finish_reason, FinishReason::Length);
    assert_eq!(done.usage, Usage::default());
}

#[test]
fn a_blocked_prompt_or_an_empty_filtered_answer_is_a_content_filter_error() {
    let blocked = br#"{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},
        "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}, "modelVersion": "gemini-2.5-flash"}"#;
    let err = parse_generate(blocked).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ContentFilter);
    assert!(err.message.contains("SAFETY"));
    assert!(!err.retryable);
    let withheld = br#"{"candidates": [{"finishReason": "PROHIBITED_CONTENT", "index": 0}],
        "modelVersion": "gemini-2.5-flash"}"#;
    let err = parse_generate(withheld).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ContentFilter);
    assert!(err.message.contains("PROHIBITED_CONTENT"));
    // Text that arrived before the filter stopped it is kept.
    let partial = br#"{"candidates": [{"content": {"parts": [{"text": "Partial"}]}, "finishReason": "RECITATION"}]}"#;
    let done = parse_generate(partial).unwrap();
    assert_eq!(done.output, "Partial");
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
    let empty = parse_generate(br#"{"candidates": []}"#).unwrap_err();
    assert_eq!(empty.kind, ErrorKind::InvalidResponse);
}

#[test]
fn key_model_and_argument_errors() {
    let err = parse_error_body(400, br#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}"#);
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(
        err.message,
        "API key not valid. Please pass a valid API key."
    );
    let err = parse_error_body(403, br#"{"error": {"code": 403, "message": "Method doesn't allow unregistered callers", "status": "PERMISSION_DENIED"}}"#);
    assert_eq!(err.kind, ErrorKind::Auth);
    let err = parse_error_body(404, br#"{"error": {"code": 404, "message": "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.", "status": "NOT_FOUND"}}"#);
    assert_eq!(err.kind, ErrorKind::ModelNotFound);
    assert!(
        err.detail()
            .starts_with("HTTP 404 (NOT_FOUND): models/gemini-9 is not found")
    );
    let err = parse_error_body(400, br#"{"error": {"code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}"#);
    assert_eq!(err.kind, ErrorKind::ContextLength);
    let err = parse_error_body(400, br#"{"error": {"code": 400, "message": "User location is not supported for the API use.", "status": "FAILED_PRECONDITION"}}"#);
    assert_eq!(err.kind, ErrorKind::BadRequest);
}

#[test]
fn rate_limits_wait_and_used_up_quotas_do_not() {
    let minute = br#"{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
      "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
          {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
           "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "38s"}]}}"#;
    let err = parse_error_body(429, minute);
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert!(err.retryable);
    assert_eq!(err.retry_after, Some(Duration::from_secs(38)));
    let daily = br#"{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
      "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
          {"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "quotaValue": "250"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}]}}"#;
    let err = parse_error_body(429, daily);
    assert_eq!(err.kind, ErrorKind::QuotaExceeded);
    assert!(!err.retryable);
    assert!(err.detail().contains("retrying today will not help"));
    let bare = parse_error_body(429, br#"[{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}]"#);
    assert_eq!(bare.kind, ErrorKind::RateLimited);
    assert_eq!(bare.retry_after, None);
}

#[test]
fn server_side_errors() {
    let err = parse_error_body(503, br#"{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"#);
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert!(err.retryable);
    let err = parse_error_body(500, br#"{"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}}"#);
    assert_eq!(err.kind, ErrorKind::Upstream);
    let err = parse_error_body(504, br#"{"error": {"code": 504, "message": "Deadline expired before operation could complete.", "status": "DEADLINE_EXCEEDED"}}"#);
    assert_eq!(err.kind, ErrorKind::Timeout);
    let err = parse_error_body(502, b"<html>Bad Gateway</html>");
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(err.detail(), "HTTP 502: <html>Bad Gateway</html>");
}

// The `models.list` response of https://ai.google.dev/api/models.
#[test]
fn lists_the_models_that_generate_content() {
    let key = Secret::new("AIza-secret".into());
    let wire = provider().authed_models(Some(&key)).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
    );
    let body = br#"{"models": [
      {"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash",
       "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
       "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
       "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true},
      {"name": "models/text-embedding-004", "version": "004", "supportedGenerationMethods": ["embedContent"]},
      {"name": "models/gemini-pro-latest"}
    ], "nextPageToken": "Ch9tb2RlbHMvZ2VtaW5p"}"#;
    assert_eq!(
        provider().parse_models(body).unwrap(),
        vec!["gemini-2.5-flash", "gemini-pro-latest"]
    );
}

// An OpenAI chat.completion (https://platform.openai.com/docs/api-reference/chat/object) from
// a base URL that is not Gemini's.
const OPENAI_BODY: &str = r#"{"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion",
  "created": 1741569952, "model": "gpt-4.1-2025-04-14",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!", "refusal": null},
    "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}}"#;

#[test]
fn another_providers_body_is_an_invalid_response_whole_and_streamed() {
    let err = parse_generate(OPENAI_BODY.as_bytes()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    let mut state = StreamState::default();
    let chunk = r#"{"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4.1",
        "choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": null}]}"#;
    let err = provider()
        .stream_event(&mut state, "message", chunk)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    assert!(
        err.message.contains("GenerateContentResponse"),
        "{}",
        err.message
    );
}

/// The defaults and aliases against the catalog: each names a model it knows and none a
/// retired one (issue 10).
#[test]
fn the_profile_names_only_catalogued_models_that_still_answer() {
    let mut pairs = vec![("default", PROFILE.default_model)];
    pairs.extend_from_slice(PROFILE.aliases);
    let catalog = Catalog::builtin();
    assert_eq!(catalog.retired_targets("gemini", &pairs), []);
    for (alias, id) in pairs {
        assert!(
            catalog.lookup("gemini", None, id).is_some(),
            "{alias} -> {id}"
        );
    }
}

mod thinking;
