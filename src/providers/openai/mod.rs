//! OpenAI Chat Completions (`POST {base}/chat/completions`), also the wire format of every
//! OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama's `/v1`, the hosted presets of
//! [`crate::providers::presets`]) and of Azure OpenAI.
//!
//! Reference: <https://platform.openai.com/docs/api-reference/chat/create>. This file holds the
//! endpoint, its dialect and the [`Provider`]; `request` builds bodies, `response` reads
//! answers and model listings, `errors` reads error bodies, `streaming` reads streamed answers.

pub(crate) mod cache;
mod errors;
pub(crate) mod parts;
mod request;
mod response;
mod streaming;
pub(crate) mod structured;

use reqwest::Url;
use serde_json::{Value, json};

use crate::catalog::types::{TokenLimitField, ToolsApi};
use crate::completion::CompletionRequest;
use crate::config::Profile;
use crate::error::{ErrorKind, LlmError};
use crate::provider::{Credential, Provider, WireRequest, join_url};
use crate::stream::{Framing, StreamState};

pub use parts::PartStyle;

/// OpenAI's defaults (<https://developers.openai.com/api/docs/models>, read 2026-12-01). The
/// page's picks are GPT-6.2 Astra (the flagship), GPT-6.2 Sol (intelligence for the cost) and
/// GPT-6 Luna (cost-sensitive volume); `latest`, `mini` and `nano` name them, and the tier
/// names name their newest model. The default stays `gpt-5.5`: this binary speaks Chat
/// Completions, where the GPT-5.6 and GPT-6 models reject function tools (their pages: "tool
/// calling requires the Responses API", or only with `reasoning_effort: "none"`), while
/// `gpt-5.5` takes them there (see the catalog's `tools_api`), so `chat` with tools works out
/// of the box. A test checks that no alias or default names a model the catalog marks retired.
pub const PROFILE: Profile = Profile {
    backend: "openai",
    key_env: "OPENAI_API_KEY",
    key_required: true,
    base_url_env: "OPENAI_BASE_URL",
    base_url: "https://api.openai.com/v1",
    default_model: "gpt-5.5",
    temperature_max: 2.0,
    aliases: &[
        ("latest", "gpt-6.2-astra"),
        ("reasoning", "gpt-6.2-astra"),
        ("mini", "gpt-6.2-sol"),
        ("nano", "gpt-6-luna"),
        ("astra", "gpt-6.2-astra"),
        ("sol", "gpt-6.2-sol"),
        ("terra", "gpt-6.1-terra"),
        ("luna", "gpt-6-luna"),
        ("pro", "gpt-5.5-pro"),
        ("4o", "gpt-4o"),
    ],
};

/// Which body field carries the output token limit when the request does not say.
///
/// The request says when the catalog knows the model or the model refused `max_tokens`
/// earlier (`CompletionRequest::token_limit_field`, set by the server); this is the field for
/// a model nobody knows. OpenAI deprecated `max_tokens`, and its reasoning models refuse it
/// (`400 unsupported_parameter: Use 'max_completion_tokens' instead`), while many
/// OpenAI-compatible servers only know `max_tokens`
/// (<https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimit {
    /// `max_completion_tokens` on OpenAI's own API and on Azure OpenAI, which take it for
    /// every chat model and whose reasoning models take nothing else (Azure: "Reasoning models
    /// will only work with the max_completion_tokens parameter",
    /// <https://learn.microsoft.com/azure/foundry/openai/how-to/reasoning>); `max_tokens` on
    /// any other endpoint.
    ByEndpoint,
    /// `max_tokens` unless the request says otherwise.
    MaxTokens,
    /// `max_completion_tokens` unless the request says otherwise.
    MaxCompletionTokens,
    /// Always `max_tokens`, whatever the request says: the API knows no other field (Mistral
    /// answers `max_completion_tokens` with 422 `extra_forbidden`).
    OnlyMaxTokens,
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
        /// The `api-version` query parameter, e.g. `2025-04-01-preview`.
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
    parts: PartStyle,
}

impl OpenAi {
    /// OpenAI's own dialect at `base_url`, choosing the token-limit field by endpoint when the
    /// request does not name it.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            dialect: Dialect::OpenAi,
            token_limit: TokenLimit::ByEndpoint,
            stream_usage: true,
            parts: PartStyle::OpenAi,
        }
    }

    /// The same endpoint with another provider's content-part shapes (Mistral's).
    pub fn with_parts(mut self, parts: PartStyle) -> Self {
        self.parts = parts;
        self
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

    /// Whether the endpoint is OpenAI's own API (`api.openai.com`), which takes fields such
    /// as `prompt_cache_key` that compatible servers and Azure may refuse.
    fn is_own_api(&self) -> bool {
        self.dialect == Dialect::OpenAi
            && (self.base_url.host_str()).is_some_and(|h| h.eq_ignore_ascii_case("api.openai.com"))
    }

    /// The body field for the output token limit of `request`: the one the request names
    /// (from the catalog or an earlier refusal) when it is a Chat Completions field, else the
    /// endpoint's default. Other fields of the catalog (`max_output_tokens` of the Responses
    /// API, Gemini's `maxOutputTokens`) belong to other wire formats and do not apply here.
    fn token_field(&self, request: &CompletionRequest) -> &'static str {
        const MAX_TOKENS: &str = "max_tokens";
        const COMPLETION_TOKENS: &str = "max_completion_tokens";
        let default = match self.token_limit {
            TokenLimit::OnlyMaxTokens => return MAX_TOKENS,
            TokenLimit::MaxTokens => MAX_TOKENS,
            TokenLimit::MaxCompletionTokens => COMPLETION_TOKENS,
            TokenLimit::ByEndpoint if self.is_openai_endpoint() => COMPLETION_TOKENS,
            TokenLimit::ByEndpoint => MAX_TOKENS,
        };
        match request.token_limit_field {
            Some(TokenLimitField::MaxTokens) => MAX_TOKENS,
            Some(TokenLimitField::MaxCompletionTokens) => COMPLETION_TOKENS,
            _ => default,
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
                        // `push` percent-encodes the name, but a segment `.` or `..` is a dot
                        // segment: dropped, or taking `deployments` with it. Never a name.
                        if matches!(deployment, "" | "." | "..") {
                            return Err(LlmError::new(
                                ErrorKind::BadRequest,
                                format!(
                                    "{deployment:?} is not an Azure deployment name; name the \
                                     deployment as the model"
                                ),
                            ));
                        }
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
        let body = self.body(request)?;
        self.wire("/chat/completions", Some(&request.model), Some(body))
    }

    /// A model whose catalog entry says it takes function tools only over the Responses API
    /// (`tools_api: "responses"`) is refused here before anything is sent: its 400 would say
    /// to use `/v1/responses`, which this server reaches with `--api responses` or `auto`.
    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        let needs_responses = request
            .model_info
            .as_ref()
            .is_some_and(|m| m.tools_api == Some(ToolsApi::Responses));
        if needs_responses && !request.tools.is_empty() {
            return Err(LlmError::new(
                ErrorKind::BadRequest,
                format!(
                    "{} takes function tools only over the Responses API, and this call goes to \
                     Chat Completions (--api chat, or an endpoint not known to serve \
                     /responses): start the server with --api responses, or call without tools",
                    request.model
                ),
            ));
        }
        Ok(Vec::new())
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

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        structured::takes(request)
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
