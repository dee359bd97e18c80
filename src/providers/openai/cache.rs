//! OpenAI's prompt caching is automatic for prompts of 1024 tokens or more; `prompt_cache_key`
//! routes requests that share a prefix to the same cache, raising the hit rate
//! (<https://platform.openai.com/docs/guides/prompt-caching>,
//! <https://platform.openai.com/docs/api-reference/chat/create#chat-create-prompt_cache_key>).
//! The key is the caller's `cache_key`, else the server's instance name. Sent to OpenAI's own
//! API only: compatible servers may refuse unknown fields (Mistral answers 422
//! `extra_forbidden`). The Responses API takes the same field
//! (<https://platform.openai.com/docs/api-reference/responses/create#responses_create-prompt_cache_key>),
//! and every route it has here is OpenAI's service (OpenAI, Azure OpenAI, the Codex backend).

use serde_json::{Map, Value, json};

use crate::completion::CompletionRequest;

/// Adds `prompt_cache_key` to `body` when caching is on and the endpoint is OpenAI's.
pub(crate) fn apply(body: &mut Map<String, Value>, request: &CompletionRequest, openai: bool) {
    if let Some(key) = request.cache_key.as_ref().filter(|_| openai) {
        body.insert("prompt_cache_key".into(), json!(key));
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Url;

    use crate::completion::{CompletionRequest, Message};
    use crate::providers::openai::OpenAi;
    use serde_json::json;

    fn request(key: Option<&str>) -> CompletionRequest {
        CompletionRequest {
            model: "gpt-5.5".into(),
            messages: vec![Message::user("hi")],
            cache_key: key.map(str::to_string),
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn the_instance_name_is_the_cache_key_on_openai_only() {
        let openai = OpenAi::new(Url::parse("https://api.openai.com/v1").unwrap());
        let body = openai.body(&request(Some("oai"))).unwrap();
        assert_eq!(body["prompt_cache_key"], json!("oai"));
        assert!(
            openai
                .body(&request(None))
                .unwrap()
                .get("prompt_cache_key")
                .is_none()
        );
        let local = OpenAi::new(Url::parse("http://127.0.0.1:8000/v1").unwrap());
        let body = local.body(&request(Some("oai"))).unwrap();
        assert!(body.get("prompt_cache_key").is_none(), "{body}");
    }
}
