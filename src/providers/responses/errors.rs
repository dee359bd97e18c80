//! Errors of the Responses API: HTTP error bodies (the same `{"error": {message, type, param,
//! code}}` envelope as Chat Completions, read by that adapter), a `failed` response's
//! `error` object, and a stream's `error` event.
//!
//! API DOC: `ResponseError.code` values
//! (<https://platform.openai.com/docs/api-reference/responses/object#responses/object-error>)
//! and the `error` stream event
//! (<https://platform.openai.com/docs/api-reference/responses-streaming/error>). The Codex
//! backend's spent subscription window is `usage_limit_reached`
//! (codex-rs/codex-api/src/api_bridge.rs maps it to a usage-limit error, not a retry).

use serde_json::Value;

use crate::error::{ErrorKind, LlmError};

/// The kind a `code` of a failed response or an error event stands for.
fn kind_for_code(code: &str) -> ErrorKind {
    match code {
        "rate_limit_exceeded" => ErrorKind::RateLimited,
        "insufficient_quota" | "usage_limit_reached" | "usage_not_included" => {
            ErrorKind::QuotaExceeded
        }
        "server_error" => ErrorKind::Upstream,
        "vector_store_timeout" => ErrorKind::Timeout,
        "context_length_exceeded" => ErrorKind::ContextLength,
        "model_not_found" => ErrorKind::ModelNotFound,
        code if code.contains("content_policy") || code == "content_filter" => {
            ErrorKind::ContentFilter
        }
        "invalid_prompt" => ErrorKind::BadRequest,
        code if code.starts_with("invalid_") || code.contains("image") => ErrorKind::BadRequest,
        _ => ErrorKind::Upstream,
    }
}

/// An error object `{code, message}` (of a failed response or an `error` event) as an error.
fn from_object(error: Option<&Value>, what: &str) -> LlmError {
    let text = |field: &str| {
        error
            .and_then(|e| e.get(field))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    };
    let code = text("code").or_else(|| text("type"));
    let kind = code.map_or(ErrorKind::Upstream, kind_for_code);
    let message = text("message").map_or_else(|| what.to_string(), str::to_string);
    let err = LlmError::new(kind, message).with_code(code.unwrap_or_default());
    refine(err)
}

/// A response whose `status` is `failed`, from its `error` object.
pub(super) fn failed(error: Option<&Value>) -> LlmError {
    from_object(error, "the response failed")
}

/// A stream's `error` event: `{"type": "error", "code", "message", "param"}`.
pub(super) fn event(data: &Value) -> LlmError {
    // Some servers nest the object under `error`, as in an HTTP error body.
    let error = data.get("error").filter(|e| e.is_object()).unwrap_or(data);
    from_object(Some(error), "the stream reported an error")
}

/// An HTTP error the Chat Completions reader classified, with the Responses codes it does not
/// know: a spent quota or subscription window is not worth a retry.
pub(super) fn refine(mut err: LlmError) -> LlmError {
    if let Some(code) = err.code.as_deref()
        && kind_for_code(code) == ErrorKind::QuotaExceeded
    {
        err.kind = ErrorKind::QuotaExceeded;
        err.retryable = false;
    }
    err
}
