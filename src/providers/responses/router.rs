//! The backend of `llm-mcp-openai`: each call goes to Chat Completions or Responses as
//! [`ApiChoice`] says, over one connection pool and one set of keys.

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Responses;
use super::choice::{Api, ApiChoice};
use crate::backend::{Answer, Backend, CredentialStatus, Probe};
use crate::completion::{CompletionRequest, FinishReason};
use crate::error::LlmError;
use crate::http::HttpBackend;
use crate::providers::openai::OpenAi;

/// Chat Completions and Responses of one endpoint, and the rule that picks between them.
pub struct OpenAiBackend {
    choice: ApiChoice,
    speaks_responses: bool,
    /// `None` where only Responses is spoken (the Codex backend).
    chat: Option<HttpBackend<OpenAi>>,
    responses: HttpBackend<Responses>,
}

impl OpenAiBackend {
    /// Both APIs of one endpoint; `speaks_responses` says whether `auto` may send a call to
    /// Responses there (see [`super::choice::speaks_responses`]).
    pub fn new(
        choice: ApiChoice,
        speaks_responses: bool,
        chat: HttpBackend<OpenAi>,
        responses: Responses,
    ) -> Self {
        let responses = chat.sharing(responses);
        Self {
            choice,
            speaks_responses,
            chat: Some(chat),
            responses,
        }
    }

    /// An endpoint that speaks nothing but Responses (the Codex backend).
    pub fn responses_only(responses: HttpBackend<Responses>) -> Self {
        Self {
            choice: ApiChoice::Responses,
            speaks_responses: true,
            chat: None,
            responses,
        }
    }

    fn api(&self, request: &CompletionRequest) -> Api {
        match &self.chat {
            Some(_) => self.choice.pick(request, self.speaks_responses),
            None => Api::Responses,
        }
    }
}

/// The Responses API has no stop sequences (none among its parameters,
/// <https://platform.openai.com/docs/api-reference/responses/create>): they are taken out of
/// the request and the answer is cut at the first one, as the server does for models that
/// refuse `stop`.
fn without_stop(request: &mut CompletionRequest) -> Vec<String> {
    std::mem::take(&mut request.sampling.stop)
}

fn cut_at_stop(mut answer: Answer, stops: &[String]) -> Answer {
    let at = stops
        .iter()
        .filter(|stop| !stop.is_empty())
        .filter_map(|stop| answer.completion.output.find(stop.as_str()))
        .min();
    if let Some(at) = at {
        answer.completion.output.truncate(at);
        answer.completion.finish_reason = FinishReason::Stop;
    }
    answer
}

impl Backend for OpenAiBackend {
    async fn complete(
        &self,
        mut request: CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, LlmError> {
        match (self.api(&request), &self.chat) {
            (Api::Chat, Some(chat)) => chat.complete(request, deadline).await,
            _ => {
                let stops = without_stop(&mut request);
                let answer = self.responses.complete(request, deadline).await?;
                Ok(cut_at_stop(answer, &stops))
            }
        }
    }

    async fn complete_streaming(
        &self,
        mut request: CompletionRequest,
        deadline: Instant,
        deltas: mpsc::UnboundedSender<String>,
    ) -> Result<Answer, LlmError> {
        match (self.api(&request), &self.chat) {
            (Api::Chat, Some(chat)) => chat.complete_streaming(request, deadline, deltas).await,
            _ => {
                let stops = without_stop(&mut request);
                let answer = self
                    .responses
                    .complete_streaming(request, deadline, deltas)
                    .await?;
                Ok(cut_at_stop(answer, &stops))
            }
        }
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        match &self.chat {
            Some(chat) => chat.list_models().await,
            None => self.responses.list_models().await,
        }
    }

    async fn probe(&self) -> Probe {
        match &self.chat {
            Some(chat) => chat.probe().await,
            None => self.responses.probe().await,
        }
    }

    fn endpoint(&self) -> String {
        self.responses.endpoint()
    }

    fn credential_status(&self) -> Option<CredentialStatus> {
        self.responses.credential_status()
    }
}
