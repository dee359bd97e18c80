//! Which of OpenAI's two APIs a call of `llm-mcp-openai` goes to (`--api`).
//!
//! | `--api` | a model the catalog says needs Responses | any other model |
//! |---|---|---|
//! | `chat` | Chat Completions | Chat Completions |
//! | `responses` | Responses | Responses |
//! | `auto` (default), at an endpoint the catalog knows (OpenAI's API, Azure OpenAI) | Responses | Chat Completions |
//! | `auto`, at any other endpoint (compatible servers, local servers, proxies) | Chat Completions | Chat Completions |
//!
//! "Needs Responses" is the catalog entry's `tools_api: "responses"`: GPT-5.6 and GPT-6
//! models refuse function tools on Chat Completions ("Function tools with reasoning_effort
//! are not supported for MODEL in /v1/chat/completions. To use function tools, use
//! /v1/responses", langflow#14361) and only Responses carries their reasoning items.

use crate::catalog::Catalog;
use crate::catalog::lookup::host_matches;
use crate::catalog::types::ToolsApi;
use crate::completion::CompletionRequest;

/// The `--api` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ApiChoice {
    /// Chat Completions for every call.
    Chat,
    /// Responses for every call.
    Responses,
    /// What the catalog says each model needs, Chat Completions otherwise.
    #[default]
    Auto,
}

/// One of the two APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `POST {base}/chat/completions`.
    Chat,
    /// `POST {base}/responses`.
    Responses,
}

impl ApiChoice {
    /// The API for `request`, at an endpoint that speaks Responses (`speaks_responses`,
    /// see [`speaks_responses`]) or not.
    pub fn pick(self, request: &CompletionRequest, speaks_responses: bool) -> Api {
        match self {
            Self::Chat => Api::Chat,
            Self::Responses => Api::Responses,
            Self::Auto => {
                let needs = request
                    .model_info
                    .as_ref()
                    .is_some_and(|m| m.tools_api == Some(ToolsApi::Responses));
                if needs && speaks_responses {
                    Api::Responses
                } else {
                    Api::Chat
                }
            }
        }
    }
}

/// Whether the endpoint at `host` is one the catalog's `provider` lists (OpenAI's own API,
/// Azure OpenAI, or where a `--catalog` file moved them): those serve `/responses` beside
/// `/chat/completions`. A host the catalog does not list may be any compatible server, which
/// is only known to speak Chat Completions.
pub fn speaks_responses(catalog: &Catalog, provider: Option<&str>, host: Option<&str>) -> bool {
    let (Some(provider), Some(host)) = (provider, host) else {
        return false;
    };
    catalog.provider(provider).is_some_and(|p| {
        p.endpoints.iter().any(|e| {
            e.hosts
                .iter()
                .any(|pattern| pattern != "*" && host_matches(pattern, host))
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::types::ModelEntry;

    fn request(tools_api: Option<ToolsApi>) -> CompletionRequest {
        let entry: ModelEntry = serde_json::from_value(serde_json::json!({"id": "m"})).unwrap();
        CompletionRequest {
            model: "m".into(),
            model_info: Some(Arc::new(ModelEntry { tools_api, ..entry })),
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn auto_follows_the_catalog_only_at_an_endpoint_that_speaks_responses() {
        let needs = request(Some(ToolsApi::Responses));
        let chat = request(Some(ToolsApi::ChatCompletions));
        let unknown = CompletionRequest::default();
        assert_eq!(ApiChoice::Auto.pick(&needs, true), Api::Responses);
        assert_eq!(ApiChoice::Auto.pick(&needs, false), Api::Chat);
        assert_eq!(ApiChoice::Auto.pick(&chat, true), Api::Chat);
        assert_eq!(ApiChoice::Auto.pick(&unknown, true), Api::Chat);
        assert_eq!(ApiChoice::Responses.pick(&unknown, false), Api::Responses);
        assert_eq!(ApiChoice::Chat.pick(&needs, true), Api::Chat);
    }

    #[test]
    fn openai_and_azure_hosts_speak_responses_and_others_do_not() {
        let catalog = Catalog::with_files(&[]).unwrap();
        let openai = Some("openai");
        assert!(speaks_responses(&catalog, openai, Some("api.openai.com")));
        assert!(speaks_responses(
            &catalog,
            openai,
            Some("me.openai.azure.com")
        ));
        assert!(!speaks_responses(&catalog, openai, Some("localhost")));
        assert!(!speaks_responses(&catalog, openai, Some("openrouter.ai")));
        assert!(!speaks_responses(&catalog, None, Some("api.openai.com")));
    }
}
