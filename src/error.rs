//! The error kinds of design §2 and how each becomes a tool error a caller can act on.
//!
//! A provider failure is never a JSON-RPC error: it is a result with `isError: true` whose text
//! starts with a stable `[kind]`, then the provider, then what happened and what to do. The same
//! kind, the HTTP status and whether a retry can help also go in the result's `_meta`.

use std::fmt;
use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The key is missing or was rejected.
    Auth,
    /// Too many requests; a later retry can succeed.
    RateLimited,
    /// The account's quota or spend limit is used up; retrying will not help.
    QuotaExceeded,
    /// The provider is overloaded (Anthropic 529, HTTP 503).
    Overloaded,
    /// The call took longer than its timeout.
    Timeout,
    /// The provider could not be reached (DNS, refused, reset).
    Unreachable,
    /// The provider rejected the request as malformed or invalid.
    BadRequest,
    /// The model does not exist or is not available to this key.
    ModelNotFound,
    /// The prompt does not fit the model's context window.
    ContextLength,
    /// A safety system refused or withheld the output.
    ContentFilter,
    /// The provider failed on its side (HTTP 5xx) or in a way not covered above.
    Upstream,
    /// The provider answered something that is not its documented format.
    InvalidResponse,
    /// A budget of the supervisor's config is spent; retrying before it frees up will not help.
    BudgetExceeded,
    /// The caller cancelled the call.
    Cancelled,
    /// A fault inside llm-mcp itself.
    Internal,
}

impl ErrorKind {
    /// The stable name used in brackets and in `_meta.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::RateLimited => "rate_limited",
            Self::QuotaExceeded => "quota_exceeded",
            Self::Overloaded => "overloaded",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::BadRequest => "bad_request",
            Self::ModelNotFound => "model_not_found",
            Self::ContextLength => "context_length",
            Self::ContentFilter => "content_filter",
            Self::Upstream => "upstream",
            Self::InvalidResponse => "invalid_response",
            Self::BudgetExceeded => "budget_exceeded",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }

    /// Parses a name written by [`ErrorKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(json!(name)).ok()
    }

    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::Overloaded
                | Self::Timeout
                | Self::Unreachable
                | Self::Upstream
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call as data: what went wrong, where, the provider's own words and code, what to
/// do, and what a retry needs. Its text is composed in one place ([`LlmError::render`]):
/// `[kind] provider: HTTP 401 (code): message (hint)`, each part only when known.
///
/// Adapters do not know the provider's instance name; the server fills it in when the error
/// leaves it ([`LlmError::to_tool_result`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.text())]
pub struct LlmError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The provider's instance name, when it is known where the error is made.
    pub provider: Option<String>,
    /// The HTTP status, when the provider answered one.
    pub status: Option<u16>,
    /// The provider's own error code or type (`invalid_request_error`, `NOT_FOUND`).
    pub code: Option<String>,
    /// What happened, for a human or a model; never a secret.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
    /// How long the provider asked us to wait before trying again.
    pub retry_after: Option<Duration>,
    /// Whether sending the same request again may succeed.
    pub retryable: bool,
}

impl LlmError {
    /// An error of `kind` with `message`; retryable as the kind is.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            provider: None,
            status: None,
            code: None,
            message: message.into(),
            hint: None,
            retry_after: None,
            retryable: kind.is_retryable(),
        }
    }

    /// The same error, recording the HTTP status it came with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The same error with the provider's own code; an empty code is none.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        let code = code.into();
        self.code = (!code.is_empty()).then_some(code);
        self
    }

    /// The same error saying what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same error, naming the provider instance it came from.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// The same error, asking to wait `delay` before a retry.
    pub fn with_retry_after(mut self, delay: Option<Duration>) -> Self {
        self.retry_after = delay;
        self
    }

    /// What happened without the kind and provider: `HTTP 401 (code): message (hint)`.
    pub fn detail(&self) -> String {
        let mut text = String::new();
        if let Some(status) = self.status {
            text.push_str(&format!("HTTP {status}"));
        }
        if let Some(code) = &self.code {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("({code})"));
        }
        if !self.message.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&self.message);
        }
        if let Some(hint) = &self.hint {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("({hint})"));
        }
        text
    }

    /// The text a caller reads: `[kind] provider: detail`, with the error's own provider
    /// when it has one, else `provider`.
    pub fn render(&self, provider: &str) -> String {
        let provider = self.provider.as_deref().unwrap_or(provider);
        format!("[{}] {provider}: {}", self.kind, self.detail())
    }

    /// The text without a provider given: `[kind] provider: detail` when the error names
    /// one, `[kind] detail` otherwise.
    fn text(&self) -> String {
        match &self.provider {
            Some(provider) => self.render(provider),
            None => format!("[{}] {}", self.kind, self.detail()),
        }
    }

    /// The tool error for this failure: `isError`, the rendered text, and `_meta` with the kind,
    /// the provider, the HTTP status, the provider's code, retryability and retry-after.
    pub fn to_tool_result(&self, provider: &str) -> CallToolResult {
        let provider = self.provider.as_deref().unwrap_or(provider);
        let mut meta = MetaObject::new();
        meta.insert("kind".into(), json!(self.kind));
        meta.insert("provider".into(), json!(provider));
        meta.insert("status".into(), json!(self.status));
        if let Some(code) = &self.code {
            meta.insert("code".into(), json!(code));
        }
        meta.insert("retryable".into(), json!(self.retryable));
        if let Some(delay) = self.retry_after {
            meta.insert("retry_after_ms".into(), json!(delay.as_millis() as u64));
        }
        CallToolResult::error(vec![ContentBlock::text(self.render(provider))]).with_meta(Some(meta))
    }
}

/// Classifies an HTTP error status when the body says nothing more specific.
pub fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        402 => ErrorKind::QuotaExceeded,
        404 => ErrorKind::ModelNotFound,
        408 => ErrorKind::Timeout,
        // 413 Content Too Large (RFC 9110 15.5.14) is a byte limit on the request, often a
        // proxy's; a context window overflow comes as a 400 the provider's parser names.
        413 => ErrorKind::BadRequest,
        429 => ErrorKind::RateLimited,
        503 | 529 => ErrorKind::Overloaded,
        400..=499 => ErrorKind::BadRequest,
        _ => ErrorKind::Upstream,
    }
}

/// A short, single-line excerpt of a body for error messages (bodies can be huge or binary).
pub fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_result_carries_kind_status_and_retryability() {
        let err = LlmError::new(ErrorKind::RateLimited, "slow down")
            .with_status(429)
            .with_retry_after(Some(Duration::from_millis(1500)));
        let result = err.to_tool_result("anthropic");
        assert_eq!(result.is_error, Some(true));
        let text = serde_json::to_value(&result.content[0]).unwrap()["text"].clone();
        assert_eq!(text, json!("[rate_limited] anthropic: HTTP 429: slow down"));
        let meta = result.meta.unwrap();
        assert_eq!(meta.get("kind"), Some(&json!("rate_limited")));
        assert_eq!(meta.get("status"), Some(&json!(429)));
        assert_eq!(meta.get("retryable"), Some(&json!(true)));
        assert_eq!(meta.get("retry_after_ms"), Some(&json!(1500)));
    }

    #[test]
    fn the_text_is_composed_from_the_parts_that_are_known() {
        let full = LlmError::new(ErrorKind::Auth, "invalid x-api-key")
            .with_status(401)
            .with_code("authentication_error")
            .with_hint("the key in ANTHROPIC_API_KEY was rejected");
        assert_eq!(
            full.render("claude"),
            "[auth] claude: HTTP 401 (authentication_error): invalid x-api-key (the key in ANTHROPIC_API_KEY was rejected)"
        );
        assert_eq!(
            full.to_string(),
            "[auth] HTTP 401 (authentication_error): invalid x-api-key (the key in ANTHROPIC_API_KEY was rejected)"
        );
        let named = full.clone().with_provider("work");
        assert_eq!(named.render("ignored"), named.to_string());
        assert!(named.to_string().starts_with("[auth] work: HTTP 401"));
        let coded =
            LlmError::new(ErrorKind::Overloaded, "Overloaded").with_code("overloaded_error");
        assert_eq!(
            coded.render("a"),
            "[overloaded] a: (overloaded_error): Overloaded"
        );
        let plain = LlmError::new(ErrorKind::Timeout, "no answer within 5 s");
        assert_eq!(plain.render("a"), "[timeout] a: no answer within 5 s");
        let meta = full.to_tool_result("claude").meta.unwrap();
        assert_eq!(meta.get("code"), Some(&json!("authentication_error")));
        assert_eq!(meta.get("provider"), Some(&json!("claude")));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            ErrorKind::Auth,
            ErrorKind::ModelNotFound,
            ErrorKind::InvalidResponse,
        ] {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::parse("nonsense"), None);
    }

    #[test]
    fn status_classification() {
        assert_eq!(kind_for_status(413), ErrorKind::BadRequest);
        assert_eq!(kind_for_status(401), ErrorKind::Auth);
        assert_eq!(kind_for_status(529), ErrorKind::Overloaded);
        assert_eq!(kind_for_status(422), ErrorKind::BadRequest);
        assert_eq!(kind_for_status(500), ErrorKind::Upstream);
    }

    #[test]
    fn excerpt_flattens_and_cuts() {
        assert_eq!(excerpt(b"a\n  b"), "a b");
        let long = vec![b'x'; 1000];
        assert!(excerpt(&long).len() < 310);
    }
}
