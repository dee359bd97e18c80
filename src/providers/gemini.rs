//! Google Gemini's native API (AI Studio): `POST {base}/v1beta/models/{model}:generateContent`,
//! models from `GET {base}/v1beta/models`.
//!
//! API DOC: <https://ai.google.dev/api/generate-content>
//! Function calling: <https://ai.google.dev/gemini-api/docs/function-calling>
//! Errors: <https://ai.google.dev/gemini-api/docs/troubleshooting>
//!
//! - The key goes in the `x-goog-api-key` header, never in the URL (GEM-2); the model is one
//!   percent-encoded path segment, so no model name can change the path.
//! - The system prompt is `systemInstruction`; turns are `contents` with roles `user` and
//!   `model`; sampling is `generationConfig`. Tools are `functionDeclarations` whose parameters
//!   travel as `parametersJsonSchema` (full JSON Schema, unlike the OpenAPI subset of
//!   `parameters`), and `toolConfig.functionCallingConfig.mode` is AUTO, ANY or NONE.
//! - A tool result is a `functionResponse` part, which needs the function's name: it is found
//!   from the assistant turn that made the call with that id. Results that follow each other
//!   share one turn, as the function-calling guide does for parallel calls.
//! - Replayed calls carry the `thoughtSignature` that Google documents for calls whose real
//!   signature is not kept (<https://ai.google.dev/gemini-api/docs/thought-signatures>): Gemini 3
//!   models refuse a replayed `functionCall` without one.
//! - Usage (GEM-3): input = `promptTokenCount` (cached included) + `toolUsePromptTokenCount`;
//!   cache reads = `cachedContentTokenCount`; output = `candidatesTokenCount` +
//!   `thoughtsTokenCount` (candidates exclude thoughts); reasoning = `thoughtsTokenCount`.
//! - Streaming (`:streamGenerateContent?alt=sse`) is read by `streaming`.
//! - `finishReason`: STOP -> stop, MAX_TOKENS -> length, SAFETY, RECITATION, BLOCKLIST,
//!   PROHIBITED_CONTENT, SPII and IMAGE_SAFETY -> content_filter, anything else
//!   (MALFORMED_FUNCTION_CALL, LANGUAGE, OTHER) -> other; function calls -> tool_calls. A blocked
//!   prompt (`promptFeedback.blockReason`) or a filtered answer with nothing in it is a
//!   `content_filter` error, not an empty success.

mod streaming;

use std::time::Duration;

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

/// Gemini's defaults. The aliases are Google's own rolling `-latest` names, so they follow each
/// new release (<https://ai.google.dev/gemini-api/docs/models#model-versions>).
pub const PROFILE: Profile = Profile {
    backend: "gemini",
    key_env: "GEMINI_API_KEY",
    key_required: true,
    base_url_env: "GEMINI_BASE_URL",
    base_url: "https://generativelanguage.googleapis.com",
    default_model: "gemini-flash-latest",
    temperature_max: 2.0,
    aliases: &[
        ("flash", "gemini-flash-latest"),
        ("flash-lite", "gemini-flash-lite-latest"),
        ("pro", "gemini-pro-latest"),
    ],
};

/// The signature Google documents for replayed function calls whose own signature is lost.
const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// The Gemini wire format.
#[derive(Debug, Clone)]
pub struct GeminiProvider {
    base_url: Url,
}

impl GeminiProvider {
    /// A provider sending to `base_url` (e.g. `<https://generativelanguage.googleapis.com`>).
    pub fn new(base_url: Url) -> Self {
        Self { base_url }
    }
}

/// The model as one path segment: a `models/` prefix (as the listing spells names) is dropped
/// and everything but unreserved characters is percent-encoded, so `../x` stays one segment.
pub fn model_segment(model: &str) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let mut out = String::with_capacity(model.len());
    for byte in model.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A tool result as the object `functionResponse.response` must be: a JSON object result is
/// sent as it is, anything else as `{"result": text}`.
fn response_object(content: &str) -> Value {
    match serde_json::from_str::<Value>(content) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({"result": content}),
    }
}

fn model_turn(message: &Message) -> Value {
    let mut parts = Vec::new();
    if !message.content.is_empty() {
        parts.push(json!({"text": message.content}));
    }
    for call in &message.tool_calls {
        parts.push(json!({
            "functionCall": {"name": call.name, "args": call.arguments},
            "thoughtSignature": SKIP_SIGNATURE,
        }));
    }
    if parts.is_empty() {
        // A turn must hold at least one part; an empty assistant turn is empty text.
        parts.push(json!({"text": ""}));
    }
    json!({"role": "model", "parts": parts})
}

fn result_part(messages: &[Message], index: usize) -> Value {
    let message = &messages[index];
    let id = message.tool_call_id.as_deref().unwrap_or_default();
    // Without the call in the history the id is the only name there is.
    let name = tool_name_for(messages, index, id).unwrap_or(id);
    json!({"functionResponse": {"name": name, "response": response_object(&message.content)}})
}

/// The `contents` of a request: user and model turns, tool results grouped into user turns.
pub fn contents(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<Value> = Vec::with_capacity(messages.len());
    let mut previous_was_tool = false;
    for (index, message) in messages.iter().enumerate() {
        match message.role {
            Role::User => turns.push(json!({"role": "user", "parts": [{"text": message.content}]})),
            Role::Assistant => turns.push(model_turn(message)),
            Role::Tool => {
                let part = result_part(messages, index);
                match turns.last_mut() {
                    Some(turn) if previous_was_tool => {
                        turn["parts"].as_array_mut().expect("parts").push(part)
                    }
                    _ => turns.push(json!({"role": "user", "parts": [part]})),
                }
            }
        }
        previous_was_tool = message.role == Role::Tool;
    }
    turns
}

fn tool_config(choice: &ToolChoice) -> Value {
    let config = match choice {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    };
    json!({"functionCallingConfig": config})
}

fn generation_config(request: &CompletionRequest) -> Map<String, Value> {
    let sampling = &request.sampling;
    let mut config = Map::new();
    if let Some(max) = sampling.max_tokens {
        config.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(t) = sampling.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = sampling.top_p {
        config.insert("topP".into(), json!(p));
    }
    if !sampling.stop.is_empty() {
        config.insert("stopSequences".into(), json!(sampling.stop));
    }
    config
}

/// The `generateContent` body for `request`.
pub fn generate_body(request: &CompletionRequest) -> Value {
    let mut body = json!({"contents": contents(&request.messages)});
    if let Some(system) = &request.system {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    let config = generation_config(request);
    if !config.is_empty() {
        body["generationConfig"] = Value::Object(config);
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                let mut declaration =
                    json!({"name": tool.name, "parametersJsonSchema": tool.input_schema});
                if let Some(description) = &tool.description {
                    declaration["description"] = json!(description);
                }
                declaration
            })
            .collect();
        body["tools"] = json!([{"functionDeclarations": declarations}]);
        if let Some(choice) = &request.tool_choice {
            body["toolConfig"] = tool_config(choice);
        }
    }
    body
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    model_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: bool,
    #[serde(default)]
    function_call: Option<FunctionCall>,
}

#[derive(Deserialize)]
struct FunctionCall {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    tool_use_prompt_token_count: Option<u64>,
}

/// Sums counts of which some may be missing: `None` only when all are.
fn sum(counts: &[Option<u64>]) -> Option<u64> {
    counts.iter().flatten().copied().reduce(|a, b| a + b)
}

fn usage(metadata: Option<UsageMetadata>) -> Usage {
    let Some(m) = metadata else {
        return Usage::default();
    };
    Usage {
        input_tokens: sum(&[m.prompt_token_count, m.tool_use_prompt_token_count]),
        output_tokens: sum(&[m.candidates_token_count, m.thoughts_token_count]),
        cache_read_tokens: m.cached_content_token_count,
        cache_write_tokens: None,
        reasoning_tokens: m.thoughts_token_count,
    }
}

/// The neutral finish reason of a `finishReason` value.
pub fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("STOP") => FinishReason::Stop,
        Some("MAX_TOKENS") => FinishReason::Length,
        Some(
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY",
        ) => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

fn filtered(what: String) -> LlmError {
    LlmError::new(ErrorKind::ContentFilter, what)
}

/// The prompt itself was blocked (`promptFeedback.blockReason`, no candidate).
fn blocked_prompt(reason: &str) -> LlmError {
    filtered(format!(
        "Gemini blocked the prompt (blockReason {reason}); rephrase it"
    ))
}

/// The answer was filtered and nothing of it is left.
fn withheld(reason: &str) -> LlmError {
    filtered(format!(
        "Gemini withheld the answer (finishReason {reason})"
    ))
}

/// Reads a `generateContent` body.
pub fn parse_generate(body: &[u8]) -> Result<Completion, LlmError> {
    let response: GenerateResponse = parse_json(body)?;
    let block = response.prompt_feedback.and_then(|f| f.block_reason);
    let Some(candidate) = response.candidates.into_iter().next() else {
        return Err(match block {
            Some(reason) => blocked_prompt(&reason),
            None => LlmError::new(
                ErrorKind::InvalidResponse,
                format!("the answer holds no candidate: {}", excerpt(body)),
            ),
        });
    };
    let mut output = String::new();
    let mut tool_calls = Vec::new();
    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
    for part in parts.into_iter().filter(|p| !p.thought) {
        if let Some(text) = part.text {
            output.push_str(&text);
        }
        if let Some(call) = part.function_call {
            tool_calls.push(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{}", tool_calls.len())),
                arguments: arguments_object(&call.name, call.args)?,
                name: call.name,
            });
        }
    }
    let reason = candidate.finish_reason;
    let mut finish = finish_reason(reason.as_deref());
    if finish == FinishReason::ContentFilter && output.is_empty() && tool_calls.is_empty() {
        return Err(withheld(&reason.unwrap_or_default()));
    }
    if !tool_calls.is_empty() {
        finish = FinishReason::ToolCalls;
    }
    Ok(Completion {
        output,
        model: response.model_version.unwrap_or_default(),
        usage: usage(response.usage_metadata),
        finish_reason: finish,
        tool_calls,
    })
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GoogleError,
}

/// A `google.rpc.Status` error: `{"error": {"code", "message", "status", "details"}}`.
#[derive(Deserialize, Default)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

impl GoogleError {
    fn details_of(&self, kind: &str) -> impl Iterator<Item = &Value> {
        let suffix = format!("google.rpc.{kind}");
        self.details
            .iter()
            .filter(move |d| d["@type"].as_str().is_some_and(|t| t.ends_with(&suffix)))
    }

    fn key_invalid(&self) -> bool {
        self.message.contains("API key not valid")
            || self.message.contains("API key expired")
            || self.details_of("ErrorInfo").any(|d| {
                d["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("API_KEY_"))
            })
    }

    /// A daily quota, or a limit of 0 (no free tier for the model): waiting minutes will not help.
    fn quota_used_up(&self) -> bool {
        let daily = self.details_of("QuotaFailure").any(|d| {
            d["violations"].as_array().is_some_and(|violations| {
                violations
                    .iter()
                    .filter_map(|v| v["quotaId"].as_str())
                    .any(|id| id.contains("PerDay"))
            })
        });
        daily || self.message.contains("limit: 0")
    }

    /// `RetryInfo.retryDelay`, a protobuf Duration such as `"38s"` or `"0.5s"`.
    fn retry_delay(&self) -> Option<Duration> {
        let text = self
            .details_of("RetryInfo")
            .find_map(|d| d["retryDelay"].as_str())?;
        let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
        Duration::try_from_secs_f64(seconds).ok()
    }

    fn kind(&self, status: u16) -> ErrorKind {
        match self.status.as_str() {
            _ if self.key_invalid() => ErrorKind::Auth,
            "INVALID_ARGUMENT"
                if self
                    .message
                    .contains("exceeds the maximum number of tokens") =>
            {
                ErrorKind::ContextLength
            }
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => ErrorKind::BadRequest,
            "UNAUTHENTICATED" | "PERMISSION_DENIED" => ErrorKind::Auth,
            "NOT_FOUND" => ErrorKind::ModelNotFound,
            "RESOURCE_EXHAUSTED" if self.quota_used_up() => ErrorKind::QuotaExceeded,
            "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
            "INTERNAL" => ErrorKind::Upstream,
            "UNAVAILABLE" => ErrorKind::Overloaded,
            "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
            _ => kind_for_status(status),
        }
    }
}

/// Reads an error body: the object of the API reference, the one-element array that some
/// Google front ends send, or anything else as an excerpt.
pub fn parse_error_body(status: u16, body: &[u8]) -> LlmError {
    let parsed = serde_json::from_slice::<ErrorEnvelope>(body)
        .or_else(|_| {
            serde_json::from_slice::<Vec<ErrorEnvelope>>(body)
                .map_err(|_| ())
                .and_then(|list| list.into_iter().next().ok_or(()))
        })
        .map(|envelope| envelope.error);
    let error = match parsed {
        Ok(error) => error,
        Err(_) => GoogleError {
            message: excerpt(body),
            ..GoogleError::default()
        },
    };
    let kind = error.kind(status);
    let label = match error.status.as_str() {
        "" => format!("HTTP {status}"),
        name => format!("HTTP {status} {name}"),
    };
    let message = match kind {
        // The HTTP layer says which key was rejected.
        ErrorKind::Auth => error.message.clone(),
        ErrorKind::QuotaExceeded => format!(
            "{label}: {} (a daily or zero quota: retrying today will not help; use another key, model or plan)",
            error.message
        ),
        ErrorKind::ModelNotFound => format!("{label}: {} (see list_models)", error.message),
        _ => format!("{label}: {}", error.message),
    };
    let mut err = LlmError::new(kind, message);
    if kind == ErrorKind::RateLimited {
        err.retry_after = error.retry_delay();
    }
    err
}

/// Reads a `models.list` body: the ids (without `models/`) of the models that generate content.
pub fn parse_model_list(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(Deserialize)]
    struct List {
        #[serde(default)]
        models: Vec<Model>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Model {
        name: String,
        #[serde(default)]
        supported_generation_methods: Option<Vec<String>>,
    }
    let list: List = parse_json(body)?;
    Ok(list
        .models
        .into_iter()
        .filter(|m| {
            m.supported_generation_methods
                .as_ref()
                .is_none_or(|methods| methods.iter().any(|x| x == "generateContent"))
        })
        .map(|m| {
            m.name
                .strip_prefix("models/")
                .unwrap_or(&m.name)
                .to_string()
        })
        .collect())
}

impl GeminiProvider {
    /// A POST of `request` to the model's `method` (`generateContent`, `streamGenerateContent`).
    fn model_request(&self, method: &str, request: &CompletionRequest) -> WireRequest {
        let path = format!("/v1beta/models/{}:{method}", model_segment(&request.model));
        let url = join_url(&self.base_url, &path);
        WireRequest::post(url, generate_body(request))
    }
}

impl Provider for GeminiProvider {
    /// The `x-goog-api-key` header, never the URL (GEM-2).
    fn credential(&self) -> Credential {
        Credential::Header {
            name: "x-goog-api-key",
            prefix: "",
        }
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        Ok(self.model_request("generateContent", request))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_generate(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        // 1000 is the largest page the API serves, far more than the models it lists, so one
        // page is the whole listing and no `pageToken` round trip is needed.
        let mut url = join_url(&self.base_url, "/v1beta/models");
        url.set_query(Some("pageSize=1000"));
        Ok(WireRequest::get(url))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        parse_model_list(body)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Sse)
    }

    /// `streamGenerateContent` with `alt=sse` (without it the answer is one JSON array, not
    /// events): the body and headers of [`Provider::completion_request`], the key still in the
    /// header (<https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent>).
    fn stream_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        let mut wire = self.model_request("streamGenerateContent", request);
        wire.url.set_query(Some("alt=sse"));
        Ok(wire)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        _event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, data)
    }

    fn stream_end(&self, state: &mut StreamState) {
        streaming::end(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Sampling, ToolSpec};
    use crate::config::Secret;
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
            err.message
                .starts_with("HTTP 404 NOT_FOUND: models/gemini-9 is not found")
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
        assert!(err.message.contains("retrying today will not help"));
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
        assert_eq!(err.message, "HTTP 502: <html>Bad Gateway</html>");
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
}
