//! Reading Mistral's error bodies (`message`, `detail`, 422 validation lists) into kinds.

use serde_json::Value;

use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};

/// A 422 validation list as `field: problem; field: problem` (`loc` without its `body` root).
pub(super) fn validation_details(details: &[Value]) -> String {
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
pub(super) fn said(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Array(details) => Some(validation_details(details)),
        Value::Object(object) => object.get("detail").and_then(said),
        _ => None,
    }
}

pub(super) fn classify(status: u16, kind: &str, message: &str) -> ErrorKind {
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
    let err = LlmError::new(kind, message)
        .with_status(status)
        .with_code(wire_kind);
    match kind {
        ErrorKind::ModelNotFound => err.with_hint("see list_models"),
        _ => err,
    }
}
