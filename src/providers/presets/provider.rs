//! The adapter a preset runs: OpenAI's Chat Completions in OpenAI's or Azure's dialect, or
//! Mistral's own adapter for the mistral preset.

use reqwest::Url;
use serde_json::Value;

use super::{Preset, Wire};
use crate::completion::{Completion, CompletionRequest};
use crate::error::LlmError;
use crate::provider::{Credential, Provider, WireRequest};
use crate::providers::mistral::MistralProvider;
use crate::providers::openai::{Dialect, OpenAi};
use crate::stream::{Framing, StreamState};

/// The wire format of one preset: one type for `llm-mcp-openai`, whichever preset it runs.
#[derive(Debug, Clone)]
pub enum PresetProvider {
    /// Chat Completions (OpenAI, Azure and every compatible server).
    OpenAi(OpenAi),
    /// Mistral's chat completions, exactly as `llm-mcp-mistral` speaks them.
    Mistral(MistralProvider),
}

/// The wire format for `preset` at `base_url`.
///
/// Azure: a base whose path ends in `/openai/v1` uses the v1 API (OpenAI's routes, no
/// `api-version`); any other base is the resource endpoint and uses the classic deployment
/// routes with `api_version` (a trailing `/openai` on it is dropped, since the routes add it).
pub fn provider(preset: &Preset, base_url: &Url, api_version: &str) -> PresetProvider {
    let openai = match preset.wire {
        Wire::Mistral => return PresetProvider::Mistral(MistralProvider::new(base_url.clone())),
        Wire::OpenAi => OpenAi::new(base_url.clone()),
        Wire::Azure => azure(base_url, api_version),
    };
    PresetProvider::OpenAi(
        openai
            .with_token_limit(preset.token_limit)
            .with_stream_usage(preset.stream_usage),
    )
}

fn azure(base_url: &Url, api_version: &str) -> OpenAi {
    let path = base_url.path().trim_end_matches('/');
    if path.ends_with("/openai/v1") {
        return OpenAi::new(base_url.clone()).with_dialect(Dialect::AzureV1);
    }
    let mut endpoint = base_url.clone();
    endpoint.set_path(path.strip_suffix("/openai").unwrap_or(path));
    OpenAi::new(endpoint).with_dialect(Dialect::AzureDeployments {
        api_version: api_version.to_string(),
    })
}

impl PresetProvider {
    fn inner(&self) -> &dyn Provider {
        match self {
            Self::OpenAi(openai) => openai,
            Self::Mistral(mistral) => mistral,
        }
    }
}

impl Provider for PresetProvider {
    fn credential(&self) -> Credential {
        self.inner().credential()
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        self.inner().completion_request(request)
    }

    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        self.inner().adjust(request)
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        self.inner().parse_completion(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        self.inner().parse_error(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        self.inner().models_request()
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        self.inner().parse_models(body)
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        self.inner().maps_response_format(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        self.inner().stream_framing()
    }

    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        self.inner().stream_fields()
    }

    fn stream_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        self.inner().stream_request(request)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        self.inner().stream_event(state, event, data)
    }

    fn stream_end(&self, state: &mut StreamState) {
        self.inner().stream_end(state);
    }
}
