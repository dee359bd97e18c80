//! Reading a streamed answer: typed server-sent events, each with its `type` in the data.
//!
//! API DOC: <https://platform.openai.com/docs/api-reference/responses-streaming>. Text comes in
//! `response.output_text.delta` (and `response.refusal.delta`); every output item arrives
//! whole in `response.output_item.done`; `response.completed` (or `response.incomplete`)
//! carries the response object with its usage and status and ends the stream;
//! `response.failed` and `error` end it with an error. The record is built from the final
//! items by the same code as a whole answer, so the two are equal. The Codex backend's
//! `response.completed` may list no output, which is why the items of `output_item.done` are
//! kept (codex-rs/codex-api/src/sse/responses.rs reads items from those events too).

use serde_json::Value;

use super::errors;
use super::response::{WireResponse, completion};
use crate::error::{ErrorKind, LlmError};
use crate::provider::parse_json;
use crate::stream::{PartialToolCall, StreamState, stream_index};

/// The output items gathered so far (in `state.provider_state`, by `output_index`).
fn items(state: &mut StreamState) -> &mut Vec<Value> {
    &mut state
        .provider_state
        .get_or_insert_with(|| crate::completion::ProviderState {
            format: String::new(),
            model: String::new(),
            parts: Vec::new(),
        })
        .parts
}

/// Puts `item` at `index` among the gathered items.
fn put_item(state: &mut StreamState, index: usize, item: Value) {
    let items = items(state);
    if items.len() <= index {
        items.resize(index + 1, Value::Null);
    }
    items[index] = item;
}

/// The event's `output_index`, if it has one; an index beyond any real answer is an
/// `invalid_response` error before it sizes the list of items.
fn index(data: &Value) -> Result<Option<usize>, LlmError> {
    data.get("output_index")
        .and_then(Value::as_u64)
        .map(|i| stream_index(i, "output item"))
        .transpose()
}

/// Appends a function call's argument text to its gathered item.
fn call_arguments(state: &mut StreamState, data: &Value, replace: bool) -> Result<(), LlmError> {
    let Some(index) = index(data)? else {
        return Ok(());
    };
    let field = if replace { "arguments" } else { "delta" };
    let Some(text) = data.get(field).and_then(Value::as_str) else {
        return Ok(());
    };
    if let Some(Value::Object(item)) = items(state).get_mut(index) {
        let arguments = item
            .entry("arguments")
            .or_insert_with(|| Value::String(String::new()));
        match arguments {
            Value::String(so_far) if !replace => so_far.push_str(text),
            other => *other = Value::String(text.to_string()),
        }
    }
    Ok(())
}

/// Ends the stream with the response object of `response.completed` or `.incomplete`.
fn finish(state: &mut StreamState, data: &Value, format: &str) -> Result<(), LlmError> {
    let wire: WireResponse = data
        .get("response")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|err| {
            LlmError::new(
                ErrorKind::InvalidResponse,
                format!("the final stream event is not a documented response object: {err}"),
            )
        })?
        .unwrap_or_default();
    let gathered: Vec<Value> = state
        .provider_state
        .take()
        .map(|s| s.parts)
        .unwrap_or_default()
        .into_iter()
        .filter(|item| !item.is_null())
        .collect();
    let items = if wire.output.is_empty() {
        gathered
    } else {
        wire.output.clone()
    };
    let model = state.model.clone().unwrap_or_default();
    let mut done = completion(&wire, &items, format, &model)?;
    let has_message = items
        .iter()
        .any(|item| item.get("type").and_then(Value::as_str) == Some("message"));
    if done.output.is_empty() && !has_message {
        // A server that sent text deltas but no message item: the deltas are the text.
        done.output = std::mem::take(&mut state.output);
    }
    state.output = done.output;
    state.model = Some(done.model);
    state.usage = done.usage;
    state.finish_reason = Some(done.finish_reason);
    state.tool_calls = done
        .tool_calls
        .into_iter()
        .map(|call| PartialToolCall {
            id: call.id,
            name: call.name,
            arguments: Value::Object(call.arguments).to_string(),
        })
        .collect();
    state.reasoning = done.reasoning.unwrap_or_default();
    state.provider_state = done.provider_state;
    state.done = true;
    Ok(())
}

/// Feeds one event into `state`; `format` is the backend name the provider state carries.
pub(super) fn event(
    state: &mut StreamState,
    event: &str,
    data: &str,
    format: &str,
) -> Result<(), LlmError> {
    if data.trim() == "[DONE]" {
        // Not part of this API, but some servers end with it; the stream is over either way.
        return Ok(());
    }
    let data: Value = parse_json(data.as_bytes())?;
    let kind = data
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(event)
        .to_string();
    match kind.as_str() {
        "response.created" | "response.in_progress" => {
            let model = data.pointer("/response/model").and_then(Value::as_str);
            if let Some(model) = model.filter(|m| !m.is_empty()) {
                state.model = Some(model.to_string());
            }
        }
        "response.output_item.added" | "response.output_item.done" => {
            if let (Some(index), Some(item)) = (index(&data)?, data.get("item")) {
                put_item(state, index, item.clone());
            }
        }
        "response.output_text.delta" | "response.refusal.delta" => {
            if let Some(delta) = data.get("delta").and_then(Value::as_str) {
                state.output.push_str(delta);
            }
        }
        "response.function_call_arguments.delta" => call_arguments(state, &data, false)?,
        "response.function_call_arguments.done" => call_arguments(state, &data, true)?,
        "response.completed" | "response.incomplete" => finish(state, &data, format)?,
        "response.failed" => return Err(errors::failed(data.pointer("/response/error"))),
        "error" => return Err(errors::event(&data)),
        // Reasoning summary deltas, content part boundaries, annotations and the rest: the
        // items that hold them arrive whole in `output_item.done`.
        _ => {}
    }
    Ok(())
}

/// A whole answer sent as a stream (the Codex backend answers nothing else): its events read
/// in order into the same completion a stream gives.
pub(super) fn parse_events(
    body: &[u8],
    format: &str,
) -> Result<crate::completion::Completion, LlmError> {
    let text = String::from_utf8_lossy(body);
    let mut state = StreamState::default();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let mut name = "message";
        let mut data = String::new();
        for line in block.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                name = value.trim();
            } else if let Some(value) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        if !data.is_empty() {
            event(&mut state, name, &data, format)?;
        }
        if state.done {
            break;
        }
    }
    state.finish("")
}

#[cfg(test)]
pub(crate) mod tests;
