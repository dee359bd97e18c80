//! Request shapes, checked against the examples of
//! <https://platform.openai.com/docs/api-reference/chat/create>.

use serde_json::{Map, Value, json};

use super::*;
use crate::catalog::Catalog;
use crate::catalog::types::TokenLimitField;
use crate::completion::{Effort, Reasoning, Sampling, ToolSpec};
use crate::completion::{Message, Role, ToolCall, ToolChoice};
use crate::error::ErrorKind;
use crate::secret::Secret;
use crate::shape::adapt::adapt;
use crate::test_server::Authed;

fn openai() -> OpenAi {
    OpenAi::new(Url::parse("https://api.openai.com/v1").unwrap())
}

fn request(model: &str) -> CompletionRequest {
    CompletionRequest {
        model: model.into(),
        system: Some("You are a helpful assistant.".into()),
        messages: vec![Message::user("Hello!")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    }
}

fn body_of(provider: &OpenAi, request: &CompletionRequest) -> Value {
    provider
        .authed_completion(request, Some(&Secret::new("sk-test".into())))
        .unwrap()
        .body
        .unwrap()
}

#[test]
fn posts_to_chat_completions_with_a_sensitive_bearer_header() {
    let key = Secret::new("sk-proj-secret".into());
    let wire = openai()
        .authed_completion(&request("gpt-4o"), Some(&key))
        .unwrap();
    assert_eq!(wire.method, reqwest::Method::POST);
    assert_eq!(
        wire.url.as_str(),
        "https://api.openai.com/v1/chat/completions"
    );
    let auth = &wire.headers["authorization"];
    assert_eq!(auth.to_str().unwrap(), "Bearer sk-proj-secret");
    assert!(auth.is_sensitive());
    assert!(!format!("{wire:?}").contains("sk-proj-secret"));
    // No key (a local server): no authorization header at all.
    let keyless = openai()
        .authed_completion(&request("gpt-4o"), None)
        .unwrap();
    assert!(keyless.headers.get("authorization").is_none());
}

#[test]
fn body_has_model_system_first_and_sampling() {
    let mut req = request("gpt-4o");
    // As the catalog's gpt-4o entry says.
    req.token_limit_field = Some(TokenLimitField::MaxTokens);
    req.sampling = Sampling {
        max_tokens: Some(100),
        temperature: Some(0.2),
        top_p: Some(0.9),
        stop: vec!["\n\n".into()],
    };
    let body = body_of(&openai(), &req);
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Hello!"}
            ],
            "max_tokens": 100,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop": ["\n\n"]
        })
    );
    // Unset settings stay out of the body.
    let mut bare = request("gpt-4o");
    bare.system = None;
    let body = body_of(&openai(), &bare);
    assert_eq!(body.as_object().unwrap().len(), 2);
    assert_eq!(body["messages"][0]["role"], "user");
}

/// `request` shaped the way the server shapes it: by the built-in catalog's entry for its model.
fn shaped(mut request: CompletionRequest) -> (CompletionRequest, Vec<String>) {
    let catalog = Catalog::builtin();
    let found = catalog
        .lookup("openai", Some("api.openai.com"), &request.model)
        .expect("a catalogued model");
    let warnings = adapt(&mut request, found.entry).unwrap();
    request.model_info = Some(std::sync::Arc::new(found.entry.clone()));
    (request, warnings)
}

#[test]
fn gpt_6_gets_max_completion_tokens_reasoning_effort_and_no_sampling_from_the_catalog() {
    let mut req = request("gpt-6-astra");
    req.sampling = Sampling {
        max_tokens: Some(500),
        temperature: Some(0.3),
        top_p: Some(0.9),
        stop: Vec::new(),
    };
    req.reasoning = Some(Reasoning {
        effort: Some(Effort::High),
        budget_tokens: None,
        include: false,
    });
    let (req, warnings) = shaped(req);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    // The body OpenAI's reference shows for a reasoning model
    // (https://platform.openai.com/docs/api-reference/chat/create: `max_completion_tokens`,
    // `reasoning_effort`); Astra refuses `max_tokens` ("Use 'max_completion_tokens'
    // instead"), `temperature` and `top_p`.
    assert_eq!(
        body_of(&openai(), &req),
        json!({
            "model": "gpt-6-astra",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Hello!"}
            ],
            "max_completion_tokens": 500,
            "reasoning_effort": "high"
        })
    );
    // Effort none, which Astra lacks, goes as the nearest level it has.
    let mut none = request("gpt-6-astra");
    none.reasoning = Some(Reasoning {
        effort: Some(Effort::None),
        ..Reasoning::default()
    });
    let (none, warnings) = shaped(none);
    assert_eq!(
        body_of(&openai(), &none)["reasoning_effort"],
        "low",
        "{warnings:?}"
    );
    // GPT-6.1 Terra turns reasoning off with none.
    let mut terra = request("gpt-6.1-terra");
    terra.reasoning = Some(Reasoning {
        effort: Some(Effort::None),
        ..Reasoning::default()
    });
    let (terra, warnings) = shaped(terra);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(body_of(&openai(), &terra)["reasoning_effort"], "none");
}

#[test]
fn the_adapter_sends_what_the_request_carries_whatever_the_model_is_called() {
    // No name rules: a gpt-5 or o3 name the server did not shape keeps its sampling and stop
    // (the server drops what the catalog says the model refuses, before the adapter).
    for model in ["gpt-5", "o3", "o1-preview", "gpt-5-chat-latest"] {
        let mut req = request(model);
        req.sampling.temperature = Some(0.7);
        req.sampling.stop = vec!["END".into()];
        let body = body_of(&openai(), &req);
        assert_eq!(body["temperature"], 0.7, "{model}");
        assert_eq!(body["stop"], json!(["END"]), "{model}");
        assert!(body.get("reasoning_effort").is_none(), "{model}");
    }
    // o3 as the catalog has it: no temperature and no stop reach the wire.
    let mut o3 = request("o3");
    o3.sampling.temperature = Some(0.7);
    o3.sampling.stop = vec!["END".into()];
    o3.sampling.max_tokens = Some(64);
    let (o3, warnings) = shaped(o3);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(o3.local_stop, ["END"]);
    let body = body_of(&openai(), &o3);
    assert!(
        body.get("temperature").is_none() && body.get("stop").is_none(),
        "{body}"
    );
    assert_eq!(body["max_completion_tokens"], 64);
}

#[test]
fn a_reasoning_budget_alone_is_refused_since_chat_completions_has_no_budget_field() {
    let mut req = request("house-reasoner");
    req.reasoning = Some(Reasoning {
        effort: None,
        budget_tokens: Some(4096),
        include: false,
    });
    let err = openai()
        .authed_completion(&req, None)
        .expect_err("a budget has no field here");
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(
        err.message.contains("budget_tokens 4096") && err.message.contains("house-reasoner"),
        "{}",
        err.message
    );
    // With an effort beside it, the effort goes.
    req.reasoning = Some(Reasoning {
        effort: Some(Effort::Low),
        budget_tokens: Some(4096),
        include: false,
    });
    assert_eq!(body_of(&openai(), &req)["reasoning_effort"], "low");
}

#[test]
fn the_token_field_is_the_requests_else_the_endpoints() {
    let local = OpenAi::new(Url::parse("http://127.0.0.1:8000/v1").unwrap());
    let mut req = request("gpt-5");
    req.sampling.max_tokens = Some(64);
    // A local server echoing an OpenAI name: max_tokens, the field every compatible server knows.
    let body = body_of(&local, &req);
    assert_eq!(body["max_tokens"], 64);
    assert!(body.get("max_completion_tokens").is_none());
    // OpenAI's own endpoint: max_completion_tokens for a model nobody named a field for.
    assert_eq!(body_of(&openai(), &req)["max_completion_tokens"], 64);
    // A preset may set the default either way; the request's field still wins.
    let fixed = local
        .clone()
        .with_token_limit(TokenLimit::MaxCompletionTokens);
    assert_eq!(body_of(&fixed, &req)["max_completion_tokens"], 64);
    req.token_limit_field = Some(TokenLimitField::MaxTokens);
    assert_eq!(body_of(&fixed, &req)["max_tokens"], 64);
    // Only max_tokens where the API knows no other, whatever the request says.
    let only = local.with_token_limit(TokenLimit::OnlyMaxTokens);
    req.token_limit_field = Some(TokenLimitField::MaxCompletionTokens);
    assert_eq!(body_of(&only, &req)["max_tokens"], 64);
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_current_weather".into(),
        description: Some("Get the current weather in a given location".into()),
        input_schema: json!({
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"]
        }),
    }
}

#[test]
fn tools_and_each_tool_choice() {
    let mut req = request("gpt-4.1");
    req.tools = vec![weather_tool()];
    let cases = [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
        (
            ToolChoice::Tool("get_current_weather".into()),
            json!({"type": "function", "function": {"name": "get_current_weather"}}),
        ),
    ];
    for (choice, wire) in cases {
        req.tool_choice = Some(choice);
        let body = body_of(&openai(), &req);
        assert_eq!(body["tool_choice"], wire);
        assert_eq!(
            body["tools"],
            json!([{
                "type": "function",
                "function": {
                    "name": "get_current_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string"}},
                        "required": ["location"]
                    }
                }
            }])
        );
    }
    // Without tools, no tool_choice either (the API refuses one alone).
    let mut alone = request("gpt-4.1");
    alone.tool_choice = Some(ToolChoice::None);
    let body = body_of(&openai(), &alone);
    assert!(body.get("tool_choice").is_none() && body.get("tools").is_none());
}

#[test]
fn a_tool_conversation_maps_calls_and_results() {
    let mut req = request("gpt-4.1");
    let mut arguments = Map::new();
    arguments.insert("location".into(), json!("Boston, MA"));
    req.messages.push(Message {
        role: Role::Assistant,
        content: String::new(),
        tool_call_id: None,
        tool_calls: vec![ToolCall {
            id: "call_abc123".into(),
            name: "get_current_weather".into(),
            arguments,
        }],
        provider_state: None,
        attachments: Vec::new(),
    });
    req.messages.push(Message {
        role: Role::Tool,
        content: "22 C, sunny".into(),
        tool_call_id: Some("call_abc123".into()),
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    });
    req.messages.push(Message {
        role: Role::Assistant,
        content: "It is sunny.".into(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    });
    let body = body_of(&openai(), &req);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages[2],
        json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": "call_abc123",
                "type": "function",
                "function": {"name": "get_current_weather", "arguments": "{\"location\":\"Boston, MA\"}"}
            }]
        })
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": "call_abc123", "content": "22 C, sunny"})
    );
    assert_eq!(
        messages[4],
        json!({"role": "assistant", "content": "It is sunny."})
    );
}

#[test]
fn models_request_is_a_get_of_models() {
    let key = Secret::new("sk-x".into());
    let wire = openai().authed_models(Some(&key)).unwrap();
    assert_eq!(wire.method, reqwest::Method::GET);
    assert_eq!(wire.url.as_str(), "https://api.openai.com/v1/models");
    assert!(wire.headers["authorization"].is_sensitive());
    let trailing = OpenAi::new(Url::parse("http://localhost:1234/v1/").unwrap());
    assert_eq!(
        trailing.authed_models(None).unwrap().url.as_str(),
        "http://localhost:1234/v1/models"
    );
}

#[test]
fn loopback_urls_are_recognised() {
    for url in [
        "http://localhost:8000/v1",
        "http://127.0.0.1:8080",
        "http://127.1.2.3/",
        "http://[::1]:1234/v1",
    ] {
        assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
    }
    for url in ["https://api.openai.com/v1", "http://10.0.0.5:8000/v1"] {
        assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        assert!(needs_key(url));
    }
    assert!(!needs_key("http://localhost:8080/v1"));
    assert!(needs_key("not a url"));
}

#[test]
fn a_stream_request_is_the_completion_request_streaming_with_usage() {
    let mut req = request("gpt-4o");
    req.token_limit_field = Some(TokenLimitField::MaxTokens);
    req.sampling.max_tokens = Some(64);
    let key = Secret::new("sk-test".into());
    let plain = openai().authed_completion(&req, Some(&key)).unwrap();
    let streamed = openai().authed_stream(&req, Some(&key)).unwrap();
    assert_eq!(streamed.url, plain.url);
    assert!(streamed.headers["authorization"].is_sensitive());
    let mut body = streamed.body.unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    let fields = body.as_object_mut().unwrap();
    fields.remove("stream");
    fields.remove("stream_options");
    assert_eq!(body, plain.body.unwrap());
    let quiet = openai().with_stream_usage(false);
    let body = quiet.authed_stream(&req, None).unwrap().body.unwrap();
    assert!(body.get("stream_options").is_none());
}
