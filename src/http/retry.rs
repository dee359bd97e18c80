//! When a failed attempt is tried again: exponential backoff with jitter, and the wait a
//! provider asks for in its headers.

use std::time::Duration;

use backon::ExponentialBuilder;
use reqwest::header::HeaderMap;

use crate::error::LlmError;

/// Waits longer than this are not worth sleeping through: the caller is better off falling back.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The official SDKs start at 0.5 s and cap at 8 s; jitter spreads a thundering herd.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(8))
        .with_factor(2.0)
        .with_jitter()
}

/// The error of the last attempt, saying how many were made.
pub fn exhausted(mut err: LlmError, attempts: u32) -> LlmError {
    if attempts > 1 {
        err.message = format!("{} (gave up after {attempts} attempts)", err.message);
    }
    err
}

/// `retry-after-ms` (OpenAI, Anthropic) or `retry-after` in seconds (RFC 9110; the HTTP-date
/// form is not used by these APIs and is ignored).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
}
