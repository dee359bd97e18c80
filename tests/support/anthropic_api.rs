//! Bodies of the Anthropic Messages API, as documented, for the fake provider.
//!
//! API DOC: https://docs.anthropic.com/en/api/messages (response shape, usage fields);
//! https://docs.claude.com/en/api/errors (error shapes and statuses);
//! https://platform.claude.com/docs/en/api/rate-limits (429 with
//! `error.details.error_code = enforced_spend_limit_reached` when the spend limit is reached).

use serde_json::{Value, json};

use super::fake::Reply;

/// The path the Messages API is served on.
pub const MESSAGES: &str = "/v1/messages";
/// The path of the models listing.
pub const MODELS: &str = "/v1/models";

/// Usage as Anthropic reports it: `input_tokens` excludes both cache counts.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the cache.
    pub cache_read: u64,
    /// Input tokens written to the cache.
    pub cache_creation: u64,
}

impl Usage {
    fn to_json(self) -> Value {
        json!({
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": self.output,
            "service_tier": "standard"
        })
    }
}

/// A `message` with the given content blocks and stop reason.
pub fn message(model: &str, content: Value, stop_reason: &str, usage: Usage) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage.to_json()
    })
}

/// A plain text answer that ended normally.
pub fn text(model: &str, text: &str, usage: Usage) -> Value {
    message(
        model,
        json!([{"type": "text", "text": text}]),
        "end_turn",
        usage,
    )
}

/// An answer that calls tool `name` with `input` after some text.
pub fn tool_use(
    model: &str,
    lead: &str,
    id: &str,
    name: &str,
    input: Value,
    usage: Usage,
) -> Value {
    let content = json!([
        {"type": "text", "text": lead},
        {"type": "tool_use", "id": id, "name": name, "input": input}
    ]);
    message(model, content, "tool_use", usage)
}

/// The documented error envelope: `{"type":"error","error":{type,message},"request_id"}`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
}

/// A reply carrying [`error`] with `status`.
pub fn error_reply(status: u16, kind: &str, message: &str) -> Reply {
    Reply::json(status, &error(kind, message)).header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
}

/// 401 `authentication_error`.
pub fn unauthorized() -> Reply {
    error_reply(401, "authentication_error", "invalid x-api-key")
}

/// 404 `not_found_error` for an unknown model.
pub fn model_not_found(model: &str) -> Reply {
    error_reply(404, "not_found_error", &format!("model: {model}"))
}

/// 429 `rate_limit_error`; the caller adds `retry-after` as needed.
pub fn rate_limited() -> Reply {
    error_reply(
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute.",
    )
}

/// 429 when the organization's monthly spend limit is reached: not worth retrying.
pub fn spend_limit() -> Reply {
    let body = json!({
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "You have reached your API usage limits: your organization has crossed its monthly API usage threshold. You will regain access on 2026-09-01 at 00:00 UTC.",
            "details": {"error_code": "enforced_spend_limit_reached"}
        },
        "request_id": "req_018EeWyXxfu5pfWkrYcMdjWG"
    });
    Reply::json(429, &body)
}

/// 500 `api_error`.
pub fn api_error() -> Reply {
    error_reply(500, "api_error", "Internal server error")
}

/// 529 `overloaded_error`.
pub fn overloaded() -> Reply {
    error_reply(529, "overloaded_error", "Overloaded")
}

/// The models listing (`GET /v1/models`).
pub fn models(ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-05-14T00:00:00Z"}))
        .collect();
    json!({"data": data, "has_more": false, "first_id": ids.first(), "last_id": ids.last()})
}
