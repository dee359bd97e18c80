//! Reading a streamed Messages answer (`"stream": true`) event by event into a
//! [`StreamState`] (<https://docs.claude.com/en/api/messages-streaming>).
//!
//! The flow is `message_start`, then per content block `content_block_start`,
//! `content_block_delta`s and `content_block_stop`, then `message_delta` and `message_stop`;
//! `ping`s and `error` events may come at any point, and new event types may be added, so
//! unknown ones are skipped. The SSE `event:` name repeats the data's `type`, which is what is
//! read. Blocks are handled as [`super::response`] handles them in a whole answer, so both
//! give the same [`crate::completion::Completion`].

use serde::Deserialize;

use super::errors;
use super::response::{WireUsage, finish_reason, usage};
use crate::completion::Usage;
use crate::error::{ErrorKind, LlmError, excerpt};
use crate::stream::StreamState;

/// A message has a handful of content blocks; an index beyond this is a broken stream, and
/// refusing it keeps a bad index from allocating a huge tool-call list.
const MAX_BLOCK_INDEX: usize = 4096;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: StartBlock,
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
enum StartBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    /// `thinking`, `redacted_thinking`, server-tool blocks: not output, as in a whole answer.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Delta {
    #[serde(rename = "text_delta")]
    Text { text: String },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: String },
    /// `thinking_delta`, `signature_delta`, `citations_delta` and newer kinds.
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
        } => match content_block {
            StartBlock::Text { text } => state.output.push_str(&text),
            StartBlock::ToolUse { id, name } => {
                let call = tool_call(state, index)?;
                call.id = id;
                call.name = name;
            }
            StartBlock::Other => {}
        },
        Event::ContentBlockDelta { index, delta } => match delta {
            Delta::Text { text } => state.output.push_str(&text),
            // Server-tool blocks stream their input too; their entry keeps an empty name, so
            // `StreamState::finish` drops it as a whole answer skips the block.
            Delta::InputJson { partial_json } => {
                tool_call(state, index)?.arguments.push_str(&partial_json)
            }
            Delta::Other => {}
        },
        Event::MessageDelta { delta, usage } => {
            if let Some(reason) = delta.stop_reason {
                state.finish_reason = Some(finish_reason(Some(&reason)));
            }
            if let Some(wire) = usage {
                state.usage = merged(&state.usage, wire);
            }
        }
        Event::MessageStop {} => {
            // A whole answer without a stop reason maps to `other`; so does a stream.
            state.finish_reason.get_or_insert(finish_reason(None));
            state.done = true;
        }
        Event::Error {} => return Err(errors::parse_stream_error(data.as_bytes())),
        Event::Ignored => {}
    }
    Ok(())
}

/// The tool-call slot of content block `index`. Slots follow block indexes, so text blocks
/// leave empty slots that `StreamState::finish` drops, and calls keep the order of the blocks.
fn tool_call(
    state: &mut StreamState,
    index: usize,
) -> Result<&mut crate::stream::PartialToolCall, LlmError> {
    if index > MAX_BLOCK_INDEX {
        return Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!("a stream event names content block {index}, beyond any real message"),
        ));
    }
    Ok(state.tool_call(index))
}

/// `message_delta` usage is cumulative: every count it carries replaces the one so far (never
/// adds to it), and counts it leaves out or sends as null keep their value. The sum of
/// uncached and cached input is rebuilt from the raw counts, as for a whole answer.
fn merged(current: &Usage, update: WireUsage) -> Usage {
    let cache_read = current.cache_read_tokens;
    let cache_write = current.cache_write_tokens;
    let cached = cache_read.unwrap_or(0) + cache_write.unwrap_or(0);
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
