//! The [`Provider`] trait: a pure mapping between the neutral types of
//! [`crate::completion`] and one provider's wire format.
//!
//! An adapter builds [`WireRequest`]s and reads bodies; it never performs IO. `http.rs` sends
//! what adapters build, so timeouts, retries and cancellation live in one place (the shape of
//! rust-genai's `to_web_request_data` / `to_chat_response`).

use reqwest::Method;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::completion::{Completion, CompletionRequest};
use crate::config::Secret;
use crate::error::{ErrorKind, LlmError};
use crate::stream::{Framing, StreamState};

/// An HTTP request an adapter wants sent. Header values that carry a key are marked sensitive,
/// so `Debug` output never shows them.
#[derive(Debug, Clone)]
pub struct WireRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL; it never holds a key.
    pub url: Url,
    /// Headers, authentication included.
    pub headers: HeaderMap,
    /// The JSON body of a POST.
    pub body: Option<Value>,
}

impl WireRequest {
    /// A GET of `url` with no headers.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// A POST of `body` as JSON to `url`.
    pub fn post(url: Url, body: Value) -> Self {
        Self {
            method: Method::POST,
            url,
            headers: HeaderMap::new(),
            body: Some(body),
        }
    }

    /// Adds a plain header.
    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        self
    }

    /// The same request with `field` set to `value` in its JSON body, as streaming requests
    /// add `"stream": true` to the body of the whole-answer request.
    pub fn with_body_field(mut self, field: &str, value: Value) -> Self {
        if let Some(Value::Object(body)) = self.body.as_mut() {
            body.insert(field.to_string(), value);
        }
        self
    }

    /// Adds a header that carries `secret` (prefixed by `prefix`, e.g. `"Bearer "`), marked
    /// sensitive. A key that cannot be a header value is an `[auth]` error that does not echo it.
    pub fn secret_header(
        mut self,
        name: &'static str,
        prefix: &str,
        secret: &Secret,
    ) -> Result<Self, LlmError> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", secret.expose()))
            .map_err(|_| {
                LlmError::new(
                    ErrorKind::Auth,
                    "the key holds characters that cannot be sent in an HTTP header (a stray newline or quote?)",
                )
            })?;
        value.set_sensitive(true);
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }
}

/// Appends `path` (which starts with `/`) to a base URL, whatever trailing slashes the base
/// has, keeping the base's own path (`https://host/v1/` + `/models` = `https://host/v1/models`).
pub fn join_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// One wire format. Implementations are pure: they build requests and read bodies.
pub trait Provider: Send + Sync + 'static {
    /// The request for one completion (`complete` and `chat` both come here). `key` is the
    /// credential to send, when there is one.
    fn completion_request(
        &self,
        request: &CompletionRequest,
        key: Option<&Secret>,
    ) -> Result<WireRequest, LlmError>;

    /// Reads a successful (2xx) completion body.
    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError>;

    /// Reads an error response: the kind, a readable message from the provider's error body,
    /// and whether a retry can help (spend limits and quotas cannot). Headers such as
    /// `retry-after` are read by the HTTP layer.
    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError;

    /// The request that lists the provider's models; it spends no tokens.
    fn models_request(&self, key: Option<&Secret>) -> Result<WireRequest, LlmError>;

    /// Reads the model listing.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError>;

    /// The highest temperature the provider accepts (the lowest is 0); calls above it are
    /// refused before they are sent.
    fn temperature_max(&self) -> f64 {
        2.0
    }

    /// How this wire format frames a stream, or `None` when it does not stream (the server
    /// then waits for the whole answer, sending heartbeats).
    fn stream_framing(&self) -> Option<Framing> {
        None
    }

    /// The streaming form of [`Provider::completion_request`]; only called when
    /// [`Provider::stream_framing`] is `Some`.
    fn stream_request(
        &self,
        request: &CompletionRequest,
        key: Option<&Secret>,
    ) -> Result<WireRequest, LlmError> {
        let _ = (request, key);
        Err(not_streaming())
    }

    /// Feeds one stream event into `state`: `event` is the SSE event name (`message` for
    /// unnamed SSE events, empty for NDJSON), `data` its payload. An error event mid-stream is an `Err`;
    /// the provider's final event sets `state.done`.
    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        let _ = (state, event, data);
        Err(not_streaming())
    }

    /// Called when the body ended before the final event: a provider whose servers may close
    /// without one (no `[DONE]`) can decide here that what arrived is complete. The default
    /// leaves the stream cut off.
    fn stream_end(&self, state: &mut StreamState) {
        let _ = state;
    }
}

fn not_streaming() -> LlmError {
    LlmError::new(ErrorKind::Internal, "this provider does not stream")
}

/// Parses a body as JSON of type `T`, or says which provider sent what instead.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, LlmError> {
    serde_json::from_slice(body).map_err(|err| {
        LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the provider's answer is not the documented JSON ({err}): {}",
                crate::error::excerpt(body)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_url_ignores_trailing_slashes_and_keeps_the_base_path() {
        let base = Url::parse("https://api.example.com/v1/").unwrap();
        assert_eq!(
            join_url(&base, "/chat/completions").as_str(),
            "https://api.example.com/v1/chat/completions"
        );
        let bare = Url::parse("https://api.anthropic.com").unwrap();
        assert_eq!(
            join_url(&bare, "/v1/messages").as_str(),
            "https://api.anthropic.com/v1/messages"
        );
    }

    #[test]
    fn secret_headers_are_sensitive_and_never_debug_printed() {
        let key = Secret::new("sk-very-secret".into());
        let request = WireRequest::get(Url::parse("https://x.test/").unwrap())
            .secret_header("authorization", "Bearer ", &key)
            .unwrap();
        assert!(request.headers["authorization"].is_sensitive());
        assert!(!format!("{request:?}").contains("sk-very-secret"));
    }

    #[test]
    fn a_key_with_a_newline_is_refused_without_echoing_it() {
        let key = Secret::new("sk-abc\nxyz".into());
        let err = WireRequest::get(Url::parse("https://x.test/").unwrap())
            .secret_header("x-api-key", "", &key)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(!err.message.contains("sk-abc"));
    }
}
