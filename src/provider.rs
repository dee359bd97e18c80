//! The [`Provider`] trait: a pure mapping between the neutral types of
//! [`crate::completion`] and one provider's wire format.
//!
//! An adapter builds [`WireRequest`]s and reads bodies; it never performs IO. `http.rs` sends
//! what adapters build, so timeouts, retries and cancellation live in one place (the shape of
//! rust-genai's `to_web_request_data` / `to_chat_response`).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::Method;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::completion::{Completion, CompletionRequest};
use crate::error::{ErrorKind, LlmError};
use crate::secret::Secret;
use crate::stream::{Framing, StreamState};

/// An HTTP request an adapter wants sent. Header values that carry a key are marked sensitive,
/// so `Debug` output never shows them.
#[derive(Debug, Clone)]
pub struct WireRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL; it never holds a key.
    pub url: Url,
    /// Headers; the credential is added by the HTTP layer, never by an adapter.
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
}

/// Appends `path` (which starts with `/`) to a base URL, whatever trailing slashes the base
/// has, keeping the base's own path (`https://host/v1/` + `/models` = `https://host/v1/models`).
pub fn join_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// How a provider's credential travels. Adapters only say which; the HTTP layer attaches the
/// key to the request it is about to send, so no adapter ever holds a secret. A server that
/// takes no key simply gets none (the key is optional at [`crate::http::credential::attach`]).
/// There is deliberately no query-parameter scheme: a URL is quoted in transport errors and
/// logs, a header marked sensitive never is (Gemini takes `x-goog-api-key` for that reason).
#[derive(Clone)]
pub enum Credential {
    /// A header holding `prefix` then the key (`authorization: Bearer KEY`, `x-api-key: KEY`),
    /// marked sensitive.
    Header {
        /// The header's name, lowercase.
        name: &'static str,
        /// What goes before the key, e.g. `"Bearer "`; empty for a bare key.
        prefix: &'static str,
    },
    /// A scheme that needs the whole request and the clock (AWS SigV4 and the like).
    Signer(Arc<dyn RequestSigner>),
}

impl Credential {
    /// `authorization: Bearer KEY`, the most common scheme.
    pub const BEARER: Self = Self::Header {
        name: "authorization",
        prefix: "Bearer ",
    };
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header { name, prefix } => write!(f, "Header({name}: {prefix:?}...)"),
            Self::Signer(_) => f.write_str("Signer"),
        }
    }
}

/// Signs a fully built request with a key at a moment in time, adding whatever headers the
/// scheme wants (a signature over method, URL, headers and body, and the time it was made).
pub trait RequestSigner: Send + Sync + 'static {
    /// Adds the signature for `key` at `now` to `request`. Header values that carry secret
    /// material must be marked sensitive.
    fn sign(
        &self,
        request: &mut WireRequest,
        key: &Secret,
        now: SystemTime,
    ) -> Result<(), LlmError>;
}

/// One wire format. Implementations are pure: they build requests and read bodies.
pub trait Provider: Send + Sync + 'static {
    /// How the key travels; the HTTP layer attaches it to every request this provider builds.
    fn credential(&self) -> Credential;

    /// The request for one completion (`complete` and `chat` both come here), without the
    /// credential.
    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError>;

    /// Reads a successful (2xx) completion body.
    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError>;

    /// Reads an error response: the kind, a readable message from the provider's error body,
    /// and whether a retry can help (spend limits and quotas cannot). Headers such as
    /// `retry-after` are read by the HTTP layer.
    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError;

    /// The request that lists the provider's models; it spends no tokens.
    fn models_request(&self) -> Result<WireRequest, LlmError>;

    /// Reads the model listing.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError>;

    /// What this wire format changes in `request` before it is written (a field it does not
    /// carry, a limit it computes differently), done to the neutral request so that the record
    /// can say so: one warning per change. A request it cannot carry in any form is an error.
    /// By default nothing changes.
    fn adjust(&self, _request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }

    /// Whether this wire format puts `request.response_format` into its own control for the
    /// request's model (a JSON mode, a schema); when not, the server asks for it in the system
    /// prompt instead (see [`crate::structured`]).
    fn maps_response_format(&self, _request: &CompletionRequest) -> bool {
        false
    }

    /// How this wire format frames a stream, or `None` when it does not stream (the server
    /// then waits for the whole answer, sending heartbeats).
    fn stream_framing(&self) -> Option<Framing> {
        None
    }

    /// The body fields that turn the completion request into a streaming one; `"stream":
    /// true` unless the format wants more.
    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        vec![("stream", Value::Bool(true))]
    }

    /// The streaming form of [`Provider::completion_request`]; only called when
    /// [`Provider::stream_framing`] is `Some`. By default the completion request with the
    /// [`Provider::stream_fields`] set in its body.
    fn stream_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        let wire = self.completion_request(request)?;
        Ok(self
            .stream_fields()
            .into_iter()
            .fold(wire, |wire, (field, value)| {
                wire.with_body_field(field, value)
            }))
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
}
