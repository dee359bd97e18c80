//! The OpenAI Responses API (`POST {base}/responses`), beside Chat Completions: the API
//! OpenAI's current reasoning models need for function tools, and the only one through which
//! their reasoning items round-trip.
//!
//! Reference: <https://platform.openai.com/docs/api-reference/responses>. This file holds the
//! routes (OpenAI's, Azure's two, the Codex backend's) and the [`Provider`]; `request` builds
//! bodies, `response` reads answers, `replay` decides which output items go back on the next
//! turn, `errors` reads failures, `streaming` reads streamed answers, `adjust` takes out what
//! the format cannot carry. [`choice`] says which API a call of `llm-mcp-openai` goes to and
//! [`router`] sends it there.
//!
//! Stateless by default: every request says `store: false` and asks for
//! `reasoning.encrypted_content`, so nothing is kept at OpenAI and a reasoning model's items
//! travel back to the caller in `record.message` (as [`ProviderState`] of the backend's name)
//! and are sent again, unchanged, with the next `chat` turn.
//!
//! [`ProviderState`]: crate::completion::ProviderState

mod adjust;
pub mod choice;
mod errors;
mod items;
mod replay;
mod request;
mod response;
pub mod router;
mod streaming;
mod structured;

use std::sync::Arc;

use reqwest::Url;
use serde_json::Value;

use crate::completion::{Completion, CompletionRequest};
use crate::error::LlmError;
use crate::provider::{Credential, Provider, RequestSigner, WireRequest, join_url};
use crate::providers::openai::OpenAi;
use crate::stream::{Framing, StreamState};

/// The `api-version` of Azure's classic `/openai/responses` route when `--api-version` is one
/// that predates it: the Responses API came with `2025-03-01-preview`, and GA versions such as
/// the default `2024-10-21` have no such route
/// (<https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses>,
/// <https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle>).
pub const AZURE_RESPONSES_API_VERSION: &str = "2025-04-01-preview";

/// The first `api-version` with the Responses route.
const AZURE_FIRST_RESPONSES_VERSION: &str = "2025-03-01-preview";

/// The client version the Codex backend's model listing asks for
/// (`GET {base}/models?client_version=...`, codex-rs/codex-api/src/endpoint/models.rs).
const CODEX_CLIENT_VERSION: &str = "0.99.0";

/// Where the request goes and how the key travels.
#[derive(Clone)]
pub enum Route {
    /// `{base}/responses` with `Authorization: Bearer KEY` (OpenAI's API).
    OpenAi,
    /// Azure OpenAI's v1 API: `{resource}/openai/v1/responses`, `api-key` header, no
    /// `api-version` (<https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle>).
    AzureV1,
    /// Azure OpenAI's classic resource endpoint: `{resource}/openai/responses?api-version=...`,
    /// with the deployment name as the body's `model`, `api-key` header
    /// (<https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses>).
    AzureClassic {
        /// An `api-version` with the Responses route.
        api_version: String,
    },
    /// The ChatGPT backend the Codex CLI talks to with a `codex login`
    /// (`https://chatgpt.com/backend-api/codex`, codex-rs/model-provider-info/src/lib.rs):
    /// `{base}/responses`, the login's token and account headers added by `signer`, streams
    /// only, no output limit or sampling fields.
    Codex {
        /// Adds the login's headers to each request.
        signer: Arc<dyn RequestSigner>,
    },
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OpenAi => f.write_str("OpenAi"),
            Self::AzureV1 => f.write_str("AzureV1"),
            Self::AzureClassic { api_version } => write!(f, "AzureClassic({api_version})"),
            Self::Codex { .. } => f.write_str("Codex"),
        }
    }
}

impl Route {
    /// The route at `base_url` of an OpenAI-style endpoint (`azure` false) or of Azure OpenAI,
    /// as Chat Completions picks its own (see [`crate::providers::presets::provider`]): a base
    /// ending in `/openai/v1` is Azure's v1 API, any other Azure base the resource endpoint.
    pub fn for_endpoint(azure: bool, base_url: &Url, api_version: &str) -> Self {
        if !azure {
            Self::OpenAi
        } else if base_url
            .path()
            .trim_end_matches('/')
            .ends_with("/openai/v1")
        {
            Self::AzureV1
        } else {
            Self::azure_classic(api_version)
        }
    }

    /// Azure's classic route with `api_version` when it has the Responses route, else with
    /// [`AZURE_RESPONSES_API_VERSION`] (versions are dates, so they compare as text).
    pub fn azure_classic(api_version: &str) -> Self {
        let api_version = if api_version >= AZURE_FIRST_RESPONSES_VERSION {
            api_version
        } else {
            AZURE_RESPONSES_API_VERSION
        };
        Self::AzureClassic {
            api_version: api_version.to_string(),
        }
    }
}

/// The Responses wire format for one endpoint.
#[derive(Debug, Clone)]
pub struct Responses {
    base_url: Url,
    route: Route,
    /// The Chat Completions adapter of the same endpoint: model listings and error bodies are
    /// the same on both APIs.
    chat: OpenAi,
    /// The backend's name, which the provider state of its answers carries.
    format: String,
}

impl Responses {
    /// The Responses API at `base_url` (for Azure's classic route, the resource endpoint),
    /// beside `chat`, the same endpoint's Chat Completions adapter. `format` is the backend's
    /// profile name (`openai`, `azure`), so that state survives on the same backend.
    pub fn new(base_url: Url, route: Route, chat: OpenAi, format: &str) -> Self {
        Self {
            base_url,
            route,
            chat,
            format: format.to_string(),
        }
    }

    fn is_codex(&self) -> bool {
        matches!(self.route, Route::Codex { .. })
    }

    fn url(&self) -> Url {
        match &self.route {
            Route::AzureClassic { api_version } => {
                let path = self.base_url.path().trim_end_matches('/');
                let mut url = self.base_url.clone();
                url.set_path(path.strip_suffix("/openai").unwrap_or(path));
                let mut url = join_url(&url, "/openai/responses");
                url.query_pairs_mut()
                    .append_pair("api-version", api_version);
                url
            }
            _ => join_url(&self.base_url, "/responses"),
        }
    }
}

impl Provider for Responses {
    fn credential(&self) -> Credential {
        match &self.route {
            Route::OpenAi => Credential::BEARER,
            Route::AzureV1 | Route::AzureClassic { .. } => Credential::Header {
                name: "api-key",
                prefix: "",
            },
            Route::Codex { signer } => Credential::Signer(Arc::clone(signer)),
        }
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        crate::providers::openai::parts::check(
            request,
            crate::providers::openai::PartStyle::Responses,
        )?;
        let wire = WireRequest::post(self.url(), self.body(request));
        Ok(if self.is_codex() {
            wire.header("accept", "text/event-stream")
        } else {
            wire
        })
    }

    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        Ok(adjust::adjust(request, self.is_codex()))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        // A server that streams only (the Codex backend) answers with events even so.
        let start = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if matches!(start, Some(b'e' | b'd' | b':')) {
            return streaming::parse_events(body, &self.format);
        }
        let wire: response::WireResponse = crate::provider::parse_json(body)?;
        response::completion(&wire, &wire.output, &self.format, "")
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        errors::refine(self.chat.parse_error(status, body))
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        if !self.is_codex() {
            return self.chat.models_request();
        }
        let mut url = join_url(&self.base_url, "/models");
        url.query_pairs_mut()
            .append_pair("client_version", CODEX_CLIENT_VERSION);
        Ok(WireRequest::get(url))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        if self.is_codex() {
            response::parse_codex_models(body)
        } else {
            self.chat.parse_models(body)
        }
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        structured::takes(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Sse)
    }

    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        vec![("stream", Value::Bool(true))]
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, event, data, &self.format)
    }
}

#[cfg(test)]
mod tests;
