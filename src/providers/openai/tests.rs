//! Request shapes, checked against the examples of
//! <https://platform.openai.com/docs/api-reference/chat/create>.

use serde_json::{Map, Value, json};

use super::*;
use crate::completion::{Message, Role, ToolCall, ToolChoice};
use crate::completion::{Sampling, ToolSpec};
use crate::config::Secret;
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

#[test]
fn reasoning_models_on_openai_take_max_completion_tokens_and_no_sampling() {
    for model in ["gpt-5", "gpt-5.5", "o3", "o4-mini", "o1-preview"] {
        let mut req = request(model);
        req.sampling.max_tokens = Some(500);
        req.sampling.temperature = Some(0.7);
        req.sampling.top_p = Some(0.5);
        let body = body_of(&openai(), &req);
        assert_eq!(body["max_completion_tokens"], 500, "{model}");
        assert!(body.get("max_tokens").is_none(), "{model}");
        assert!(body.get("temperature").is_none(), "{model}");
        assert!(body.get("top_p").is_none(), "{model}");
    }
    // gpt-5-chat is not a reasoning model: it keeps its temperature.
    let mut chat = request("gpt-5-chat-latest");
    chat.sampling.temperature = Some(0.3);
    chat.sampling.max_tokens = Some(10);
    let body = body_of(&openai(), &chat);
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["max_completion_tokens"], 10);
    // Other OpenAI models keep max_tokens.
    let mut old = request("gpt-4o");
    old.sampling.max_tokens = Some(7);
    assert_eq!(body_of(&openai(), &old)["max_tokens"], 7);
    // "omni-moderation" starts with o but is not the o-series.
    let mut omni = request("omni-large");
    omni.sampling.max_tokens = Some(8);
    assert_eq!(body_of(&openai(), &omni)["max_tokens"], 8);
}

#[test]
fn other_endpoints_get_max_tokens_even_for_gpt5_names() {
    let local = OpenAi::new(Url::parse("http://127.0.0.1:8000/v1").unwrap());
    let mut req = request("gpt-5");
    req.sampling.max_tokens = Some(64);
    let body = body_of(&local, &req);
    assert_eq!(body["max_tokens"], 64);
    assert!(body.get("max_completion_tokens").is_none());
    // A preset may fix the field either way.
    let fixed = local.with_token_limit(TokenLimit::MaxCompletionTokens);
    let mut llama = request("llama-3.3-70b");
    llama.sampling.max_tokens = Some(32);
    assert_eq!(body_of(&fixed, &llama)["max_completion_tokens"], 32);
    let forced = openai().with_token_limit(TokenLimit::MaxTokens);
    assert_eq!(body_of(&forced, &req)["max_tokens"], 64);
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
    });
    req.messages.push(Message {
        role: Role::Tool,
        content: "22 C, sunny".into(),
        tool_call_id: Some("call_abc123".into()),
        tool_calls: Vec::new(),
        provider_state: None,
    });
    req.messages.push(Message {
        role: Role::Assistant,
        content: "It is sunny.".into(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        provider_state: None,
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
