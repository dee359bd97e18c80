//! Mistral La Plateforme: `POST {base}/v1/chat/completions`, models from `GET {base}/v1/models`.
//!
//! API DOC: <https://docs.mistral.ai/api/#tag/chat> (OpenAPI: github.com/mistralai/platform-docs-public)
//! Models: <https://docs.mistral.ai/getting-started/models/>
//!
//! The body is OpenAI's Chat Completions shape, so requests, answers and listings reuse
//! [`crate::providers::openai`] (with `max_tokens`, the only limit field Mistral accepts: it
//! refuses unknown fields such as `max_completion_tokens` with a 422). What differs is here:
//! - Tool call ids must be 9 characters `[a-zA-Z0-9]` (`Tool call id was ... but must be a-z,
//!   A-Z, 0-9, with a length of 9`), so ids from other providers in a replayed conversation are
//!   mapped, deterministically, onto such ids; Mistral's own ids pass unchanged.
//! - `finish_reason` adds `model_length` (the context window is full) -> length; `error` ->
//!   other. The rest is OpenAI's table (stop, length, tool_calls).
//! - `tool_choice`: auto, none, `required` (which Mistral documents as a synonym of `any`), or
//!   a named function.
//! - Errors: `{"object": "error", "message": ..., "type": ..., "code": ...}` where `message`
//!   may itself hold a 422 validation `{"detail": [{"loc", "msg", ...}]}`, a bare
//!   `{"detail": ...}`, or `{"message": "Unauthorized", "request_id": ...}`.
//! - Temperature: the reference gives no upper bound, only advice (0.0 to 0.7), so the shared
//!   0 to 2 check applies and a value Mistral refuses comes back as its own 422 detail. The
//!   seed field is `random_seed`; calls carry no seed, so none is sent.
//! - Streams are OpenAI's without `stream_options` (Mistral refuses it and sends the usage
//!   unasked); `streaming` adds what differs.

mod errors;
mod request;
mod response;
mod streaming;
#[cfg(test)]
mod tests;

use reqwest::Url;
use serde_json::Value;

use crate::completion::{Completion, CompletionRequest};
use crate::config::Profile;
use crate::error::LlmError;
use crate::provider::{Credential, Provider, WireRequest, join_url};
use crate::providers::openai::{OpenAi, PartStyle, TokenLimit};
use crate::stream::{Framing, StreamState};

use request::with_mistral_ids;

pub use errors::parse_error_body;
pub use response::parse_chat;

/// Mistral's defaults and short names for its current `-latest` models. Magistral and Devstral
/// were folded into Mistral Medium 3.5 ("Replacement: Mistral Medium 3.5",
/// <https://docs.mistral.ai/models/magistral-medium-1-0-25-06.md>; the catalog marks
/// `magistral-medium-latest` and `devstral-medium-latest` retired), so their short names now
/// name it; a test checks that no alias or default names a model the catalog marks retired.
pub const PROFILE: Profile = Profile {
    backend: "mistral",
    key_env: "MISTRAL_API_KEY",
    key_required: true,
    base_url_env: "MISTRAL_BASE_URL",
    base_url: "https://api.mistral.ai",
    default_model: "mistral-medium-latest",
    temperature_max: 2.0,
    aliases: &[
        ("small", "mistral-small-latest"),
        ("medium", "mistral-medium-latest"),
        ("large", "mistral-large-latest"),
        ("mini", "ministral-8b-latest"),
        ("tiny", "ministral-3b-latest"),
        ("code", "codestral-latest"),
        ("devstral", "mistral-medium-latest"),
        ("magistral", "mistral-medium-latest"),
    ],
};

/// The Mistral wire format.
#[derive(Debug, Clone)]
pub struct MistralProvider {
    inner: OpenAi,
}

impl MistralProvider {
    /// A provider sending to `base_url` (`<https://api.mistral.ai`>); a base that already ends
    /// in `/v1`, as OpenAI-style clients spell it, is taken as it is.
    pub fn new(base_url: Url) -> Self {
        let api = if base_url.path().trim_end_matches('/').ends_with("/v1") {
            base_url
        } else {
            join_url(&base_url, "/v1")
        };
        Self {
            inner: OpenAi::new(api)
                .with_token_limit(TokenLimit::OnlyMaxTokens)
                .with_stream_usage(false)
                .with_parts(PartStyle::Mistral),
        }
    }
}

impl Provider for MistralProvider {
    fn credential(&self) -> Credential {
        self.inner.credential()
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        self.inner.completion_request(&with_mistral_ids(request))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_chat(&self.inner, body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        self.inner.models_request()
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        self.inner.parse_models(body)
    }

    /// Mistral's `response_format` has OpenAI's shapes
    /// (<https://docs.mistral.ai/capabilities/structured-output/custom_structured_output/>), so
    /// the inner adapter maps it, for the models the catalog says take it.
    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        self.inner.maps_response_format(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        self.inner.stream_framing()
    }

    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        self.inner.stream_fields()
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(&self.inner, state, event, data)
    }

    fn stream_end(&self, state: &mut StreamState) {
        self.inner.stream_end(state);
    }
}
