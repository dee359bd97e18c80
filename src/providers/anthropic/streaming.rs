//! Reading a streamed Messages answer (`"stream": true`) event by event into a
//! [`StreamState`] (<https://docs.claude.com/en/api/messages-streaming>).
//!
//! The flow is `message_start`, then per content block `content_block_start`,
//! `content_block_delta`s and `content_block_stop`, then `message_delta` and `message_stop`;
//! `ping`s and `error` events may come at any point, and new event types may be added, so
//! unknown ones are skipped. The SSE `event:` name repeats the data's `type`, which is what is
//! read.
//!
//! Text goes to the output as it arrives. Every block is also rebuilt as the whole answer
//! would hold it (`thinking_delta` and `signature_delta` into a `thinking` block,
//! `citations_delta` into a text block's `citations`, a `redacted_thinking` block whole from its
//! start), kept in `state.provider_state` while the stream runs; at `message_stop` the blocks
//! are read by [`super::response::content`], as a whole answer's are, so both give the same
//! [`crate::completion::Completion`]: the same reasoning, the same provider state, and for a
//! tool-calling turn without text, the same output.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::errors;
use super::response::{self, STATE_FORMAT, WireUsage, finish_reason, usage};
use crate::completion::{ProviderState, Usage};
use crate::error::{ErrorKind, LlmError, excerpt};
use crate::stream::{StreamState, stream_index};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: Map<String, Value>,
    },
    ContentBlockDelta {
        index: usize,
        delta: Delta,
    },
    MessageDelta {
        delta: MessageChange,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop {},
    Error {},
    /// `ping`, `content_block_stop`, and event types added after this was written.
    #[serde(other)]
    Ignored,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Delta {
    #[serde(rename = "text_delta")]
    Text { text: String },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: String },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: String },
    #[serde(rename = "signature_delta")]
    Signature { signature: String },
    #[serde(rename = "citations_delta")]
    Citations { citation: Value },
    /// Kinds added after this was written.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageChange {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// Feeds one event's `data` into `state`.
pub(super) fn feed(state: &mut StreamState, data: &str) -> Result<(), LlmError> {
    if data.trim().is_empty() {
        return Ok(());
    }
    let event: Event = serde_json::from_str(data).map_err(|err| {
        LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "a stream event that is not the documented JSON ({err}): {}",
                excerpt(data.as_bytes())
            ),
        )
    })?;
    match event {
        Event::MessageStart { message } => {
            if message.model.is_some() {
                state.model = message.model;
            }
            if let Some(wire) = message.usage {
                state.usage = usage(wire);
            }
        }
        Event::ContentBlockStart {
            index,
            content_block,
        } => start_block(state, index, content_block)?,
        Event::ContentBlockDelta { index, delta } => apply_delta(state, index, delta)?,
        Event::MessageDelta { delta, usage } => {
            if let Some(reason) = delta.stop_reason {
                state.finish_reason = Some(finish_reason(Some(&reason)));
            }
            if let Some(wire) = usage {
                state.usage = merged(&state.usage, wire);
            }
        }
        Event::MessageStop {} => {
            settle_blocks(state)?;
            // A whole answer without a stop reason maps to `other`; so does a stream.
            state.finish_reason.get_or_insert(finish_reason(None));
            state.done = true;
        }
        Event::Error {} => return Err(errors::parse_stream_error(data.as_bytes())),
        Event::Ignored => {}
    }
    Ok(())
}

fn start_block(
    state: &mut StreamState,
    index: usize,
    block: Map<String, Value>,
) -> Result<(), LlmError> {
    let kind = block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "text" => {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                state.output.push_str(text);
            }
        }
        "tool_use" => {
            let text = |field: &str| {
                block
                    .get(field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (id, name) = (text("id"), text("name"));
            // Anthropic sends `input: {}` and streams the input as `input_json_delta`s; some
            // compatible gateways send the whole input here and no delta at all.
            let input = match block.get("input") {
                Some(Value::Object(map)) if !map.is_empty() => {
                    Value::Object(map.clone()).to_string()
                }
                _ => String::new(),
            };
            let call = tool_call(state, index)?;
            call.id = id;
            call.name = name;
            call.arguments = input;
        }
        _ => {}
    }
    *block_at(state, index)? = Value::Object(block);
    Ok(())
}

fn apply_delta(state: &mut StreamState, index: usize, delta: Delta) -> Result<(), LlmError> {
    match delta {
        Delta::Text { text } => {
            state.output.push_str(&text);
            append(block_at(state, index)?, "text", &text);
        }
        // Server-tool blocks stream their input too; their entry keeps an empty name, so
        // `StreamState::finish` drops it as a whole answer skips the block.
        Delta::InputJson { partial_json } => {
            let started_with = match block_at(state, index)?.get("input") {
                Some(Value::Object(map)) if !map.is_empty() => {
                    Some(Value::Object(map.clone()).to_string())
                }
                _ => None,
            };
            let call = tool_call(state, index)?;
            // Deltas after a start that carried the input replace it rather than extend it.
            if !partial_json.is_empty() && started_with.is_some_and(|s| s == call.arguments) {
                call.arguments.clear();
            }
            call.arguments.push_str(&partial_json);
        }
        Delta::Thinking { thinking } => append(block_at(state, index)?, "thinking", &thinking),
        Delta::Signature { signature } => append(block_at(state, index)?, "signature", &signature),
        Delta::Citations { citation } => {
            let block = block_at(state, index)?;
            if let Value::Object(fields) = block {
                let list = fields
                    .entry("citations")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(items) = list {
                    items.push(citation);
                }
            }
        }
        Delta::Other => {}
    }
    Ok(())
}

/// Appends `text` to the string field `field` of `block` (created empty when missing).
fn append(block: &mut Value, field: &str, text: &str) {
    if let Value::Object(fields) = block {
        let value = fields
            .entry(field)
            .or_insert_with(|| Value::String(String::new()));
        match value {
            Value::String(so_far) => so_far.push_str(text),
            other => *other = Value::String(text.to_string()),
        }
    }
}

/// At `message_stop`: puts each streamed input into its block, and reads the blocks as a whole
/// answer's content (reasoning, provider state, output of a turn without text).
fn settle_blocks(state: &mut StreamState) -> Result<(), LlmError> {
    let mut blocks = state
        .provider_state
        .take()
        .map(|s| s.parts)
        .unwrap_or_default();
    for (block, call) in blocks.iter_mut().zip(&state.tool_calls) {
        let text = call.arguments.trim();
        if text.is_empty() || block.get("input").is_none() {
            continue;
        }
        // Arguments that are not JSON stay as they started; `StreamState::finish` reports them.
        if let Ok(input) = serde_json::from_str::<Value>(text) {
            block["input"] = input;
        }
    }
    blocks.retain(|block| !block.is_null());
    let content = response::content(blocks)?;
    if state.output.is_empty() {
        state.output = content.output;
    }
    state.reasoning = content.reasoning.unwrap_or_default();
    let model = state.model.clone().unwrap_or_default();
    state.provider_state = content.parts.map(|parts| response::state(&model, parts));
    Ok(())
}

/// The content block at `index` as rebuilt so far (null until its start arrives).
fn block_at(state: &mut StreamState, index: usize) -> Result<&mut Value, LlmError> {
    check_index(index)?;
    let blocks = &mut state
        .provider_state
        .get_or_insert_with(|| ProviderState {
            format: STATE_FORMAT.into(),
            model: String::new(),
            parts: Vec::new(),
        })
        .parts;
    if blocks.len() <= index {
        blocks.resize(index + 1, Value::Null);
    }
    if blocks[index].is_null() {
        // A delta before its block's start (never sent by Anthropic): an empty block.
        blocks[index] = Value::Object(Map::new());
    }
    Ok(&mut blocks[index])
}

/// A message has a handful of content blocks; a larger index is a broken stream, refused
/// before it sizes a list (the rule of every stream reader, [`stream_index`]).
fn check_index(index: usize) -> Result<(), LlmError> {
    stream_index(index as u64, "content block").map(|_| ())
}

/// The tool-call slot of content block `index`. Slots follow block indexes, so text blocks
/// leave empty slots that `StreamState::finish` drops, and calls keep the order of the blocks.
fn tool_call(
    state: &mut StreamState,
    index: usize,
) -> Result<&mut crate::stream::PartialToolCall, LlmError> {
    state.tool_call(index as u64)
}

/// `message_delta` usage is cumulative: every count it carries replaces the one so far (never
/// adds to it), and counts it leaves out or sends as null keep their value. The sum of
/// uncached and cached input is rebuilt from the raw counts, as for a whole answer.
fn merged(current: &Usage, update: WireUsage) -> Usage {
    let cache_read = current.cache_read_tokens;
    let cache_write = current.cache_write_tokens;
    let cached = cache_read
        .unwrap_or(0)
        .saturating_add(cache_write.unwrap_or(0));
    let so_far = WireUsage {
        input_tokens: current.input_tokens.map(|sum| sum.saturating_sub(cached)),
        output_tokens: current.output_tokens,
        cache_read_input_tokens: cache_read,
        cache_creation_input_tokens: cache_write,
    };
    usage(WireUsage {
        input_tokens: update.input_tokens.or(so_far.input_tokens),
        output_tokens: update.output_tokens.or(so_far.output_tokens),
        cache_read_input_tokens: update
            .cache_read_input_tokens
            .or(so_far.cache_read_input_tokens),
        cache_creation_input_tokens: update
            .cache_creation_input_tokens
            .or(so_far.cache_creation_input_tokens),
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wire_tests;
