//! Reading an error answer
//! (<https://platform.openai.com/docs/guides/error-codes>): OpenAI sends
//! `{"error": {"message", "type", "param", "code"}}`; compatible servers also send
//! `{"error": "text"}` (llama.cpp, Ollama), `{"detail": ...}` (FastAPI-based servers) or
//! `{"message": ...}`.

use serde_json::Value;

use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};

/// `error.code` / `error.type` values of a spent quota or spend limit: a 429 that no wait
/// fixes (<https://learn.microsoft.com/microsoft-cloud/dev/dev-proxy/concepts/openai-insufficient-quota>).
const QUOTA_CODES: &[&str] = &[
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
];

/// What an error body says: its message and its machine-readable `code` and `type`.
#[derive(Debug, Default, PartialEq)]
struct Said {
    message: Option<String>,
    code: Option<String>,
    kind: Option<String>,
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Null | Value::String(_) => None,
        // `code` is sometimes a number, `detail` sometimes a list of validation errors.
        other => Some(other.to_string()),
    }
}

fn read(body: &Value) -> Said {
    match body.get("error") {
        Some(Value::Object(error)) => Said {
            message: error.get("message").and_then(as_text),
            code: error.get("code").and_then(as_text),
            kind: error.get("type").and_then(as_text),
        },
        Some(other) => Said {
            message: as_text(other),
            ..Said::default()
        },
        None => Said {
            message: body
                .get("detail")
                .or_else(|| body.get("message"))
                .and_then(as_text),
            ..Said::default()
        },
    }
}

/// The kind an error amounts to: the body's code or type first, then the status.
fn classify(status: u16, said: &Said) -> ErrorKind {
    let is = |names: &[&str]| {
        [&said.code, &said.kind]
            .into_iter()
            .flatten()
            .any(|value| names.contains(&value.as_str()))
    };
    if is(QUOTA_CODES) {
        ErrorKind::QuotaExceeded
    } else if status == 401 || is(&["invalid_api_key"]) {
        ErrorKind::Auth
    } else if status == 404 || is(&["model_not_found"]) {
        ErrorKind::ModelNotFound
    } else if is(&["context_length_exceeded", "string_above_max_length"]) {
        ErrorKind::ContextLength
    } else if is(&["content_filter", "content_policy_violation"]) {
        ErrorKind::ContentFilter
    } else {
        match status {
            500 | 502 | 504 => ErrorKind::Upstream,
            503 => ErrorKind::Overloaded,
            status => kind_for_status(status),
        }
    }
}

/// Masks anything that looks like a key. OpenAI quotes the rejected key, partly starred
/// (`Incorrect API key provided: sk-abc***xyz`); even a fragment stays out of our errors.
fn redact_keys(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.starts_with("sk-") && word.len() > 3 {
                let end = if word.ends_with('.') { "." } else { "" };
                format!("sk-<redacted>{end}")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads an error answer into its kind and a readable message. A spent quota (429
/// `insufficient_quota` and the billing codes) is never retryable.
pub(super) fn parse_error(status: u16, body: &[u8]) -> LlmError {
    let said = serde_json::from_slice::<Value>(body)
        .ok()
        .map(|value| read(&value))
        .filter(|said| said.message.is_some() || said.code.is_some());
    let Some(said) = said else {
        let text = excerpt(body);
        let shown = if text.is_empty() {
            "(empty body)".to_string()
        } else {
            text
        };
        return LlmError::new(kind_for_status(status), shown).with_status(status);
    };
    let kind = classify(status, &said);
    let message = said
        .message
        .as_deref()
        .map_or_else(|| "no message".to_string(), redact_keys);
    let code = said.code.or(said.kind).unwrap_or_default();
    LlmError::new(kind, message)
        .with_status(status)
        .with_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn openai_error(message: &str, kind: &str, code: Option<&str>) -> Vec<u8> {
        serde_json::json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn invalid_key_is_auth_without_repeating_the_status() {
        let body = openai_error(
            "Incorrect API key provided: sk-abc***xyz.",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
        let err = parse_error(401, &body);
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(!err.retryable);
        assert_eq!(
            err.detail(),
            "HTTP 401 (invalid_api_key): Incorrect API key provided: sk-<redacted>."
        );
        // The code alone is enough, whatever the status.
        assert_eq!(parse_error(400, &body).kind, ErrorKind::Auth);
    }

    #[test]
    fn unknown_model_is_model_not_found() {
        let body = openai_error(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "invalid_request_error",
            Some("model_not_found"),
        );
        let err = parse_error(404, &body);
        assert_eq!(err.kind, ErrorKind::ModelNotFound);
        assert!(err.message.contains("gpt-9"));
        assert_eq!(parse_error(400, &body).kind, ErrorKind::ModelNotFound);
        assert_eq!(
            parse_error(404, br#"{"error": "not found"}"#).kind,
            ErrorKind::ModelNotFound
        );
    }

    #[test]
    fn spent_quota_is_not_retryable_but_a_rate_limit_is() {
        let quota = openai_error(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            Some("insufficient_quota"),
        );
        let err = parse_error(429, &quota);
        assert_eq!(err.kind, ErrorKind::QuotaExceeded);
        assert!(!err.retryable);
        // Only the type says it (older bodies have code null).
        let typed = openai_error(
            "You exceeded your current quota",
            "insufficient_quota",
            None,
        );
        assert_eq!(parse_error(429, &typed).kind, ErrorKind::QuotaExceeded);
        let billing = openai_error(
            "No credits",
            "insufficient_quota",
            Some("credit_balance_exhausted"),
        );
        assert!(!parse_error(429, &billing).retryable);
        let rate = openai_error(
            "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.",
            "tokens",
            Some("rate_limit_exceeded"),
        );
        let err = parse_error(429, &rate);
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert!(err.retryable);
        assert!(
            err.detail()
                .starts_with("HTTP 429 (rate_limit_exceeded): Rate limit reached")
        );
    }

    #[test]
    fn context_length_and_content_filter() {
        let long = openai_error(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
            "invalid_request_error",
            Some("context_length_exceeded"),
        );
        assert_eq!(parse_error(400, &long).kind, ErrorKind::ContextLength);
        let filtered = openai_error(
            "The response was filtered",
            "invalid_request_error",
            Some("content_filter"),
        );
        assert_eq!(parse_error(400, &filtered).kind, ErrorKind::ContentFilter);
        let policy = openai_error(
            "Your request was rejected",
            "invalid_request_error",
            Some("content_policy_violation"),
        );
        assert_eq!(parse_error(400, &policy).kind, ErrorKind::ContentFilter);
        let plain = openai_error(
            "Unsupported parameter: 'max_tokens'",
            "invalid_request_error",
            Some("unsupported_parameter"),
        );
        assert_eq!(parse_error(400, &plain).kind, ErrorKind::BadRequest);
    }

    /// The server's learned-refusal retry reads the message, so it must arrive whole.
    #[test]
    fn an_unsupported_parameter_is_a_bad_request_with_openais_message_intact() {
        use crate::shape::learned::{Param, refused_parameter};
        // OpenAI's answer to max_tokens on GPT-6 Astra (charmbracelet/crush#3741).
        let said = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
        let body = json!({"error": {"message": said, "type": "invalid_request_error",
            "param": "max_tokens", "code": "unsupported_parameter"}});
        let err = parse_error(400, body.to_string().as_bytes());
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(!err.retryable);
        assert!(err.message.contains(said), "{}", err.message);
        assert_eq!(refused_parameter(&err.message), Some(Param::MaxTokens));
        let said = "Unsupported parameter: 'temperature' is not supported with this model.";
        let body = json!({"error": {"message": said, "type": "invalid_request_error",
            "param": "temperature", "code": "unsupported_parameter"}});
        let err = parse_error(400, body.to_string().as_bytes());
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert_eq!(refused_parameter(&err.message), Some(Param::Temperature));
    }

    #[test]
    fn server_side_statuses() {
        let body = openai_error(
            "The server had an error while processing your request.",
            "server_error",
            None,
        );
        for status in [500, 502, 504] {
            let err = parse_error(status, &body);
            assert_eq!(err.kind, ErrorKind::Upstream, "{status}");
            assert!(err.retryable);
        }
        let busy = openai_error("The engine is currently overloaded", "server_error", None);
        assert_eq!(parse_error(503, &busy).kind, ErrorKind::Overloaded);
    }

    #[test]
    fn compatible_servers_error_shapes() {
        let err = parse_error(
            400,
            br#"{"error": "model 'llama9' not found, try pulling it first"}"#,
        );
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert_eq!(
            err.detail(),
            "HTTP 400: model 'llama9' not found, try pulling it first"
        );
        let detail = parse_error(
            422,
            br#"{"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}"#,
        );
        assert_eq!(detail.kind, ErrorKind::BadRequest);
        assert!(detail.message.contains("field required"));
        let message = parse_error(401, br#"{"message": "Invalid token"}"#);
        assert_eq!(message.kind, ErrorKind::Auth);
        assert_eq!(message.message, "Invalid token");
    }

    #[test]
    fn a_body_that_is_not_json_classifies_by_status_with_an_excerpt() {
        let err = parse_error(502, b"<html><body>502 Bad Gateway</body></html>");
        assert_eq!(err.kind, ErrorKind::Upstream);
        assert!(err.message.contains("502 Bad Gateway"));
        let err = parse_error(429, b"");
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.detail(), "HTTP 429: (empty body)");
        // JSON without any message is treated like a non-JSON body.
        assert_eq!(parse_error(503, b"{}").kind, ErrorKind::Overloaded);
    }
}
