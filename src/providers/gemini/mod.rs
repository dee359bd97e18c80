//! Google Gemini's native API (AI Studio): `POST {base}/v1beta/models/{model}:generateContent`,
//! models from `GET {base}/v1beta/models`.
//!
//! API DOC: <https://ai.google.dev/api/generate-content>
//! Function calling: <https://ai.google.dev/gemini-api/docs/function-calling>
//! Errors: <https://ai.google.dev/gemini-api/docs/troubleshooting>
//!
//! - The key goes in the `x-goog-api-key` header, never in the URL (GEM-2); the model is one
//!   percent-encoded path segment, so no model name can change the path.
//! - The system prompt is `systemInstruction`; turns are `contents` with roles `user` and
//!   `model`; sampling is `generationConfig`. Tools are `functionDeclarations` whose parameters
//!   travel as `parametersJsonSchema` (full JSON Schema, unlike the OpenAPI subset of
//!   `parameters`), and `toolConfig.functionCallingConfig.mode` is AUTO, ANY or NONE.
//! - A tool result is a `functionResponse` part, which needs the function's name: it is found
//!   from the assistant turn that made the call with that id. Results that follow each other
//!   share one turn, as the function-calling guide does for parallel calls.
//! - Thought signatures (<https://ai.google.dev/gemini-api/docs/thought-signatures>): the parts
//!   of an answer that carry a `thoughtSignature` make the completion's provider state (format
//!   `gemini`, the answer's model, the candidate's parts as sent), and an assistant turn that
//!   carries it is sent back as exactly those parts; Gemini 3 answers 400 to a replayed
//!   `functionCall` without its signature. Only calls with no signature of their own (another
//!   model's or provider's history) get Google's documented dummy signature.
//! - Thinking: `generationConfig.thinkingConfig` from the request's reasoning (`thinkingLevel`
//!   for an effort, `thinkingBudget` for a budget, `includeThoughts` for `include`); thought
//!   summaries (`thought: true` parts) are the record's reasoning, never its output.
//! - Usage (GEM-3): input = `promptTokenCount` (cached included) + `toolUsePromptTokenCount`;
//!   cache reads = `cachedContentTokenCount`; output = `candidatesTokenCount` +
//!   `thoughtsTokenCount` (candidates exclude thoughts); reasoning = `thoughtsTokenCount`.
//! - Streaming (`:streamGenerateContent?alt=sse`) is read by `streaming`.
//! - `finishReason`: STOP -> stop, MAX_TOKENS -> length, SAFETY, RECITATION, BLOCKLIST,
//!   PROHIBITED_CONTENT, SPII and every IMAGE_* -> content_filter, anything else
//!   (MALFORMED_FUNCTION_CALL, LANGUAGE, OTHER, ...) -> other; function calls -> tool_calls. A
//!   blocked prompt (`promptFeedback.blockReason`) or a filtered answer with nothing in it is a
//!   `content_filter` error; any other non-stop reason with nothing in it is an error too
//!   (`upstream` for the model's failures, `bad_request` for the request's), never an empty
//!   success. A body without any Gemini field (another provider's API) is `invalid_response`.

mod errors;
mod parts;
mod request;
mod response;
mod streaming;
mod structured;
#[cfg(test)]
mod tests;

use reqwest::Url;

use crate::completion::{Completion, CompletionRequest};
use crate::config::Profile;
use crate::error::LlmError;
use crate::provider::{Credential, Provider, WireRequest, join_url};
use crate::stream::{Framing, StreamState};

pub use errors::parse_error_body;

/// The name provider state made here carries (`ProviderState::format`): the backend's name.
const FORMAT: &str = PROFILE.backend;
pub use request::{generate_body, model_segment};
pub use response::{parse_generate, parse_model_list};

/// Gemini's defaults. The aliases are Google's own rolling `-latest` names, so they follow each
/// new release (<https://ai.google.dev/gemini-api/docs/models#model-versions>).
pub const PROFILE: Profile = Profile {
    backend: "gemini",
    key_env: "GEMINI_API_KEY",
    key_required: true,
    base_url_env: "GEMINI_BASE_URL",
    base_url: "https://generativelanguage.googleapis.com",
    default_model: "gemini-flash-latest",
    temperature_max: 2.0,
    aliases: &[
        ("flash", "gemini-flash-latest"),
        ("flash-lite", "gemini-flash-lite-latest"),
        ("pro", "gemini-pro-latest"),
    ],
};

/// The Gemini wire format.
#[derive(Debug, Clone)]
pub struct GeminiProvider {
    base_url: Url,
}

impl GeminiProvider {
    /// A provider sending to `base_url` (e.g. `<https://generativelanguage.googleapis.com`>).
    pub fn new(base_url: Url) -> Self {
        Self { base_url }
    }
}

impl GeminiProvider {
    /// A POST of `request` to the model's `method` (`generateContent`, `streamGenerateContent`).
    fn model_request(
        &self,
        method: &str,
        request: &CompletionRequest,
    ) -> Result<WireRequest, LlmError> {
        parts::check(request)?;
        let path = format!("/v1beta/models/{}:{method}", model_segment(&request.model));
        let url = join_url(&self.base_url, &path);
        Ok(WireRequest::post(url, generate_body(request)))
    }
}

impl Provider for GeminiProvider {
    /// The `x-goog-api-key` header, never the URL (GEM-2).
    fn credential(&self) -> Credential {
        Credential::Header {
            name: "x-goog-api-key",
            prefix: "",
        }
    }

    fn completion_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        self.model_request("generateContent", request)
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Completion, LlmError> {
        parse_generate(body)
    }

    fn parse_error(&self, status: u16, body: &[u8]) -> LlmError {
        parse_error_body(status, body)
    }

    fn models_request(&self) -> Result<WireRequest, LlmError> {
        // 1000 is the largest page the API serves, far more than the models it lists, so one
        // page is the whole listing and no `pageToken` round trip is needed.
        let mut url = join_url(&self.base_url, "/v1beta/models");
        url.set_query(Some("pageSize=1000"));
        Ok(WireRequest::get(url))
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        parse_model_list(body)
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        structured::takes(request)
    }

    fn stream_framing(&self) -> Option<Framing> {
        Some(Framing::Sse)
    }

    /// `streamGenerateContent` with `alt=sse` (without it the answer is one JSON array, not
    /// events): the body and headers of [`Provider::completion_request`], the key still in the
    /// header (<https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent>).
    fn stream_request(&self, request: &CompletionRequest) -> Result<WireRequest, LlmError> {
        let mut wire = self.model_request("streamGenerateContent", request)?;
        wire.url.set_query(Some("alt=sse"));
        Ok(wire)
    }

    fn stream_event(
        &self,
        state: &mut StreamState,
        _event: &str,
        data: &str,
    ) -> Result<(), LlmError> {
        streaming::event(state, data)
    }

    fn stream_end(&self, state: &mut StreamState) {
        streaming::end(state);
    }
}
