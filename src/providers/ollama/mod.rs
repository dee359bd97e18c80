//! Ollama's native chat API: `POST {base}/api/chat` with `"stream": false` (or `true`, read by
//! `streaming`), models from `GET {base}/api/tags`.
//!
//! API DOC: <https://github.com/ollama/ollama/blob/main/docs/api.md>
//! Tool calling: <https://docs.ollama.com/capabilities/tool-calling>
//!
//! - Sampling goes in `options` (`num_predict`, `temperature`, `top_p`, `stop`), not at the top
//!   level (OLL-3); the system prompt is a first `system` message.
//! - Tool calls come back as `message.tool_calls[].function.{name, arguments}` with the
//!   arguments already an object and, on most builds, no id: the id is then `call_{index}`.
//!   A tool result names the tool it answers (`tool_name`), found from the assistant turn that
//!   made the call with that id.
//! - Ollama has no `tool_choice`: `none` sends no tools, a named tool sends only that tool, and
//!   `required` cannot be enforced (the model is offered the tools and may still answer in text).
//! - Usage: `prompt_eval_count` is input, `eval_count` output; a missing count is unknown, not 0
//!   (it is absent when the prompt came from Ollama's cache, ollama#2068).
//! - `done_reason`: `stop` -> stop, `length` -> length, anything else (`load`, `unload`) ->
//!   other; a final object without one (older builds) -> stop.
//! - Thinking (<https://docs.ollama.com/capabilities/thinking>): `think` from the request's
//!   reasoning (a level for models the catalog lists with levels, such as gpt-oss, else true or
//!   false); `message.thinking` is the record's reasoning, and the thinking of a turn that called
//!   tools goes back with it (provider state, format `ollama`).
//! - Errors are `{"error": "..."}` with an HTTP status (404 for a model that is not pulled). A
//!   body without `message` (or a stream line without `done`) is another API's answer:
//!   `invalid_response`, not an empty success.

mod errors;
mod parts;
mod request;
mod response;
mod streaming;
mod structured;
#[cfg(test)]
mod tests;

use reqwest::Url;
use serde::Deserialize;

use crate::completion::{Completion, CompletionRequest};
use crate::config::Profile;
use crate::error::LlmError;
use crate::provider::{Credential, Provider, WireRequest, join_url, parse_json};
use crate::stream::{Framing, StreamState};

pub use errors::parse_error_body;

/// The name provider state made here carries (`ProviderState::format`): the backend's name.
const FORMAT: &str = PROFILE.backend;
pub use request::chat_body;
pub use response::parse_chat;

/// Ollama's defaults. The key is optional: only hosted Ollama (ollama.com) wants one.
pub const PROFILE: Profile = Profile {
    backend: "ollama",
    key_env: "OLLAMA_API_KEY",
    key_required: false,
    base_url_env: "OLLAMA_HOST",
    base_url: "http://127.0.0.1:11434",
    default_model: "llama3.2",
    temperature_max: 2.0,
    aliases: &[
        ("llama", "llama3.2"),
        ("qwen", "qwen3"),
        ("gemma", "gemma3"),
        ("coder", "qwen2.5-coder"),
        ("deepseek", "deepseek-r1"),
        ("gpt-oss", "gpt-oss:20b"),
    ],
};

/// The port Ollama listens on when `OLLAMA_HOST` names none.
const DEFAULT_PORT: u16 = 11434;

/// Turns an `OLLAMA_HOST` value into a base URL the way the `ollama` CLI reads it
/// (<https://github.com/ollama/ollama/blob/main/envconfig/config.go>, `Host`): no scheme means
/// `http` on port 11434, and a bare `:PORT` means this machine. The address a server binds to
/// (`0.0.0.0`, `::`) is not one a client can reach everywhere, so it becomes the loopback.
pub fn normalize_host(text: &str) -> String {
    let text = text.trim().trim_end_matches('/');
    let (with_scheme, had_scheme) = match text.split_once("://") {
        Some(_) => (text.to_string(), true),
        None => (format!("http://{text}"), false),
    };
    let with_host = match with_scheme.split_once("://") {
        Some((scheme, rest)) if rest.is_empty() || rest.starts_with(':') => {
            format!("{scheme}://127.0.0.1{rest}")
        }
        _ => with_scheme,
    };
    let Ok(mut url) = Url::parse(&with_host) else {
        // Left as it is, so configuration reports the bad value with its own message.
        return text.to_string();
    };
    let unspecified = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_unspecified(),
        _ => false,
    };
    if unspecified {
        let _ = url.set_host(Some("127.0.0.1"));
    }
    if !had_scheme && url.port().is_none() {
        let _ = url.set_port(Some(DEFAULT_PORT));
    }
    url.to_string().trim_end_matches('/').to_string()
}

/// The Ollama wire format.
#[derive(Debug, Clone)]
pub struct OllamaProvider {
    base_url: Url,
}

impl OllamaProvider {
    /// A provider sending to `base_url` (e.g. `<http://127.0.0.1:11434`>).
    pub fn new(base_url: Url) -> Self {
        Self { base_url }
    }
}

impl Provider for OllamaProvider {
    /// Only hosted Ollama (ollama.com) takes a key, as a bearer token.
    fn credential(&self) -> Credential {
        Credential::BEARER
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        parts::check(request)?;
        let url = join_url(&self.base_url, "/api/chat");
        Ok(WireRequest::post(url, chat_body(request)))
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_chat(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        Ok(WireRequest::get(join_url(&self.base_url, "/api/tags")))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        #[derive(Deserialize)]
        struct Tags {
            models: Vec<Tag>,
        }
        #[derive(Deserialize)]
        struct Tag {
            name: String,
        }
        let tags: Tags = parse_json(body)?;
        Ok(tags.models.into_iter().map(|m| m.name).collect())
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        structured::takes(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Ndjson)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        _event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, data)
    }
}
