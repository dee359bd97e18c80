//! The Anthropic Messages API, and Anthropic-compatible endpoints (Ollama, proxies, gateways).
//!
//! API DOC: <https://docs.anthropic.com/en/api/messages> (request and response),
//! <https://docs.claude.com/en/api/messages-streaming> (streamed answers),
//! <https://docs.anthropic.com/en/api/errors> (error bodies),
//! <https://docs.anthropic.com/en/api/models-list> (model listing).
//!
//! The mapping is split by direction: `request` builds the body of `POST /v1/messages`,
//! `response` reads its answer, `streaming` reads a streamed answer, `errors` reads error
//! bodies, `tests` checks the whole. This file holds the profile, how the key travels and the
//! [`Provider`] implementation that ties them together.

mod cache;
mod errors;
mod parts;
mod request;
mod response;
mod streaming;
mod structured;
mod thinking;

use reqwest::Url;
use serde::Deserialize;

use crate::completion::{Completion, CompletionRequest};
use crate::config::Profile;
use crate::error::LlmError;
use crate::provider::{Credential, Provider, WireRequest, join_url, parse_json};
use crate::stream::{Framing, StreamState};

/// Anthropic's defaults. Model ids and aliases follow the models overview
/// (<https://platform.claude.com/docs/en/about-claude/models/overview>) and the Haiku 5.5 page
/// ("Latest. Released October 7, 2026. Model ID: `claude-haiku-5-5`",
/// <https://platform.claude.com/docs/en/models/haiku-5-5/overview>): Sonnet is the default
/// because it is the balance of speed, price and capability the overview recommends for most
/// applications; `opus` and `haiku` are the capable and the fast ends of the family.
pub const PROFILE: Profile = Profile {
    backend: "anthropic",
    key_env: "ANTHROPIC_API_KEY",
    key_required: true,
    base_url_env: "ANTHROPIC_BASE_URL",
    base_url: "https://api.anthropic.com",
    default_model: "claude-sonnet-5-5",
    // The Messages API takes temperature from 0 to 1
    // (<https://docs.anthropic.com/en/api/messages>), not OpenAI's 0 to 2.
    temperature_max: 1.0,
    aliases: &[
        ("haiku", "claude-haiku-5-5"),
        ("sonnet", "claude-sonnet-5-5"),
        ("opus", "claude-opus-5-5"),
    ],
};

/// The API version every request names (<https://docs.anthropic.com/en/api/versioning>).
pub const API_VERSION: &str = "2023-06-01";

/// The variable Anthropic's own tools (Claude Code, the SDKs) read a bearer token from; keys
/// taken from it are sent as `Authorization: Bearer`, as Anthropic-compatible endpoints and
/// proxies expect (<https://docs.ollama.com/api/anthropic-compatibility>).
pub const AUTH_TOKEN_ENV: &str = "ANTHROPIC_AUTH_TOKEN";

/// How the key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthHeader {
    /// `x-api-key: KEY`, what api.anthropic.com expects.
    XApiKey,
    /// `Authorization: Bearer KEY`, what many compatible endpoints and proxies expect.
    Bearer,
}

impl AuthHeader {
    /// The header to use: `forced` (the `--auth-header` flag) when given, otherwise bearer when
    /// the key comes from [`AUTH_TOKEN_ENV`] and `x-api-key` for any other variable.
    pub fn for_key_env(forced: Option<AuthHeader>, key_env: &str) -> Self {
        forced.unwrap_or(if key_env == AUTH_TOKEN_ENV {
            Self::Bearer
        } else {
            Self::XApiKey
        })
    }
}

/// The variable to read the key from when `--api-key-env` is not given: `ANTHROPIC_API_KEY`,
/// unless it (and its `_FILE`) is unset while [`AUTH_TOKEN_ENV`] (or its `_FILE`) is set, the
/// way Claude Code and the SDKs fall back. `None` keeps the profile's default.
pub fn fallback_key_env(env: &dyn Fn(&str) -> Option<String>) -> Option<&'static str> {
    let set = |name: &str| {
        let file = format!("{name}_FILE");
        [name, file.as_str()]
            .iter()
            .any(|var| env(var).is_some_and(|v| !v.trim().is_empty()))
    };
    (!set(PROFILE.key_env) && set(AUTH_TOKEN_ENV)).then_some(AUTH_TOKEN_ENV)
}

/// The Messages API wire format.
#[derive(Debug, Clone)]
pub struct Anthropic {
    base_url: Url,
    auth: AuthHeader,
}

impl Anthropic {
    /// An adapter for the endpoint at `base_url` (without `/v1`, as the SDKs take it), sending
    /// the key as `auth` says.
    pub fn new(base_url: Url, auth: AuthHeader) -> Self {
        Self { base_url, auth }
    }

    /// Adds the version header every request names.
    fn versioned(&self, wire: WireRequest) -> WireRequest {
        wire.header("anthropic-version", API_VERSION)
    }
}

/// The model listing: `data[].id`, newest first.
#[derive(Deserialize)]
struct ModelPage {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

impl Provider for Anthropic {
    fn credential(&self) -> Credential {
        match self.auth {
            AuthHeader::XApiKey => Credential::Header {
                name: "x-api-key",
                prefix: "",
            },
            AuthHeader::Bearer => Credential::BEARER,
        }
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        parts::check(request)?;
        let url = join_url(&self.base_url, "/v1/messages");
        let wire = WireRequest::post(url, request::body(request))
            .header("content-type", "application/json");
        Ok(self.versioned(wire))
    }

    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        let default_limit = request::default_max_tokens(&request.model);
        Ok(thinking::adjust(request, default_limit))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        response::parse(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        errors::parse(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        let mut url = join_url(&self.base_url, "/v1/models");
        // The page size defaults to 20 and is at most 1000: one page holds every model.
        url.set_query(Some("limit=1000"));
        Ok(self.versioned(WireRequest::get(url)))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        let page: ModelPage = parse_json(body)?;
        Ok(page.data.into_iter().map(|m| m.id).collect())
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        structured::takes(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Sse)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        _event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::feed(state, data)
    }
}

#[cfg(test)]
mod tests;
