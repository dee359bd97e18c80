//! Reading error answers: `{"type": "error", "error": {"type": ..., "message": ...},
//! "request_id": ...}` (<https://docs.anthropic.com/en/api/errors>).
//!
//! | `error.type` (status) | kind |
//! |---|---|
//! | `authentication_error` (401), `permission_error` (403) | `auth` |
//! | `billing_error` (402) | `quota_exceeded` |
//! | `rate_limit_error` (429) | `rate_limited`, or `quota_exceeded` when `error.details.error_code` is `enforced_spend_limit_reached` |
//! | `not_found_error` (404) | `model_not_found` when the message names a model, else `bad_request` |
//! | `invalid_request_error` (400) | `context_length` (prompt too long), `quota_exceeded` (credit or spend limit), `model_not_found` (unknown model), else `bad_request` |
//! | `request_too_large` (413), or any 413 | `bad_request`: a size limit in bytes, not the context window |
//! | `timeout_error` (504) | `timeout` |
//! | `api_error` (500) | `upstream` |
//! | `overloaded_error` (529) | `overloaded` |
//! | another type, or a body that is not this JSON | by HTTP status |
//!
//! The spend-limit 429 shares its type with ordinary rate limits but clears only when the
//! limit is raised or the month ends, so it must not be retried
//! (<https://learn.microsoft.com/en-us/microsoft-cloud/dev/dev-proxy/concepts/anthropic-529-overloaded-error>).

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Option<Value>,
}

impl ErrorObject {
    fn spend_limit(&self) -> bool {
        self.details
            .as_ref()
            .and_then(|d| d.get("error_code"))
            .and_then(Value::as_str)
            == Some("enforced_spend_limit_reached")
    }
}

/// The error an HTTP `status` with `body` amounts to.
pub(super) fn parse(status: u16, body: &[u8]) -> LlmError {
    if status == 413 {
        return too_large(body);
    }
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        let kind = kind_for_status(status);
        let shown = match excerpt(body) {
            text if text.is_empty() => "an empty body".to_string(),
            text => format!("a body that is not Anthropic's error JSON: {text}"),
        };
        return LlmError::new(kind, shown).with_status(status);
    };
    let kind = classify(&parsed.error).unwrap_or_else(|| kind_for_status(status));
    described(kind, String::new(), &parsed).with_status(status)
}

/// A 413: "Request exceeds the maximum allowed number of bytes" (32 MB for the Messages API),
/// "returned from Cloudflare before the request reaches our API servers"
/// (<https://docs.claude.com/en/api/errors>), so the body may be Cloudflare's page rather than
/// Anthropic's JSON. Shortening the prompt for the context window is not the fix; sending fewer
/// bytes is.
fn too_large(body: &[u8]) -> LlmError {
    let said = serde_json::from_slice::<ErrorBody>(body)
        .map(|parsed| excerpt(parsed.error.message.as_bytes()))
        .unwrap_or_else(|_| excerpt(body));
    let mut message =
        "the request body is larger than the API accepts (at most 32 MB for the Messages API)"
            .to_string();
    if !said.is_empty() {
        message.push_str(&format!(": {said}"));
    }
    LlmError::new(ErrorKind::BadRequest, message)
        .with_code("request_too_large".to_string())
        .with_hint("send fewer or smaller messages, images or documents; this is a limit on bytes, not on the context window")
        .with_status(413)
}

/// The error an `error` event in a stream carries
/// (<https://docs.claude.com/en/api/messages-streaming#error-events>): the same body as an
/// error answer, sent after `200 OK`, so there is no status to fall back on; an unknown type
/// is an `upstream` failure.
pub(super) fn parse_stream_error(data: &[u8]) -> LlmError {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(data) else {
        return LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "an error event that is not Anthropic's error JSON: {}",
                excerpt(data)
            ),
        );
    };
    let kind = classify(&parsed.error).unwrap_or(ErrorKind::Upstream);
    described(kind, "error event mid-stream: ".into(), &parsed)
}

/// The error both forms share: `error.type` as the code, the message after `lead`, the
/// request id, and the quota hint.
fn described(kind: ErrorKind, lead: String, parsed: &ErrorBody) -> LlmError {
    let mut message = lead + &excerpt(parsed.error.message.as_bytes());
    if let Some(id) = &parsed.request_id {
        message.push_str(&format!(" [request_id {id}]"));
    }
    let err = LlmError::new(kind, message).with_code(parsed.error.kind.clone());
    if kind == ErrorKind::QuotaExceeded {
        err.with_hint("retrying will not help until the limit is raised or resets")
    } else {
        err
    }
}

/// The kind a documented `error.type` means, or `None` for a type this table does not know.
fn classify(error: &ErrorObject) -> Option<ErrorKind> {
    let text = error.message.to_ascii_lowercase();
    Some(match error.kind.as_str() {
        "authentication_error" | "permission_error" => ErrorKind::Auth,
        "billing_error" => ErrorKind::QuotaExceeded,
        "rate_limit_error" if error.spend_limit() => ErrorKind::QuotaExceeded,
        "rate_limit_error" => ErrorKind::RateLimited,
        "not_found_error" if text.contains("model") => ErrorKind::ModelNotFound,
        "not_found_error" => ErrorKind::BadRequest,
        "invalid_request_error" => invalid_request(&text),
        // Mid-stream there is no status; the type alone says it is the byte limit.
        "request_too_large" => ErrorKind::BadRequest,
        "timeout_error" => ErrorKind::Timeout,
        "api_error" => ErrorKind::Upstream,
        "overloaded_error" => ErrorKind::Overloaded,
        _ => return None,
    })
}

/// `invalid_request_error` covers several causes; the message tells them apart. Wordings are
/// the API's own: "prompt is too long: 208656 tokens > 200000 maximum", "input length and
/// `max_tokens` exceed context limit", "Your credit balance is too low", "You have reached
/// your specified API usage limits", "model: claude-nonexistent".
fn invalid_request(text: &str) -> ErrorKind {
    let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if any(&[
        "prompt is too long",
        "exceed context limit",
        "context window",
    ]) {
        ErrorKind::ContextLength
    } else if any(&["credit balance", "usage limits", "spend limit"]) {
        ErrorKind::QuotaExceeded
    } else if text.starts_with("model:")
        || any(&["unknown model", "invalid model"])
        || (text.contains("model") && any(&["not found", "does not exist"]))
    {
        ErrorKind::ModelNotFound
    } else {
        ErrorKind::BadRequest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(kind: &str, message: &str) -> Vec<u8> {
        serde_json::json!({
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn each_documented_type_maps_to_its_kind() {
        for (status, kind, expected) in [
            (401, "authentication_error", ErrorKind::Auth),
            (403, "permission_error", ErrorKind::Auth),
            (402, "billing_error", ErrorKind::QuotaExceeded),
            (429, "rate_limit_error", ErrorKind::RateLimited),
            (400, "invalid_request_error", ErrorKind::BadRequest),
            (404, "not_found_error", ErrorKind::BadRequest),
            (413, "request_too_large", ErrorKind::BadRequest),
            (504, "timeout_error", ErrorKind::Timeout),
            (500, "api_error", ErrorKind::Upstream),
            (529, "overloaded_error", ErrorKind::Overloaded),
            (418, "brand_new_error", ErrorKind::BadRequest),
            (503, "brand_new_error", ErrorKind::Overloaded),
        ] {
            let err = parse(status, &body(kind, "Something happened."));
            assert_eq!(err.kind, expected, "{kind}");
            assert_eq!(err.retryable, expected.is_retryable(), "{kind}");
        }
    }

    #[test]
    fn message_carries_status_type_text_and_request_id() {
        let err = parse(
            429,
            &body(
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            ),
        );
        assert_eq!(
            err.detail(),
            "HTTP 429 (rate_limit_error): Number of request tokens has exceeded your per-minute \
             rate limit [request_id req_011CSHoEeqs5C35K2UUqR7Fy]"
        );
        assert!(err.retryable);
        let auth = parse(401, &body("authentication_error", "invalid x-api-key"));
        assert!(
            auth.detail()
                .starts_with("HTTP 401 (authentication_error): invalid x-api-key")
        );
        assert!(!auth.retryable);
    }

    #[test]
    fn spend_limit_429_is_quota_and_not_retryable() {
        let body = br#"{
          "type": "error",
          "error": {
            "type": "rate_limit_error",
            "message": "You have reached your monthly spend limit.",
            "details": {"error_code": "enforced_spend_limit_reached"}
          },
          "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
        }"#;
        let err = parse(429, body);
        assert_eq!(err.kind, ErrorKind::QuotaExceeded);
        assert!(!err.retryable);
        assert!(err.detail().contains("retrying will not help"));
        // A null `details`, as ordinary rate limits carry, stays retryable.
        let plain = br#"{"type":"error","error":{"details":null,"type":"rate_limit_error","message":"Rate limited"}}"#;
        let err = parse(429, plain);
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert!(err.retryable);
    }

    #[test]
    fn invalid_requests_are_told_apart_by_their_message() {
        for (message, expected) in [
            (
                "prompt is too long: 208656 tokens > 200000 maximum",
                ErrorKind::ContextLength,
            ),
            (
                "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, \
                 decrease input length or `max_tokens` and try again",
                ErrorKind::ContextLength,
            ),
            (
                "Your credit balance is too low to access the Anthropic API.",
                ErrorKind::QuotaExceeded,
            ),
            (
                "You have reached your specified API usage limits.",
                ErrorKind::QuotaExceeded,
            ),
            ("model: claude-nonexistent-9", ErrorKind::ModelNotFound),
            (
                "max_tokens: 200000 > 128000, which is the maximum allowed number of output \
                 tokens for claude-opus-5-5",
                ErrorKind::BadRequest,
            ),
            ("messages: field required", ErrorKind::BadRequest),
        ] {
            let err = parse(400, &body("invalid_request_error", message));
            assert_eq!(err.kind, expected, "{message}");
            assert!(!err.retryable);
        }
    }

    #[test]
    fn a_413_is_the_byte_limit_not_the_context_window() {
        // The errors page's own type and text, and Cloudflare's page, which can come instead.
        let json = body(
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        );
        let html = b"<html><head><title>413 Request Entity Too Large</title></head></html>";
        for (body, said) in [
            (json.as_slice(), "maximum allowed number of bytes"),
            (html.as_slice(), "413 Request Entity Too Large"),
        ] {
            let err = parse(413, body);
            assert_eq!(err.kind, ErrorKind::BadRequest);
            assert_ne!(err.kind, ErrorKind::ContextLength);
            assert!(!err.retryable);
            let text = err.detail();
            assert!(text.starts_with("HTTP 413 (request_too_large): "), "{text}");
            assert!(text.contains("32 MB") && text.contains(said), "{text}");
            assert!(text.contains("not on the context window"), "{text}");
        }
    }

    #[test]
    fn not_found_about_a_model_is_model_not_found() {
        // As the API answers an unknown model id.
        let body = br#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-3-5-sonnet-20241022 "}}"#;
        let err = parse(404, body);
        assert_eq!(err.kind, ErrorKind::ModelNotFound);
        assert!(err.message.contains("claude-3-5-sonnet-20241022"));
        assert!(err.detail().starts_with("HTTP 404 (not_found_error): "));
    }

    #[test]
    fn bodies_that_are_not_the_error_json_fall_back_to_the_status() {
        let err = parse(502, b"<html><body>502 Bad Gateway</body>\n</html>");
        assert_eq!(err.kind, ErrorKind::Upstream);
        assert!(err.retryable);
        assert!(err.detail().starts_with("HTTP 502: a body that is not"));
        assert!(err.message.contains("502 Bad Gateway"));
        let err = parse(429, b"");
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.detail(), "HTTP 429: an empty body");
        // JSON of another shape (an OpenAI-style proxy) is not Anthropic's error either.
        let err = parse(401, br#"{"error": "unauthorized"}"#);
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(err.message.contains("unauthorized"));
        // The status is written once, by the one place that composes the text.
        assert_eq!(err.detail().matches("HTTP 401").count(), 1);
    }
}
