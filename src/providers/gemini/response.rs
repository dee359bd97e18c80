//! Reading a `generateContent` answer and the model listing. A whole answer is read as a
//! stream of one chunk, so candidates, parts and finish reasons are read in one place
//! ([`apply`]) for both.

use serde::Deserialize;
use serde_json::Value;

use super::FORMAT;
use crate::completion::{Completion, FinishReason, ProviderState, Usage};
use crate::error::{ErrorKind, LlmError, excerpt};
use crate::provider::parse_json;
use crate::providers::arguments_object;
use crate::stream::{PartialToolCall, StreamState};

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
    /// Kept as sent: the parts that carry a signature go back on the next turn unchanged.
    #[serde(default)]
    pub(super) parts: Vec<Value>,
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
    #[serde(default)]
    pub(super) thought_signature: Option<String>,
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

/// The neutral finish reason of a `finishReason` value (the `FinishReason` enum of
/// <https://ai.google.dev/api/generate-content#FinishReason>): the safety, recitation and
/// blocklist reasons and every `IMAGE_*` reason (`IMAGE_SAFETY`, `IMAGE_PROHIBITED_CONTENT`,
/// `IMAGE_RECITATION`, `IMAGE_OTHER`) are filters; anything else that is not a stop or the
/// token limit is `other`.
pub fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("STOP") => FinishReason::Stop,
        Some("MAX_TOKENS") => FinishReason::Length,
        Some("SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII") => {
            FinishReason::ContentFilter
        }
        Some(image) if image.starts_with("IMAGE_") => FinishReason::ContentFilter,
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
    .with_code(reason)
}

/// The answer was filtered and nothing of it is left.
pub(super) fn withheld(reason: &str) -> LlmError {
    filtered(format!(
        "Gemini withheld the answer (finishReason {reason})"
    ))
    .with_code(reason)
}

/// The answer stopped for a reason that is neither an end nor a filter, with nothing in it:
/// an error, never an empty success. The request's fault (a missing thought signature, a
/// language the model does not take) is `bad_request`; the model's (a malformed or unexpected
/// function call, a malformed response, `OTHER`) is `upstream`, which a new attempt may fix.
pub(super) fn empty_answer(reason: &str) -> LlmError {
    let (kind, why) = match reason {
        "MISSING_THOUGHT_SIGNATURE" => (
            ErrorKind::BadRequest,
            "a replayed function call lacks its thought signature",
        ),
        "LANGUAGE" => (
            ErrorKind::BadRequest,
            "the prompt is in a language the model does not support",
        ),
        "MALFORMED_FUNCTION_CALL" => (
            ErrorKind::Upstream,
            "the function call the model wrote was not valid",
        ),
        "UNEXPECTED_TOOL_CALL" => (
            ErrorKind::Upstream,
            "the model called a tool it was not offered",
        ),
        "TOO_MANY_TOOL_CALLS" => (
            ErrorKind::Upstream,
            "the model made too many tool calls in a row",
        ),
        _ => (ErrorKind::Upstream, "the model stopped without answering"),
    };
    LlmError::new(
        kind,
        format!("Gemini ended the answer with nothing in it (finishReason {reason}): {why}"),
    )
    .with_code(reason)
}

/// Applies one `GenerateContentResponse` (a whole answer, or one chunk of a stream) to
/// `state`: text, thought summaries, calls and the parts to replay append; usage and model
/// replace; a finish reason or a block is read. Returns whether it held a candidate.
pub(super) fn apply(state: &mut StreamState, chunk: GenerateResponse) -> Result<bool, LlmError> {
    if chunk.candidates.is_empty()
        && chunk.prompt_feedback.is_none()
        && chunk.usage_metadata.is_none()
    {
        // An OpenAI-shaped body, or any JSON without a Gemini field, is not an answer.
        return Err(LlmError::new(
            ErrorKind::InvalidResponse,
            "the answer is not a Gemini GenerateContentResponse (no candidates, \
             promptFeedback or usageMetadata); is the base URL another provider's API?",
        ));
    }
    if let Some(model) = chunk.model_version.filter(|m| !m.is_empty()) {
        state.model = Some(model);
    }
    if let Some(metadata) = chunk.usage_metadata {
        state.usage = usage(Some(metadata));
    }
    let block = chunk.prompt_feedback.and_then(|f| f.block_reason);
    let Some(candidate) = chunk.candidates.into_iter().next() else {
        return match block {
            Some(reason) => Err(blocked_prompt(&reason)),
            // A chunk with only usage or feedback.
            None => Ok(false),
        };
    };
    for raw in candidate.content.map(|c| c.parts).unwrap_or_default() {
        let part: Part = serde_json::from_value(raw.clone()).map_err(|err| {
            LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "a part of the answer is not a Gemini Part ({err}): {}",
                    excerpt(raw.to_string().as_bytes())
                ),
            )
        })?;
        read_part(state, &part)?;
        keep_for_replay(state, raw, &part);
    }
    let reason = candidate
        .finish_reason
        .filter(|r| !r.is_empty() && r != "FINISH_REASON_UNSPECIFIED");
    if let Some(reason) = reason {
        let finish = finish_reason(Some(&reason));
        let nothing = state.output.is_empty() && state.tool_calls.is_empty();
        match finish {
            FinishReason::ContentFilter if nothing => return Err(withheld(&reason)),
            FinishReason::Other if nothing => return Err(empty_answer(&reason)),
            _ => {}
        }
        state.finish_reason = Some(finish);
    }
    Ok(true)
}

/// Text goes to the output, a thought summary (`thought: true`) to the reasoning, a
/// `functionCall` (always whole, never a fragment) to the tool calls.
fn read_part(state: &mut StreamState, part: &Part) -> Result<(), LlmError> {
    if let Some(text) = &part.text {
        let target = if part.thought {
            &mut state.reasoning
        } else {
            &mut state.output
        };
        target.push_str(text);
    }
    if let Some(call) = &part.function_call {
        // Gemini's own id when it sends one, else `call_{index}`.
        let index = state.tool_calls.len();
        let arguments = arguments_object(&call.name, call.args.clone())?;
        state.tool_calls.push(PartialToolCall {
            id: call
                .id
                .clone()
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| format!("call_{index}")),
            name: call.name.clone(),
            arguments: Value::Object(arguments).to_string(),
        });
    }
    Ok(())
}

/// Keeps `raw` for the next turn, as sent (<https://ai.google.dev/gemini-api/docs/thought-signatures>:
/// "pass it back exactly as received", at the position it came in). A thought summary without a
/// signature is left out: it is the record's reasoning, and Gemini reads nothing from it. Text
/// that follows unsigned text is joined onto it (taking its signature, if it has one): a
/// stream cuts one text part into many, and the whole answer holds the joined part, with the
/// signature of a text answer on its last part.
fn keep_for_replay(state: &mut StreamState, raw: Value, part: &Part) {
    if part.thought && part.thought_signature.is_none() {
        return;
    }
    let kept = &mut state
        .provider_state
        .get_or_insert_with(|| ProviderState {
            format: FORMAT.to_string(),
            model: String::new(),
            parts: Vec::new(),
        })
        .parts;
    let plain_text = |value: &Value, allowed: &[&str]| {
        value.as_object().is_some_and(|fields| {
            fields.get("text").is_some_and(Value::is_string)
                && fields.keys().all(|key| allowed.contains(&key.as_str()))
        })
    };
    let joins = kept.last().is_some_and(|last| plain_text(last, &["text"]))
        && plain_text(&raw, &["text", "thoughtSignature"]);
    match kept.last_mut() {
        Some(Value::Object(last)) if joins => {
            let joined = format!(
                "{}{}",
                last["text"].as_str().unwrap_or_default(),
                part.text.as_deref().unwrap_or_default()
            );
            last.insert("text".into(), Value::String(joined));
            if let Some(signature) = &part.thought_signature {
                last.insert("thoughtSignature".into(), Value::String(signature.clone()));
            }
        }
        _ => kept.push(raw),
    }
}

/// Marks `state` complete: function calls make it `tool_calls` (Gemini reports them with
/// `STOP`), and parts are kept for replay only when one carries a signature (without one,
/// the turn's text and calls say everything).
pub(super) fn complete(state: &mut StreamState) {
    if state.tool_calls.iter().any(|call| !call.name.is_empty()) {
        state.finish_reason = Some(FinishReason::ToolCalls);
    }
    let signed = state.provider_state.as_ref().is_some_and(|kept| {
        kept.parts
            .iter()
            .any(|part| part.get("thoughtSignature").is_some())
    });
    if !signed {
        state.provider_state = None;
    }
    state.done = true;
}

/// Reads a `generateContent` body: the whole answer as one chunk of a stream.
pub fn parse_generate(body: &[u8]) -> Result<Completion, LlmError> {
    let response: GenerateResponse = parse_json(body)?;
    let mut state = StreamState::default();
    if !apply(&mut state, response)? {
        return Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!("the answer holds no candidate: {}", excerpt(body)),
        ));
    }
    // A whole answer is complete; one without a finish reason ends for no stated reason.
    state.finish_reason.get_or_insert(FinishReason::Other);
    complete(&mut state);
    state.finish("")
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
