//! OpenAI Chat Completions (`POST {base}/chat/completions`), also the wire format of every
//! OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama's `/v1`, the hosted presets of
//! [`crate::providers::presets`]) and of Azure OpenAI.
//!
//! Reference: <https://platform.openai.com/docs/api-reference/chat/create>. This file holds the
//! endpoint, its dialect and the [`Provider`]; `request` builds bodies, `response` reads
//! answers and model listings, `errors` reads error bodies, `streaming` reads streamed answers.

mod errors;
mod request;
mod response;
mod streaming;

use reqwest::Url;
use serde_json::{Value, json};

use crate::completion::CompletionRequest;
use crate::config::Profile;
use crate::error::{ErrorKind, LlmError};
use crate::provider::{Credential, Provider, WireRequest, join_url};
use crate::stream::{Framing, StreamState};

use request::takes_completion_tokens;

/// OpenAI's defaults. Models: <https://platform.openai.com/docs/models> (GPT-5.5 is the current
/// flagship, GPT-5.4 mini and nano the small tiers, o3 and o4-mini the o-series).
pub const PROFILE: Profile = Profile {
    backend: "openai",
    key_env: "OPENAI_API_KEY",
    key_required: true,
    base_url_env: "OPENAI_BASE_URL",
    base_url: "https://api.openai.com/v1",
    default_model: "gpt-5.5",
    temperature_max: 2.0,
    aliases: &[
        ("latest", "gpt-5.5"),
        ("pro", "gpt-5.5-pro"),
        ("mini", "gpt-5.4-mini"),
        ("nano", "gpt-5.4-nano"),
        ("reasoning", "o3"),
        ("4o", "gpt-4o"),
    ],
};

/// Which body field carries the output token limit.
///
/// `max_tokens` is deprecated by OpenAI and rejected by o-series and GPT-5 models
/// (`400 unsupported_parameter: Use 'max_completion_tokens' instead`), while many
/// OpenAI-compatible servers only know `max_tokens`
/// (<https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimit {
    /// `max_completion_tokens` for o-series and GPT-5 models on OpenAI's own endpoint (and
    /// Azure OpenAI), `max_tokens` for every other model and endpoint (rust-genai's rule).
    ByModel,
    /// Always `max_tokens`.
    MaxTokens,
    /// Always `max_completion_tokens`.
    MaxCompletionTokens,
}

/// How the key travels and where the request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    /// `{base}/chat/completions` with `Authorization: Bearer KEY`.
    OpenAi,
    /// Azure OpenAI's v1 API: the base ends in `/openai/v1`, paths as OpenAI's, `api-key`
    /// header, no `api-version`
    /// (<https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle>).
    AzureV1,
    /// Azure OpenAI's classic data plane:
    /// `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...` with the
    /// deployment taken from the model name, `api-key` header
    /// (<https://learn.microsoft.com/azure/ai-foundry/openai/reference>).
    AzureDeployments {
        /// The `api-version` query parameter, e.g. `2024-10-21`.
        api_version: String,
    },
}

/// The Chat Completions wire format for one endpoint.
#[derive(Debug, Clone)]
pub struct OpenAi {
    base_url: Url,
    dialect: Dialect,
    token_limit: TokenLimit,
    stream_usage: bool,
}

impl OpenAi {
    /// OpenAI's own dialect at `base_url`, choosing the token-limit field by model.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            dialect: Dialect::OpenAi,
            token_limit: TokenLimit::ByModel,
            stream_usage: true,
        }
    }

    /// The same endpoint asking (or not) for the usage chunk of a stream with
    /// `stream_options: {"include_usage": true}`; a preset whose server rejects the field
    /// turns it off.
    pub fn with_stream_usage(mut self, stream_usage: bool) -> Self {
        self.stream_usage = stream_usage;
        self
    }

    /// Whether a stream request carries `stream_options`. Azure's classic routes reject it
    /// before `api-version` 2024-08-01-preview (`2023-05-15`: openai/openai-python#1469; it
    /// works with 2024-10-21: griptape-ai/griptape#1640); versions are dates, so they compare
    /// as text.
    fn asks_stream_usage(&self) -> bool {
        match &self.dialect {
            Dialect::AzureDeployments { api_version } => {
                self.stream_usage && api_version.as_str() >= "2024-08-01"
            }
            _ => self.stream_usage,
        }
    }

    /// The same endpoint with another dialect (Azure).
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The same endpoint with a fixed token-limit field (a preset's).
    pub fn with_token_limit(mut self, token_limit: TokenLimit) -> Self {
        self.token_limit = token_limit;
        self
    }

    /// Whether the endpoint is OpenAI's own API or Azure OpenAI, which run OpenAI's models with
    /// OpenAI's parameter rules.
    fn is_openai_endpoint(&self) -> bool {
        let host = self.base_url.host_str().unwrap_or_default();
        self.dialect != Dialect::OpenAi
            || host.eq_ignore_ascii_case("api.openai.com")
            || host.to_ascii_lowercase().ends_with(".openai.azure.com")
    }

    /// The body field for the output token limit of `model`.
    fn token_field(&self, model: &str) -> &'static str {
        let completion_tokens = match self.token_limit {
            TokenLimit::MaxTokens => false,
            TokenLimit::MaxCompletionTokens => true,
            TokenLimit::ByModel => self.is_openai_endpoint() && takes_completion_tokens(model),
        };
        if completion_tokens {
            "max_completion_tokens"
        } else {
            "max_tokens"
        }
    }

    /// A request to `path` (after the base, or after the deployment for Azure classic).
    fn wire(
        &self,
        path: &str,
        deployment: Option<&str>,
        body: Option<Value>,
    ) -> Result<WireRequest, LlmError> {
        let url = match (&self.dialect, deployment) {
            (Dialect::AzureDeployments { api_version }, deployment) => {
                let mut url = join_url(&self.base_url, "/openai");
                {
                    let mut segments = url.path_segments_mut().map_err(|()| {
                        LlmError::new(ErrorKind::Internal, "the Azure endpoint cannot take a path")
                    })?;
                    if let Some(deployment) = deployment {
                        // `push` percent-encodes the name: a model name never rewrites the path.
                        segments.push("deployments").push(deployment);
                    }
                    segments.extend(path.trim_start_matches('/').split('/'));
                }
                url.query_pairs_mut()
                    .append_pair("api-version", api_version);
                url
            }
            _ => join_url(&self.base_url, path),
        };
        Ok(match body {
            Some(body) => WireRequest::post(url, body),
            None => WireRequest::get(url),
        })
    }
}

impl Provider for OpenAi {
    /// A bearer token for OpenAI's dialect, Azure's `api-key` header for both Azure dialects.
    fn credential(&self) -> Credential {
        match self.dialect {
            Dialect::OpenAi => Credential::BEARER,
            _ => Credential::Header {
                name: "api-key",
                prefix: "",
            },
        }
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        let body = self.body(request);
        self.wire("/chat/completions", Some(&request.model), Some(body))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<crate::completion::Completion, LlmError> {
        response::parse_completion(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        errors::parse_error(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        self.wire("/models", None, None)
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        response::parse_models(body)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Sse)
    }

    /// `"stream": true` and, unless the endpoint rejects it, `stream_options.include_usage`
    /// (without it a stream reports no usage:
    /// <https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options>).
    fn stream_fields(&self) -> Vec<(&'static str, Value)> {
        let mut fields = vec![("stream", json!(true))];
        if self.asks_stream_usage() {
            fields.push(("stream_options", json!({"include_usage": true})));
        }
        fields
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, event, data, self.asks_stream_usage())
    }

    fn stream_end(&self, state: &mut StreamState) {
        streaming::end(state);
    }
}

/// Whether `url` points at this machine (`localhost`, 127.0.0.0/8, `::1`): a local
/// OpenAI-compatible server (vLLM, llama.cpp, LM Studio) that needs no key.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether calls to `base_url` need a key: every endpoint does except one on this machine.
/// A text that is not a URL needs one (configuration reports the bad URL itself).
pub fn needs_key(base_url: &str) -> bool {
    Url::parse(base_url.trim()).map_or(true, |url| !is_loopback(&url))
}

#[cfg(test)]
mod tests;
