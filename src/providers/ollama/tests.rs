//! Requests and answers checked against the examples of Ollama's API reference.

use reqwest::Url;
use serde_json::{Map, json};

use super::errors::*;
use super::request::*;
use super::response::*;
use super::*;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::completion::{Effort, FinishReason, Message, Reasoning, Role, ToolCall, ToolChoice};
use crate::completion::{Sampling, ToolSpec};
use crate::error::ErrorKind;
use crate::secret::Secret;
use crate::test_server::Authed;

fn provider() -> OllamaProvider {
    OllamaProvider::new(Url::parse("http://127.0.0.1:11434").unwrap())
}

fn request(messages: Vec<Message>) -> CompletionRequest {
    CompletionRequest {
        model: "llama3.2".into(),
        system: None,
        messages,
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_temperature".into(),
        description: Some("Get the current temperature for a city".into()),
        input_schema: json!({"type": "object", "required": ["city"],
            "properties": {"city": {"type": "string", "description": "The name of the city"}}}),
    }
}

#[test]
fn ollama_host_values_become_base_urls() {
    assert_eq!(normalize_host("0.0.0.0:11434"), "http://127.0.0.1:11434");
    assert_eq!(normalize_host("localhost:11434"), "http://localhost:11434");
    assert_eq!(normalize_host("localhost"), "http://localhost:11434");
    assert_eq!(normalize_host(":8080"), "http://127.0.0.1:8080");
    assert_eq!(normalize_host("[::]:11434"), "http://127.0.0.1:11434");
    assert_eq!(normalize_host("0.0.0.0"), "http://127.0.0.1:11434");
    assert_eq!(
        normalize_host(" http://10.0.0.2:8080/ "),
        "http://10.0.0.2:8080"
    );
    assert_eq!(normalize_host("https://ollama.com"), "https://ollama.com");
    assert_eq!(
        normalize_host("gpu-box/ollama"),
        "http://gpu-box:11434/ollama"
    );
}

// The tool-calling round trip of https://docs.ollama.com/capabilities/tool-calling.
#[test]
fn request_carries_system_options_tools_and_named_tool_results() {
    let mut args = Map::new();
    args.insert("city".into(), json!("New York"));
    let mut req = request(vec![
        Message::user("What is the temperature in New York?"),
        Message {
            role: Role::Assistant,
            content: String::new(),
            tool_call_id: None,
            tool_calls: vec![ToolCall {
                id: "call_0".into(),
                name: "get_temperature".into(),
                arguments: args,
            }],
            provider_state: None,
            attachments: Vec::new(),
        },
        Message {
            role: Role::Tool,
            content: "22°C".into(),
            tool_call_id: Some("call_0".into()),
            tool_calls: Vec::new(),
            provider_state: None,
            attachments: Vec::new(),
        },
    ]);
    req.system = Some("Be brief.".into());
    req.tools = vec![weather_tool()];
    req.sampling = Sampling {
        max_tokens: Some(100),
        temperature: Some(0.2),
        top_p: Some(0.9),
        stop: vec!["user:".into()],
    };
    let wire = provider().authed_completion(&req, None).unwrap();
    assert_eq!(wire.url.as_str(), "http://127.0.0.1:11434/api/chat");
    assert!(wire.headers.get("authorization").is_none());
    assert_eq!(
        wire.body.unwrap(),
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is the temperature in New York?"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"function": {"name": "get_temperature", "arguments": {"city": "New York"}}}
                ]},
                {"role": "tool", "content": "22°C", "tool_name": "get_temperature"}
            ],
            "stream": false,
            "options": {"num_predict": 100, "temperature": 0.2, "top_p": 0.9, "stop": ["user:"]},
            "tools": [{"type": "function", "function": {
                "name": "get_temperature",
                "description": "Get the current temperature for a city",
                "parameters": {"type": "object", "required": ["city"],
                    "properties": {"city": {"type": "string", "description": "The name of the city"}}}
            }}]
        })
    );
}

#[test]
fn tool_choice_none_sends_no_tools_and_a_named_tool_only_that_one() {
    let mut req = request(vec![Message::user("hi")]);
    let mut other = weather_tool();
    other.name = "get_conditions".into();
    req.tools = vec![weather_tool(), other];
    req.tool_choice = Some(ToolChoice::None);
    let body = chat_body(&req);
    assert!(body.get("tools").is_none());
    assert!(body.get("options").is_none());
    req.tool_choice = Some(ToolChoice::Tool("get_conditions".into()));
    let body = chat_body(&req);
    assert_eq!(body["tools"].as_array().unwrap().len(), 1);
    assert_eq!(body["tools"][0]["function"]["name"], "get_conditions");
}

#[test]
fn a_key_travels_as_a_bearer_header() {
    let key = Secret::new("ollama-key-123".into());
    let wire = provider().authed_models(Some(&key)).unwrap();
    assert_eq!(wire.url.as_str(), "http://127.0.0.1:11434/api/tags");
    assert_eq!(wire.headers["authorization"], "Bearer ollama-key-123");
    assert!(!format!("{wire:?}").contains("ollama-key-123"));
}

// "Chat request (No streaming)" of docs/api.md: no done_reason on that build.
#[test]
fn parses_a_plain_answer() {
    let body = br#"{
      "model": "llama3.2",
      "created_at": "2023-12-12T14:13:43.416799Z",
      "message": {"role": "assistant", "content": "Hello! How are you today?"},
      "done": true,
      "total_duration": 5191566416,
      "load_duration": 2154458,
      "prompt_eval_count": 26,
      "prompt_eval_duration": 383809000,
      "eval_count": 298,
      "eval_duration": 4799921000
    }"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.output, "Hello! How are you today?");
    assert_eq!(done.model, "llama3.2");
    assert_eq!(done.usage.input_tokens, Some(26));
    assert_eq!(done.usage.output_tokens, Some(298));
    assert_eq!(done.usage.cache_read_tokens, None);
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert!(done.tool_calls.is_empty());
}

// "Chat request (with tools)" of docs/api.md.
#[test]
fn parses_tool_calls_with_generated_ids() {
    let body = br#"{
      "model": "llama3.2",
      "created_at": "2024-07-22T20:33:28.123648Z",
      "message": {
        "role": "assistant",
        "content": "",
        "tool_calls": [
          {"function": {"name": "get_current_weather",
            "arguments": {"format": "celsius", "location": "Paris, FR"}}},
          {"id": "call_abc", "function": {"index": 1, "name": "get_time",
            "arguments": "{\"zone\": \"CET\"}"}}
        ]
      },
      "done_reason": "stop",
      "done": true,
      "prompt_eval_count": 122,
      "eval_count": 33
    }"#;
    let done = provider().parse_completion(body).unwrap();
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls.len(), 2);
    assert_eq!(done.tool_calls[0].id, "call_0");
    assert_eq!(done.tool_calls[0].name, "get_current_weather");
    assert_eq!(done.tool_calls[0].arguments["location"], json!("Paris, FR"));
    assert_eq!(done.tool_calls[1].id, "call_abc");
    assert_eq!(done.tool_calls[1].arguments["zone"], json!("CET"));
}

#[test]
fn a_missing_count_is_unknown_and_done_reasons_map() {
    let body = br#"{"model": "qwen3", "message": {"role": "assistant", "content": "cut"},
        "done": true, "done_reason": "length", "eval_count": 5}"#;
    let done = parse_chat(body).unwrap();
    assert_eq!(done.usage.input_tokens, None);
    assert_eq!(done.usage.output_tokens, Some(5));
    assert_eq!(done.finish_reason, FinishReason::Length);
    let load = br#"{"model": "llama3.2", "message": {"role": "assistant", "content": ""},
        "done_reason": "load", "done": true}"#;
    let done = parse_chat(load).unwrap();
    assert_eq!(done.finish_reason, FinishReason::Other);
    assert_eq!(done.usage.total(), None);
}

#[test]
fn arguments_that_are_not_an_object_are_an_invalid_response() {
    let body = br#"{"model": "m", "message": {"role": "assistant", "content": "",
        "tool_calls": [{"function": {"name": "f", "arguments": [1, 2]}}]}, "done": true}"#;
    let err = parse_chat(body).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    assert!(err.message.contains("f"));
    assert_eq!(
        parse_chat(b"<html>").unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}

#[test]
fn errors_map_to_kinds() {
    let err = parse_error_body(
        404,
        br#"{"error": "model \"llama9\" not found, try pulling it first"}"#,
    );
    assert_eq!(err.kind, ErrorKind::ModelNotFound);
    assert!(err.message.contains("model \"llama9\" not found"));
    assert!(err.detail().contains("ollama pull"));
    assert!(!err.retryable);
    let err = parse_error_body(
        400,
        br#"{"error": "registry.ollama.ai/library/gemma:2b does not support tools"}"#,
    );
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.detail().starts_with("HTTP 400: registry.ollama.ai"));
    let err = parse_error_body(
        503,
        br#"{"error": "server busy, please try again.  maximum pending requests exceeded"}"#,
    );
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert!(err.retryable);
    let err = parse_error_body(401, br#"{"error": "unauthorized"}"#);
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(err.message, "unauthorized");
    let err = parse_error_body(502, b"Bad Gateway");
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(err.detail(), "HTTP 502: Bad Gateway");
}

// "List Local Models" of docs/api.md.
#[test]
fn lists_models_from_tags() {
    let body = br#"{"models": [
      {"name": "codellama:13b", "model": "codellama:13b", "modified_at": "2023-11-04T14:56:49.277302595-07:00",
       "size": 7365960935, "digest": "9f438cb9cd581fc025612d27f7c1a6669ff83a8bb0ed86c94fcf4c5440555697",
       "details": {"format": "gguf", "family": "llama", "families": null, "parameter_size": "13B", "quantization_level": "Q4_0"}},
      {"name": "llama3:latest", "model": "llama3:latest", "modified_at": "2023-12-07T09:32:18.757212583-08:00",
       "size": 3825819519, "digest": "fe938a131f40e6f6d40083c9f0f430a515233eb2edaa6d72eb85c50d64f2300e",
       "details": {"format": "gguf", "family": "llama", "families": null, "parameter_size": "7B", "quantization_level": "Q4_0"}}
    ]}"#;
    assert_eq!(
        provider().parse_models(body).unwrap(),
        vec!["codellama:13b", "llama3:latest"]
    );
}

fn with_reasoning(model: &str, effort: Option<Effort>, budget: Option<u32>) -> CompletionRequest {
    let mut req = request(vec![Message::user("How many r's in strawberry?")]);
    req.model = model.into();
    req.reasoning = Some(Reasoning {
        effort,
        budget_tokens: budget,
        include: true,
    });
    req
}

/// `request` after the server's catalog adaptation, as the adapter receives it.
fn adapted(mut req: CompletionRequest) -> CompletionRequest {
    let entry = Catalog::builtin()
        .lookup("ollama", None, &req.model)
        .unwrap()
        .entry
        .clone();
    crate::shape::adapt::adapt(&mut req, &entry).unwrap();
    req.model_info = Some(Arc::new(entry));
    req
}

// https://docs.ollama.com/capabilities/thinking: `think` is true or false, or a level for
// gpt-oss ("low", "medium", "high").
#[test]
fn think_is_a_boolean_or_the_models_own_level() {
    let on = adapted(with_reasoning("qwen3", Some(Effort::High), None));
    assert_eq!(chat_body(&on)["think"], json!(true));
    let off = adapted(with_reasoning("qwen3:8b", Some(Effort::None), None));
    assert_eq!(chat_body(&off)["think"], json!(false));
    let budget = adapted(with_reasoning("deepseek-r1", None, Some(0)));
    assert_eq!(chat_body(&budget)["think"], json!(false));
    let level = adapted(with_reasoning("gpt-oss:20b", Some(Effort::High), None));
    assert_eq!(chat_body(&level)["think"], json!("high"));
    // gpt-oss cannot stop thinking: none becomes its lowest level (the server warns).
    let lowest = adapted(with_reasoning("gpt-oss:20b", Some(Effort::None), None));
    assert_eq!(chat_body(&lowest)["think"], json!("low"));
    // A model the catalog says does not think gets no `think`, nor does a call without effort.
    let plain = adapted(with_reasoning("llama3.2", Some(Effort::High), None));
    assert!(chat_body(&plain).get("think").is_none());
    assert!(
        chat_body(&request(vec![Message::user("hi")]))
            .get("think")
            .is_none()
    );
    // An uncatalogued model is sent the boolean every thinking model takes.
    let unknown = with_reasoning("my-reasoner", Some(Effort::Low), None);
    assert_eq!(chat_body(&unknown)["think"], json!(true));
}

// The thinking example of https://docs.ollama.com/capabilities/thinking, with a tool call.
#[test]
fn thinking_is_reasoning_and_goes_back_with_a_turn_that_called_tools() {
    let answer = br#"{"model": "qwen3", "created_at": "2025-05-29T09:35:56.836222Z",
      "message": {"role": "assistant", "content": "",
        "thinking": "The user wants the temperature in Paris; I should call get_temperature.",
        "tool_calls": [{"function": {"name": "get_temperature", "arguments": {"city": "Paris"}}}]},
      "done_reason": "stop", "done": true, "prompt_eval_count": 18, "eval_count": 42}"#;
    let done = parse_chat(answer).unwrap();
    assert_eq!(
        done.reasoning.as_deref(),
        Some("The user wants the temperature in Paris; I should call get_temperature.")
    );
    assert_eq!(done.output, "");
    let state = done.provider_state.clone().unwrap();
    assert_eq!(
        (state.format.as_str(), state.model.as_str()),
        ("ollama", "qwen3")
    );
    let mut next = request(vec![Message::user("Temperature in Paris?"), done.message()]);
    next.messages.push(Message {
        role: Role::Tool,
        content: "18 C".into(),
        tool_call_id: Some("call_0".into()),
        ..Message::default()
    });
    let body = chat_body(&next);
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": "",
            "thinking": "The user wants the temperature in Paris; I should call get_temperature.",
            "tool_calls": [{"function": {"name": "get_temperature", "arguments": {"city": "Paris"}}}]})
    );
    // A plain answer's thinking is only reasoning: nothing to send back.
    let plain = br#"{"model": "qwen3", "message": {"role": "assistant", "content": "Three.",
        "thinking": "s-t-r-a-w-b-e-r-r-y"}, "done": true, "done_reason": "stop"}"#;
    let done = parse_chat(plain).unwrap();
    assert_eq!(done.reasoning.as_deref(), Some("s-t-r-a-w-b-e-r-r-y"));
    assert_eq!(done.provider_state, None);
}

#[test]
fn another_providers_body_is_an_invalid_response() {
    // An OpenAI chat.completion (https://platform.openai.com/docs/api-reference/chat/object).
    let openai = br#"{"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion",
      "created": 1741569952, "model": "gpt-4.1-2025-04-14",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
        "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}}"#;
    let err = parse_chat(openai).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    assert!(err.message.contains("not an Ollama"), "{}", err.message);
}

#[test]
fn the_profile_names_only_catalogued_models() {
    let mut pairs = vec![("default", PROFILE.default_model)];
    pairs.extend_from_slice(PROFILE.aliases);
    let catalog = Catalog::builtin();
    assert_eq!(catalog.retired_targets("ollama", &pairs), []);
    for (alias, id) in pairs {
        assert!(
            catalog.lookup("ollama", None, id).is_some(),
            "{alias} -> {id}"
        );
    }
}
