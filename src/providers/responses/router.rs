//! The backend of `llm-mcp-openai`: each call goes to Chat Completions or Responses as
//! [`ApiChoice`] says, over one connection pool and one set of keys.

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Responses;
use super::choice::{Api, ApiChoice};
use crate::backend::{Answer, Backend, CredentialStatus, Probe};
use crate::completion::CompletionRequest;
use crate::error::LlmError;
use crate::http::HttpBackend;
use crate::providers::presets::PresetProvider;

/// Chat Completions and Responses of one endpoint, and the rule that picks between them.
pub struct OpenAiBackend {
    apis: Apis,
}

/// The APIs an endpoint speaks.
// One value per server process, so the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Apis {
    /// Both: `choice` picks per call; `speaks_responses` says whether `auto` may pick
    /// Responses here.
    Both {
        choice: ApiChoice,
        speaks_responses: bool,
        chat: HttpBackend<PresetProvider>,
        responses: HttpBackend<Responses>,
    },
    /// Chat Completions only (a preset whose service has no Responses API, such as Mistral).
    ChatOnly(HttpBackend<PresetProvider>),
    /// Responses only (the Codex backend).
    ResponsesOnly(HttpBackend<Responses>),
}

/// Where one call goes.
enum Target<'a> {
    Chat(&'a HttpBackend<PresetProvider>),
    Responses(&'a HttpBackend<Responses>),
}

impl OpenAiBackend {
    /// Both APIs of one endpoint; `speaks_responses` says whether `auto` may send a call to
    /// Responses there (see [`super::choice::speaks_responses`]).
    pub fn new(
        choice: ApiChoice,
        speaks_responses: bool,
        chat: HttpBackend<PresetProvider>,
        responses: Responses,
    ) -> Self {
        let responses = chat.sharing(responses);
        Self {
            apis: Apis::Both {
                choice,
                speaks_responses,
                chat,
                responses,
            },
        }
    }

    /// An endpoint that speaks Chat Completions only.
    pub fn chat_only(chat: HttpBackend<PresetProvider>) -> Self {
        Self {
            apis: Apis::ChatOnly(chat),
        }
    }

    /// An endpoint that speaks nothing but Responses (the Codex backend).
    pub fn responses_only(responses: HttpBackend<Responses>) -> Self {
        Self {
            apis: Apis::ResponsesOnly(responses),
        }
    }

    fn target(&self, request: &CompletionRequest) -> Target<'_> {
        match &self.apis {
            Apis::Both {
                choice,
                speaks_responses,
                chat,
                responses,
            } => match choice.pick(request, *speaks_responses) {
                Api::Chat => Target::Chat(chat),
                Api::Responses => Target::Responses(responses),
            },
            Apis::ChatOnly(chat) => Target::Chat(chat),
            Apis::ResponsesOnly(responses) => Target::Responses(responses),
        }
    }

    /// The backend that lists models and answers probes: Chat Completions where there is one.
    fn listing(&self) -> Target<'_> {
        match &self.apis {
            Apis::Both { chat, .. } | Apis::ChatOnly(chat) => Target::Chat(chat),
            Apis::ResponsesOnly(responses) => Target::Responses(responses),
        }
    }
}

impl Backend for OpenAiBackend {
    async fn complete(
        &self,
        request: CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, LlmError> {
        match self.target(&request) {
            Target::Chat(chat) => chat.complete(request, deadline).await,
            Target::Responses(responses) => responses.complete(request, deadline).await,
        }
    }

    async fn complete_streaming(
        &self,
        request: CompletionRequest,
        deadline: Instant,
        deltas: mpsc::UnboundedSender<String>,
    ) -> Result<Answer, LlmError> {
        match self.target(&request) {
            Target::Chat(chat) => chat.complete_streaming(request, deadline, deltas).await,
            Target::Responses(responses) => {
                responses
                    .complete_streaming(request, deadline, deltas)
                    .await
            }
        }
    }

    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        match self.target(request) {
            Target::Chat(chat) => chat.adjust(request),
            Target::Responses(responses) => responses.adjust(request),
        }
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        match self.listing() {
            Target::Chat(chat) => chat.list_models().await,
            Target::Responses(responses) => responses.list_models().await,
        }
    }

    async fn probe(&self) -> Probe {
        match self.listing() {
            Target::Chat(chat) => chat.probe().await,
            Target::Responses(responses) => responses.probe().await,
        }
    }

    fn endpoint(&self) -> String {
        match self.listing() {
            Target::Chat(chat) => chat.endpoint(),
            Target::Responses(responses) => responses.endpoint(),
        }
    }

    fn credential_status(&self) -> Option<CredentialStatus> {
        match &self.apis {
            Apis::ResponsesOnly(responses) => responses.credential_status(),
            Apis::Both { chat, .. } | Apis::ChatOnly(chat) => chat.credential_status(),
        }
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        match self.target(request) {
            Target::Chat(chat) => chat.maps_response_format(request),
            Target::Responses(responses) => responses.maps_response_format(request),
        }
    }
}
