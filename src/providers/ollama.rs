//! Ollama's native chat API: `POST {base}/api/chat` with `"stream": false` (or `true`, read by
//! `streaming`), models from `GET {base}/api/tags`.
//!
//! API DOC: <https://github.com/ollama/ollama/blob/main/docs/api.md>
//! Tool calling: <https://docs.ollama.com/capabilities/tool-calling>
//!
//! - Sampling goes in `options` (`num_predict`, `temperature`, `top_p`, `stop`), not at the top
//!   level (OLL-3); the system prompt is a first `system` message.
//! - Tool calls come back as `message.tool_calls[].function.{name, arguments}` with the
//!   arguments already an object and, on most builds, no id: the id is then `call_{index}`.
//!   A tool result names the tool it answers (`tool_name`), found from the assistant turn that
//!   made the call with that id.
//! - Ollama has no `tool_choice`: `none` sends no tools, a named tool sends only that tool, and
//!   `required` cannot be enforced (the model is offered the tools and may still answer in text).
//! - Usage: `prompt_eval_count` is input, `eval_count` output; a missing count is unknown, not 0
//!   (it is absent when the prompt came from Ollama's cache, ollama#2068).
//! - `done_reason`: `stop` -> stop, `length` -> length, anything else (`load`, `unload`) ->
//!   other; a final object without one (older builds) -> stop.
//! - Errors are `{"error": "..."}` with an HTTP status (404 for a model that is not pulled).

mod streaming;

use reqwest::Url;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::completion::{
    Completion, CompletionRequest, FinishReason, Message, Role, ToolCall, ToolChoice, Usage,
};
use crate::config::Profile;
use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};
use crate::provider::{Credential, Provider, WireRequest, join_url, parse_json};
use crate::providers::{arguments_object, tool_name_for};
use crate::stream::{Framing, StreamState};

/// Ollama's defaults. The key is optional: only hosted Ollama (ollama.com) wants one.
pub const PROFILE: Profile = Profile {
    backend: "ollama",
    key_env: "OLLAMA_API_KEY",
    key_required: false,
    base_url_env: "OLLAMA_HOST",
    base_url: "http://127.0.0.1:11434",
    default_model: "llama3.2",
    temperature_max: 2.0,
    aliases: &[
        ("llama", "llama3.2"),
        ("qwen", "qwen3"),
        ("gemma", "gemma3"),
        ("coder", "qwen2.5-coder"),
        ("deepseek", "deepseek-r1"),
        ("gpt-oss", "gpt-oss:20b"),
    ],
};

/// The port Ollama listens on when `OLLAMA_HOST` names none.
const DEFAULT_PORT: u16 = 11434;

/// Turns an `OLLAMA_HOST` value into a base URL the way the `ollama` CLI reads it
/// (<https://github.com/ollama/ollama/blob/main/envconfig/config.go>, `Host`): no scheme means
/// `http` on port 11434, and a bare `:PORT` means this machine. The address a server binds to
/// (`0.0.0.0`, `::`) is not one a client can reach everywhere, so it becomes the loopback.
pub fn normalize_host(text: &str) -> String {
    let text = text.trim().trim_end_matches('/');
    let (with_scheme, had_scheme) = match text.split_once("://") {
        Some(_) => (text.to_string(), true),
        None => (format!("http://{text}"), false),
    };
    let with_host = match with_scheme.split_once("://") {
        Some((scheme, rest)) if rest.is_empty() || rest.starts_with(':') => {
            format!("{scheme}://127.0.0.1{rest}")
        }
        _ => with_scheme,
    };
    let Ok(mut url) = Url::parse(&with_host) else {
        // Left as it is, so configuration reports the bad value with its own message.
        return text.to_string();
    };
    let unspecified = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_unspecified(),
        _ => false,
    };
    if unspecified {
        let _ = url.set_host(Some("127.0.0.1"));
    }
    if !had_scheme && url.port().is_none() {
        let _ = url.set_port(Some(DEFAULT_PORT));
    }
    url.to_string().trim_end_matches('/').to_string()
}

/// The Ollama wire format.
#[derive(Debug, Clone)]
pub struct OllamaProvider {
    base_url: Url,
}

impl OllamaProvider {
    /// A provider sending to `base_url` (e.g. `<http://127.0.0.1:11434`>).
    pub fn new(base_url: Url) -> Self {
        Self { base_url }
    }
}

/// Adds `Authorization: Bearer KEY` when there is a key (hosted Ollama).
fn wire_message(messages: &[Message], index: usize) -> Value {
    let message = &messages[index];
    match message.role {
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant => {
            let mut wire = json!({"role": "assistant", "content": message.content});
            if !message.tool_calls.is_empty() {
                let calls: Vec<Value> = message
                    .tool_calls
                    .iter()
                    .map(|call| {
                        json!({"function": {"name": call.name, "arguments": call.arguments}})
                    })
                    .collect();
                wire["tool_calls"] = Value::Array(calls);
            }
            wire
        }
        Role::Tool => {
            let mut wire = json!({"role": "tool", "content": message.content});
            let id = message.tool_call_id.as_deref().unwrap_or_default();
            if let Some(name) = tool_name_for(messages, index, id) {
                wire["tool_name"] = json!(name);
            }
            wire
        }
    }
}

fn wire_tools(request: &CompletionRequest) -> Vec<Value> {
    request
        .tools
        .iter()
        .filter(|tool| match &request.tool_choice {
            Some(ToolChoice::None) => false,
            Some(ToolChoice::Tool(name)) => &tool.name == name,
            _ => true,
        })
        .map(|tool| {
            json!({"type": "function", "function": {
                "name": tool.name,
                "description": tool.description.clone().unwrap_or_default(),
                "parameters": tool.input_schema,
            }})
        })
        .collect()
}

/// The `/api/chat` body for `request`.
pub fn chat_body(request: &CompletionRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend((0..request.messages.len()).map(|i| wire_message(&request.messages, i)));
    let sampling = &request.sampling;
    let mut options = Map::new();
    if let Some(max) = sampling.max_tokens {
        options.insert("num_predict".into(), json!(max));
    }
    if let Some(t) = sampling.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(p) = sampling.top_p {
        options.insert("top_p".into(), json!(p));
    }
    if !sampling.stop.is_empty() {
        options.insert("stop".into(), json!(sampling.stop));
    }
    let mut body = json!({"model": request.model, "messages": messages, "stream": false});
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    let tools = wire_tools(request);
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    body
}

#[derive(Deserialize)]
struct ChatResponse {
    model: String,
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: String,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Value,
}

fn finish_reason(done_reason: Option<&str>, has_tool_calls: bool) -> FinishReason {
    match done_reason {
        _ if has_tool_calls => FinishReason::ToolCalls,
        Some("stop") | None => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some(_) => FinishReason::Other,
    }
}

/// Reads an `/api/chat` body.
pub fn parse_chat(body: &[u8]) -> Result<Completion, LlmError> {
    let response: ChatResponse = parse_json(body)?;
    let message = response.message.unwrap_or(WireMessage {
        content: String::new(),
        tool_calls: Vec::new(),
    });
    let tool_calls = message
        .tool_calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| {
            Ok(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{i}")),
                arguments: arguments_object(&call.function.name, call.function.arguments)?,
                name: call.function.name,
            })
        })
        .collect::<Result<Vec<_>, LlmError>>()?;
    Ok(Completion {
        output: message.content,
        model: response.model,
        usage: Usage {
            input_tokens: response.prompt_eval_count,
            output_tokens: response.eval_count,
            ..Usage::default()
        },
        finish_reason: finish_reason(response.done_reason.as_deref(), !tool_calls.is_empty()),
        tool_calls,
    })
}

/// Reads an error body: `{"error": "..."}`, or whatever a proxy in front sent.
pub fn parse_error_body(status: u16, body: &[u8]) -> LlmError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| excerpt(body));
    let kind = match kind_for_status(status) {
        // A model that is not pulled: `model "x" not found, try pulling it first`.
        ErrorKind::BadRequest if message.contains("not found") => ErrorKind::ModelNotFound,
        kind => kind,
    };
    let message = match kind {
        ErrorKind::ModelNotFound => {
            format!("HTTP {status}: {message} (pull it with `ollama pull`, or see list_models)")
        }
        // The HTTP layer says which key was rejected.
        ErrorKind::Auth => message,
        _ => format!("HTTP {status}: {message}"),
    };
    LlmError::new(kind, message)
}

impl Provider for OllamaProvider {
    /// Only hosted Ollama (ollama.com) takes a key, as a bearer token.
    fn credential(&self) -> Credential {
        Credential::BEARER
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        let url = join_url(&self.base_url, "/api/chat");
        Ok(WireRequest::post(url, chat_body(request)))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_chat(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        Ok(WireRequest::get(join_url(&self.base_url, "/api/tags")))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        #[derive(Deserialize)]
        struct Tags {
            models: Vec<Tag>,
        }
        #[derive(Deserialize)]
        struct Tag {
            name: String,
        }
        let tags: Tags = parse_json(body)?;
        Ok(tags.models.into_iter().map(|m| m.name).collect())
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Ndjson)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        _event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Sampling, ToolSpec};
    use crate::config::Secret;
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
            },
            Message {
                role: Role::Tool,
                content: "22°C".into(),
                tool_call_id: Some("call_0".into()),
                tool_calls: Vec::new(),
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
        assert!(err.message.contains("ollama pull"));
        assert!(!err.retryable);
        let err = parse_error_body(
            400,
            br#"{"error": "registry.ollama.ai/library/gemma:2b does not support tools"}"#,
        );
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.starts_with("HTTP 400: registry.ollama.ai"));
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
        assert_eq!(err.message, "HTTP 502: Bad Gateway");
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
}
