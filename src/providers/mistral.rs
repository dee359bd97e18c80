//! Mistral La Plateforme: `POST {base}/v1/chat/completions`, models from `GET {base}/v1/models`.
//!
//! API DOC: <https://docs.mistral.ai/api/#tag/chat> (OpenAPI: github.com/mistralai/platform-docs-public)
//! Models: <https://docs.mistral.ai/getting-started/models/>
//!
//! The body is OpenAI's Chat Completions shape, so requests, answers and listings reuse
//! [`crate::providers::openai`] (with `max_tokens`, the only limit field Mistral accepts: it
//! refuses unknown fields such as `max_completion_tokens` with a 422). What differs is here:
//! - Tool call ids must be 9 characters `[a-zA-Z0-9]` (`Tool call id was ... but must be a-z,
//!   A-Z, 0-9, with a length of 9`), so ids from other providers in a replayed conversation are
//!   mapped, deterministically, onto such ids; Mistral's own ids pass unchanged.
//! - `finish_reason` adds `model_length` (the context window is full) -> length; `error` ->
//!   other. The rest is OpenAI's table (stop, length, tool_calls).
//! - `tool_choice`: auto, none, `required` (which Mistral documents as a synonym of `any`), or
//!   a named function.
//! - Errors: `{"object": "error", "message": ..., "type": ..., "code": ...}` where `message`
//!   may itself hold a 422 validation `{"detail": [{"loc", "msg", ...}]}`, a bare
//!   `{"detail": ...}`, or `{"message": "Unauthorized", "request_id": ...}`.
//! - Temperature: the reference gives no upper bound, only advice (0.0 to 0.7), so the shared
//!   0 to 2 check applies and a value Mistral refuses comes back as its own 422 detail. The
//!   seed field is `random_seed`; calls carry no seed, so none is sent.
//! - Streams are OpenAI's without `stream_options` (Mistral refuses it and sends the usage
//!   unasked); `streaming` adds what differs.

mod streaming;

use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use crate::completion::{Completion, CompletionRequest, FinishReason};
use crate::config::Profile;
use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};
use crate::provider::{Credential, Provider, WireRequest, join_url};
use crate::providers::openai::{OpenAi, TokenLimit};
use crate::stream::{Framing, StreamState};

/// Mistral's defaults and short names for its current `-latest` models.
pub const PROFILE: Profile = Profile {
    backend: "mistral",
    key_env: "MISTRAL_API_KEY",
    key_required: true,
    base_url_env: "MISTRAL_BASE_URL",
    base_url: "https://api.mistral.ai",
    default_model: "mistral-medium-latest",
    temperature_max: 2.0,
    aliases: &[
        ("small", "mistral-small-latest"),
        ("medium", "mistral-medium-latest"),
        ("large", "mistral-large-latest"),
        ("mini", "ministral-8b-latest"),
        ("tiny", "ministral-3b-latest"),
        ("code", "codestral-latest"),
        ("devstral", "devstral-medium-latest"),
        ("magistral", "magistral-medium-latest"),
    ],
};

/// The Mistral wire format.
#[derive(Debug, Clone)]
pub struct MistralProvider {
    inner: OpenAi,
}

impl MistralProvider {
    /// A provider sending to `base_url` (`<https://api.mistral.ai`>); a base that already ends
    /// in `/v1`, as OpenAI-style clients spell it, is taken as it is.
    pub fn new(base_url: Url) -> Self {
        let api = if base_url.path().trim_end_matches('/').ends_with("/v1") {
            base_url
        } else {
            join_url(&base_url, "/v1")
        };
        Self {
            inner: OpenAi::new(api)
                .with_token_limit(TokenLimit::MaxTokens)
                .with_stream_usage(false),
        }
    }
}

/// Whether Mistral accepts `id` as a tool call id: exactly 9 ASCII letters or digits.
fn is_mistral_id(id: &str) -> bool {
    id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A valid id for any other id: its FNV-1a hash in 9 base-62 digits (62^9 is about 1.4e16, so
/// two ids of one conversation practically never collide). The same id always maps to the same
/// one, so a call and its result still match.
pub fn mistral_id(id: &str) -> String {
    if is_mistral_id(id) {
        return id.to_string();
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..9)
        .map(|_| {
            let digit = DIGITS[(hash % 62) as usize] as char;
            hash /= 62;
            digit
        })
        .collect()
}

/// `request` with every tool call id in a form Mistral accepts; borrowed when all already are.
fn with_mistral_ids(request: &CompletionRequest) -> std::borrow::Cow<'_, CompletionRequest> {
    let all_valid = request.messages.iter().all(|m| {
        m.tool_calls.iter().all(|c| is_mistral_id(&c.id))
            && m.tool_call_id.as_deref().is_none_or(is_mistral_id)
    });
    if all_valid {
        return std::borrow::Cow::Borrowed(request);
    }
    let mut owned = request.clone();
    for message in &mut owned.messages {
        for call in &mut message.tool_calls {
            call.id = mistral_id(&call.id);
        }
        if let Some(id) = &mut message.tool_call_id {
            *id = mistral_id(id);
        }
    }
    std::borrow::Cow::Owned(owned)
}

/// Reads an answer with OpenAI's reader, then applies Mistral's own `model_length`.
pub fn parse_chat(inner: &OpenAi, body: &[u8]) -> Result<Completion, LlmError> {
    let mut done = inner.parse_completion(body)?;
    if done.finish_reason == FinishReason::Other {
        #[derive(Deserialize)]
        struct Peek {
            choices: Vec<PeekChoice>,
        }
        #[derive(Deserialize)]
        struct PeekChoice {
            finish_reason: Option<String>,
        }
        let raw = serde_json::from_slice::<Peek>(body).ok();
        let reason = raw.and_then(|p| p.choices.into_iter().next()?.finish_reason);
        if reason.as_deref() == Some("model_length") {
            done.finish_reason = FinishReason::Length;
        }
    }
    Ok(done)
}

/// A 422 validation list as `field: problem; field: problem` (`loc` without its `body` root).
fn validation_details(details: &[Value]) -> String {
    details
        .iter()
        .map(|d| {
            let loc: Vec<String> = d["loc"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .filter(|p| p.as_str() != Some("body"))
                        .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let msg = d["msg"].as_str().unwrap_or("invalid");
            if loc.is_empty() {
                msg.to_string()
            } else {
                format!("{}: {msg}", loc.join("."))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The readable text of a `message` or `detail` value, whichever shape it has.
fn said(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Array(details) => Some(validation_details(details)),
        Value::Object(object) => object.get("detail").and_then(said),
        _ => None,
    }
}

fn classify(status: u16, kind: &str, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    match status {
        401 | 403 => ErrorKind::Auth,
        _ if kind == "invalid_model" || lower.starts_with("invalid model") => {
            ErrorKind::ModelNotFound
        }
        _ if lower.contains("maximum context length") || lower.contains("too large for model") => {
            ErrorKind::ContextLength
        }
        429 if ["quota", "monthly", "spending limit", "billing"]
            .iter()
            .any(|word| lower.contains(word)) =>
        {
            ErrorKind::QuotaExceeded
        }
        status => kind_for_status(status),
    }
}

/// Reads an error body into its kind and a readable message.
pub fn parse_error_body(status: u16, body: &[u8]) -> LlmError {
    let value = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let message = said(&value["message"])
        .or_else(|| said(&value["detail"]))
        .unwrap_or_else(|| match excerpt(body) {
            text if text.is_empty() => "(empty body)".to_string(),
            text => text,
        });
    let wire_kind = value["type"].as_str().unwrap_or_default();
    let kind = classify(status, wire_kind, &message);
    let label = match wire_kind {
        "" => format!("HTTP {status}"),
        name => format!("HTTP {status} ({name})"),
    };
    let text = match kind {
        // The HTTP layer says which key was rejected.
        ErrorKind::Auth => message,
        ErrorKind::ModelNotFound => format!("{label}: {message} (see list_models)"),
        _ => format!("{label}: {message}"),
    };
    LlmError::new(kind, text)
}

impl Provider for MistralProvider {
    fn credential(&self) -> Credential {
        self.inner.credential()
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        self.inner.completion_request(&with_mistral_ids(request))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_chat(&self.inner, body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        self.inner.models_request()
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        self.inner.parse_models(body)
    }

    fn stream_framing(&self) -> Option<Framing> {
        self.inner.stream_framing()
    }

    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        self.inner.stream_fields()
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(&self.inner, state, event, data)
    }

    fn stream_end(&self, state: &mut StreamState) {
        self.inner.stream_end(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Message, Role, Sampling, ToolCall, ToolChoice, ToolSpec};
    use crate::config::Secret;
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
            err.message,
            "HTTP 422 (invalid_request_error): safe_mode: Extra inputs are not permitted"
        );
        let err = parse_error_body(422, br#"{"detail": [{"type": "float_type", "loc": ["body", "messages", 0, "content"],
          "msg": "Input should be a valid string", "input": null}, {"type": "extra_forbidden",
          "loc": ["body", "max_completion_tokens"], "msg": "Extra inputs are not permitted", "input": 8192}]}"#);
        assert_eq!(
            err.message,
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
            (err.kind, err.message.as_str()),
            (ErrorKind::Upstream, "HTTP 500: (empty body)")
        );
    }
}
