//! Reading a `generateContent` answer (also each chunk of a stream) and the model listing.

use serde::Deserialize;
use serde_json::Value;

use crate::completion::{Completion, FinishReason, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError, excerpt};
use crate::provider::parse_json;
use crate::providers::arguments_object;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateResponse {
    #[serde(default)]
    pub(super) candidates: Vec<Candidate>,
    #[serde(default)]
    pub(super) prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    pub(super) usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub(super) model_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Candidate {
    #[serde(default)]
    pub(super) content: Option<Content>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Content {
    #[serde(default)]
    pub(super) parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Part {
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) thought: bool,
    #[serde(default)]
    pub(super) function_call: Option<FunctionCall>,
}

#[derive(Deserialize)]
pub(super) struct FunctionCall {
    #[serde(default)]
    pub(super) id: Option<String>,
    pub(super) name: String,
    #[serde(default)]
    pub(super) args: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PromptFeedback {
    #[serde(default)]
    pub(super) block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    pub(super) prompt_token_count: Option<u64>,
    pub(super) candidates_token_count: Option<u64>,
    pub(super) cached_content_token_count: Option<u64>,
    pub(super) thoughts_token_count: Option<u64>,
    pub(super) tool_use_prompt_token_count: Option<u64>,
}

/// Sums counts of which some may be missing: `None` only when all are.
pub(super) fn sum(counts: &[Option<u64>]) -> Option<u64> {
    counts.iter().flatten().copied().reduce(|a, b| a + b)
}

pub(super) fn usage(metadata: Option<UsageMetadata>) -> Usage {
    let Some(m) = metadata else {
        return Usage::default();
    };
    Usage {
        input_tokens: sum(&[m.prompt_token_count, m.tool_use_prompt_token_count]),
        output_tokens: sum(&[m.candidates_token_count, m.thoughts_token_count]),
        cache_read_tokens: m.cached_content_token_count,
        cache_write_tokens: None,
        reasoning_tokens: m.thoughts_token_count,
    }
}

/// The neutral finish reason of a `finishReason` value.
pub fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("STOP") => FinishReason::Stop,
        Some("MAX_TOKENS") => FinishReason::Length,
        Some(
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY",
        ) => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

pub(super) fn filtered(what: String) -> LlmError {
    LlmError::new(ErrorKind::ContentFilter, what)
}

/// The prompt itself was blocked (`promptFeedback.blockReason`, no candidate).
pub(super) fn blocked_prompt(reason: &str) -> LlmError {
    filtered(format!(
        "Gemini blocked the prompt (blockReason {reason}); rephrase it"
    ))
}

/// The answer was filtered and nothing of it is left.
pub(super) fn withheld(reason: &str) -> LlmError {
    filtered(format!(
        "Gemini withheld the answer (finishReason {reason})"
    ))
}

/// Reads a `generateContent` body.
pub fn parse_generate(body: &[u8]) -> Result<Completion, LlmError> {
    let response: GenerateResponse = parse_json(body)?;
    let block = response.prompt_feedback.and_then(|f| f.block_reason);
    let Some(candidate) = response.candidates.into_iter().next() else {
        return Err(match block {
            Some(reason) => blocked_prompt(&reason),
            None => LlmError::new(
                ErrorKind::InvalidResponse,
                format!("the answer holds no candidate: {}", excerpt(body)),
            ),
        });
    };
    let mut output = String::new();
    let mut tool_calls = Vec::new();
    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
    for part in parts.into_iter().filter(|p| !p.thought) {
        if let Some(text) = part.text {
            output.push_str(&text);
        }
        if let Some(call) = part.function_call {
            tool_calls.push(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{}", tool_calls.len())),
                arguments: arguments_object(&call.name, call.args)?,
                name: call.name,
            });
        }
    }
    let reason = candidate.finish_reason;
    let mut finish = finish_reason(reason.as_deref());
    if finish == FinishReason::ContentFilter && output.is_empty() && tool_calls.is_empty() {
        return Err(withheld(&reason.unwrap_or_default()));
    }
    if !tool_calls.is_empty() {
        finish = FinishReason::ToolCalls;
    }
    Ok(Completion {
        output,
        model: response.model_version.unwrap_or_default(),
        usage: usage(response.usage_metadata),
        finish_reason: finish,
        tool_calls,
        reasoning: None,
        provider_state: None,
    })
}

/// Reads a `models.list` body: the ids (without `models/`) of the models that generate content.
pub fn parse_model_list(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(Deserialize)]
    struct List {
        #[serde(default)]
        models: Vec<Model>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Model {
        name: String,
        #[serde(default)]
        supported_generation_methods: Option<Vec<String>>,
    }
    let list: List = parse_json(body)?;
    Ok(list
        .models
        .into_iter()
        .filter(|m| {
            m.supported_generation_methods
                .as_ref()
                .is_none_or(|methods| methods.iter().any(|x| x == "generateContent"))
        })
        .map(|m| {
            m.name
                .strip_prefix("models/")
                .unwrap_or(&m.name)
                .to_string()
        })
        .collect())
}
