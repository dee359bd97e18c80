//! Reading `google.rpc.Status` error bodies into kinds, with quota and retry details.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};

#[derive(Deserialize)]
pub(super) struct ErrorEnvelope {
    error: GoogleError,
}

/// A `google.rpc.Status` error: `{"error": {"code", "message", "status", "details"}}`.
#[derive(Deserialize, Default)]
pub(super) struct GoogleError {
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
        let seconds = text.trim().strip_suffix('s')?.parse().unwrap_or(f64::NAN);
        Some(crate::http::retry::provider_wait(seconds))
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
    let mut err = LlmError::new(kind, error.message.clone())
        .with_status(status)
        .with_code(error.status.clone());
    err = match kind {
        ErrorKind::QuotaExceeded => err.with_hint(
            "a daily or zero quota: retrying today will not help; use another key, model or plan",
        ),
        ErrorKind::ModelNotFound => err.with_hint("see list_models"),
        _ => err,
    };
    if kind == ErrorKind::RateLimited {
        err.retry_after = error.retry_delay();
    }
    err
}
