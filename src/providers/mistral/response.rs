//! Reading an answer: OpenAI's reader plus Mistral's own finish reasons.

use serde::Deserialize;

use crate::completion::{Completion, FinishReason};
use crate::error::LlmError;
use crate::provider::Provider;
use crate::providers::openai::OpenAi;

/// Reads an answer with OpenAI's reader, then applies Mistral's own `model_length`.
pub fn parse_chat(inner: &OpenAi, body: &[u8]) -> Result<Completion, LlmError> {
    let mut done = inner.parse_completion(body)?;
    if done.finish_reason == FinishReason::Other {
        #[derive(Deserialize)]
        struct Peek {
            choices: Vec<PeekChoice>,
        }
        #[derive(Deserialize)]
        struct PeekChoice {
            finish_reason: Option<String>,
        }
        let raw = serde_json::from_slice::<Peek>(body).ok();
        let reason = raw.and_then(|p| p.choices.into_iter().next()?.finish_reason);
        if reason.as_deref() == Some("model_length") {
            done.finish_reason = FinishReason::Length;
        }
    }
    Ok(done)
}
