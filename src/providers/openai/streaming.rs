//! Reading a streamed Chat Completions answer
//! (<https://platform.openai.com/docs/api-reference/chat-streaming/streaming>): every SSE `data:`
//! is a `chat.completion.chunk` whose `choices[0].delta` carries the next piece of text or of
//! a tool call; with `stream_options.include_usage` one more chunk with `choices: []` carries
//! the `usage`; `data: [DONE]` ends the stream.
//!
//! When the stream is over: `[DONE]` always ends it. Some compatible servers close the
//! connection after the `finish_reason` chunk without `[DONE]`, so a `finish_reason` also ends
//! it once nothing else is due: the usage was not asked for, or it has arrived (in the same
//! chunk, as Mistral and Groq's `x_groq.usage` send it, or in the usage chunk after it). The
//! reader stops at the end, so ending at the `finish_reason` while the usage chunk is still to
//! come would lose the usage. If the body then ends with no usage and no `[DONE]`, the answer
//! is complete all the same ([`end`]). A stream that stops before any `finish_reason` is cut
//! off.

use serde::Deserialize;
use serde_json::Value;

use super::errors::parse_error;
use super::response::{WireUsage, finish_reason, text, usage};
use crate::completion::FinishReason;
use crate::error::LlmError;
use crate::provider::parse_json;
use crate::stream::{PartialToolCall, StreamState, stream_index};

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    /// Absent, `[]` or `null` on the usage-only chunk: vLLM sends `"choices": null` there
    /// (docs.rs `openai-interface` `ChatCompletionChunk`), which must not fail a call that
    /// already streamed its text.
    #[serde(default, deserialize_with = "null_as_empty")]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    /// Groq reports the usage of a stream here, on the `finish_reason` chunk
    /// (<https://console.groq.com/docs/api-reference#chat-create>).
    #[serde(default)]
    x_groq: Option<GroqExtra>,
}

/// A list that may come as `null`, read as empty.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct GroqExtra {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<DeltaToolCall>>,
}

#[derive(Deserialize)]
struct DeltaToolCall {
    /// As the wire sends it; checked against [`crate::stream::MAX_STREAM_INDEX`] before use.
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<DeltaFunction>,
}

#[derive(Deserialize)]
struct DeltaFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

/// Feeds one SSE event into `state`. `asked_usage` says whether the request asked for the
/// usage chunk (`stream_options.include_usage`), which decides when a `finish_reason` without
/// `[DONE]` ends the stream.
pub(super) fn event(
    state: &mut StreamState,
    event: &str,
    data: &str,
    asked_usage: bool,
) -> Result<(), LlmError> {
    let data = data.trim();
    if data == "[DONE]" {
        mark_done(state);
        return Ok(());
    }
    if data.is_empty() {
        return Ok(());
    }
    let value: Value = parse_json(data.as_bytes())?;
    if event == "error" || value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(stream_error(&value, data));
    }
    let chunk: Chunk = parse_json(data.as_bytes())?;
    apply_chunk(state, chunk, asked_usage)
}

/// Takes one chunk's model, usage, delta and `finish_reason`, then decides whether it ended
/// the stream (see the module's comment).
fn apply_chunk(state: &mut StreamState, chunk: Chunk, asked_usage: bool) -> Result<(), LlmError> {
    if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
        state.model = Some(model);
    }
    let wire_usage = chunk.usage.or(chunk.x_groq.and_then(|x| x.usage));
    let has_usage = wire_usage.is_some();
    if has_usage {
        // Usage is cumulative: the latest report replaces any earlier one.
        state.usage = usage(wire_usage);
    }
    let usage_chunk = chunk.choices.is_empty();
    // Requests never set `n`, so only choice 0 exists; another index is ignored.
    let choice = chunk
        .choices
        .into_iter()
        .find(|c| c.index.unwrap_or(0) == 0);
    let mut finished_now = false;
    if let Some(choice) = choice {
        if let Some(delta) = choice.delta {
            apply_delta(state, delta)?;
        }
        // Mistral may send the last text and the `finish_reason` in one chunk: the text went first.
        if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
            // A refusal already made it `content_filter`; the wire then says `stop`.
            if state.finish_reason != Some(FinishReason::ContentFilter) {
                state.finish_reason = Some(finish_reason(Some(&reason)));
            }
            finished_now = true;
        }
    }
    let usage_known = state.usage != Default::default();
    let finished = state.finish_reason.is_some();
    if (finished_now && (usage_known || !asked_usage)) || (usage_chunk && has_usage && finished) {
        mark_done(state);
    }
    Ok(())
}

/// Appends a delta: text, a refusal, or tool-call fragments (an index beyond any real answer
/// is an `invalid_response` error).
fn apply_delta(state: &mut StreamState, delta: Delta) -> Result<(), LlmError> {
    state.output.push_str(&text(delta.content));
    if let Some(refusal) = delta.refusal.filter(|r| !r.is_empty()) {
        // As in a whole answer: the model declined for safety reasons.
        state.output.push_str(&refusal);
        state.finish_reason = Some(FinishReason::ContentFilter);
    }
    for (position, fragment) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
        let index = fragment.index.unwrap_or(position as u64);
        let id = fragment.id.filter(|id| !id.is_empty());
        let call = tool_call(state, index, id)?;
        let Some(function) = fragment.function else {
            continue;
        };
        if let Some(name) = function.name.filter(|n| !n.is_empty())
            && call.name.is_empty()
        {
            call.name = name;
        }
        match function.arguments {
            Some(Value::String(piece)) => call.arguments.push_str(&piece),
            None | Some(Value::Null) => {}
            // A server that sends the arguments already decoded sends them whole.
            Some(other) => call.arguments.push_str(&other.to_string()),
        }
    }
    Ok(())
}

/// The call a fragment at wire `index` belongs to. Calls are keyed by `index`, and the id
/// arrives with a call's first fragment only; but Ollama-compatible servers send parallel calls
/// whole, all at index 0, told apart by their ids, so a new id at an index already taken by
/// another call starts a new call after the others.
fn tool_call(
    state: &mut StreamState,
    index: u64,
    id: Option<String>,
) -> Result<&mut PartialToolCall, LlmError> {
    let slot = stream_index(index, "tool call")?;
    let Some(id) = id else {
        return state.tool_call(index);
    };
    if let Some(known) = state.tool_calls.iter().position(|call| call.id == id) {
        return Ok(&mut state.tool_calls[known]);
    }
    let free = state
        .tool_calls
        .get(slot)
        .is_none_or(|call| call.id.is_empty() && call.name.is_empty());
    let call = if free {
        state.tool_call(index)?
    } else {
        // Calls sent whole at one index (see above) are bounded like indexes are.
        stream_index(state.tool_calls.len() as u64, "tool call")?;
        state.tool_calls.push(PartialToolCall::default());
        state.tool_calls.last_mut().expect("just pushed")
    };
    call.id = id;
    Ok(call)
}

/// The body ended without `[DONE]`: a stream that reached its `finish_reason` is complete
/// (a server that was asked for usage may still send none); one that did not was cut off.
pub(super) fn end(state: &mut StreamState) {
    if state.finish_reason.is_some() {
        mark_done(state);
    }
}

/// Ends the stream, filling what a whole answer would have: a call without an id gets
/// `call_N` (older llama.cpp omits ids) and a missing `finish_reason` is `other`.
fn mark_done(state: &mut StreamState) {
    let named = state.tool_calls.iter_mut().filter(|c| !c.name.is_empty());
    for (index, call) in named.enumerate() {
        if call.id.is_empty() {
            call.id = format!("call_{index}");
        }
    }
    if state.finish_reason.is_none() {
        state.finish_reason = Some(finish_reason(None));
    }
    state.done = true;
}

/// An error object in the stream (`{"error": {...}}`, also `{"error": "text"}` from llama.cpp
/// and Ollama), read as an error body of the status its `code` or `type` implies, since the
/// HTTP status was already 200 (<https://platform.openai.com/docs/guides/error-codes>).
fn stream_error(value: &Value, data: &str) -> LlmError {
    let error = value.get("error").unwrap_or(value);
    let said = |field: &str| {
        error.get(field).map(|v| match v {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    };
    let (code, kind) = (said("code"), said("type"));
    let named = |names: &[&str]| {
        [&code, &kind]
            .into_iter()
            .flatten()
            .any(|v| names.contains(&v.as_str()))
    };
    let status = match code.as_deref().and_then(|c| c.parse::<u16>().ok()) {
        Some(status @ 400..=599) => status,
        _ if named(&[
            "rate_limit_exceeded",
            "rate_limit_error",
            "tokens",
            "requests",
        ]) =>
        {
            429
        }
        _ if named(&["overloaded_error", "service_unavailable", "overloaded"]) => 503,
        _ if named(&["invalid_request_error"]) => 400,
        // A failure after a 200 is the server's own unless the body says otherwise.
        _ => 500,
    };
    // The status only classifies: the answer's own status was 200, so the error has none.
    let mut err = parse_error(status, data.as_bytes());
    err.status = None;
    err.message = format!("error in the stream: {}", err.message);
    err
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wire_tests;
