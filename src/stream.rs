//! Streamed completions: how a stream body is framed, and [`StreamState`], the accumulator an
//! adapter feeds event by event until it holds the same [`Completion`] the non-streamed call
//! gives.

use serde_json::Value;

use crate::completion::{Completion, FinishReason, ProviderState, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError};

/// How a provider frames its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-sent events (`event:` / `data:` lines): Anthropic, OpenAI, Gemini, Mistral.
    Sse,
    /// One JSON object per line: Ollama.
    Ndjson,
}

/// A tool call whose arguments are still arriving as JSON text fragments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialToolCall {
    /// The provider's id of the call.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments' JSON text so far.
    pub arguments: String,
}

/// A completion being assembled from stream events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamState {
    /// The text so far.
    pub output: String,
    /// The model, once the provider named it.
    pub model: Option<String>,
    /// Token counts so far (adapters overwrite cumulative counts, never add them twice).
    pub usage: Usage,
    /// Why it stopped, once known.
    pub finish_reason: Option<FinishReason>,
    /// Tool calls in order of their index.
    pub tool_calls: Vec<PartialToolCall>,
    /// The reasoning text or summary so far (Gemini thought summaries, Ollama `thinking`).
    pub reasoning: String,
    /// What the next turn must send back unchanged, as far as it has arrived; an empty
    /// `model` is filled with the answer's model when the stream finishes.
    pub provider_state: Option<ProviderState>,
    /// Whether the provider's final event arrived; a stream without it was cut off.
    pub done: bool,
}

/// The highest index a stream event may give a content block, tool call or output item. A
/// real answer has a handful; the index sizes a list, so one event naming index 10^10 would
/// otherwise allocate hundreds of gigabytes (and `u64::MAX + 1` overflows). Every stream
/// reader checks its indexes with [`stream_index`].
pub const MAX_STREAM_INDEX: usize = 4096;

/// `index` (as the wire gave it) as a list position, or an `invalid_response` error naming
/// `what` when it is beyond [`MAX_STREAM_INDEX`].
pub fn stream_index(index: u64, what: &str) -> Result<usize, LlmError> {
    usize::try_from(index)
        .ok()
        .filter(|i| *i <= MAX_STREAM_INDEX)
        .ok_or_else(|| {
            LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "a stream event names {what} {index}, beyond any real answer (at most \
                     {MAX_STREAM_INDEX})"
                ),
            )
        })
}

impl StreamState {
    /// The tool call at `index`, created empty if the stream has not mentioned it yet; an
    /// index beyond [`MAX_STREAM_INDEX`] is an `invalid_response` error.
    pub fn tool_call(&mut self, index: u64) -> Result<&mut PartialToolCall, LlmError> {
        let index = stream_index(index, "tool call")?;
        if self.tool_calls.len() <= index {
            self.tool_calls
                .resize_with(index + 1, PartialToolCall::default);
        }
        Ok(&mut self.tool_calls[index])
    }

    /// The finished completion. A stream that ended before its final event is an `upstream`
    /// error, never a truncated success.
    pub fn finish(self, requested_model: &str) -> Result<Completion, LlmError> {
        if !self.done {
            return Err(LlmError::new(
                ErrorKind::Upstream,
                "the stream ended before its final event (cut off mid-answer)",
            ));
        }
        let tool_calls = self
            .tool_calls
            .into_iter()
            .filter(|call| !call.name.is_empty())
            .map(finish_tool_call)
            .collect::<Result<Vec<_>, _>>()?;
        let finish_reason = match self.finish_reason {
            Some(reason) => reason,
            None if !tool_calls.is_empty() => FinishReason::ToolCalls,
            None => FinishReason::Stop,
        };
        let model = self.model.unwrap_or_else(|| requested_model.to_string());
        let provider_state = self.provider_state.map(|mut state| {
            if state.model.is_empty() {
                state.model.clone_from(&model);
            }
            state
        });
        Ok(Completion {
            output: self.output,
            model,
            usage: self.usage,
            finish_reason,
            tool_calls,
            reasoning: (!self.reasoning.is_empty()).then_some(self.reasoning),
            provider_state,
        })
    }
}

fn finish_tool_call(call: PartialToolCall) -> Result<ToolCall, LlmError> {
    let text = call.arguments.trim();
    let value: Value = if text.is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(text).map_err(|err| {
            LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the arguments of tool call {} are not JSON: {err}",
                    call.name
                ),
            )
        })?
    };
    match value {
        Value::Object(arguments) => Ok(ToolCall {
            id: call.id,
            name: call.name,
            arguments,
        }),
        other => Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the arguments of tool call {} are not an object: {other}",
                call.name
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_without_its_final_event_is_an_upstream_error() {
        let state = StreamState {
            output: "partial".into(),
            ..StreamState::default()
        };
        assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
    }

    #[test]
    fn fragments_of_tool_arguments_assemble() {
        let mut state = StreamState::default();
        state.tool_call(1).unwrap().name = "second".into();
        let first = state.tool_call(0).unwrap();
        first.id = "a".into();
        first.name = "first".into();
        first.arguments.push_str("{\"city\":");
        state.tool_call(0).unwrap().arguments.push_str("\"Paris\"}");
        state.done = true;
        let done = state.finish("m").unwrap();
        assert_eq!(done.tool_calls.len(), 2);
        assert_eq!(done.tool_calls[0].arguments["city"], "Paris");
        assert!(done.tool_calls[1].arguments.is_empty());
        assert_eq!(done.finish_reason, FinishReason::ToolCalls);
        assert_eq!(done.model, "m");
    }

    #[test]
    fn an_index_beyond_any_real_answer_is_refused() {
        let mut state = StreamState::default();
        for index in [4097, 10_000_000_000, u64::MAX] {
            let err = state.tool_call(index).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidResponse);
            assert!(err.message.contains("tool call"), "{}", err.message);
        }
        assert!(state.tool_calls.is_empty());
        assert_eq!(stream_index(4096, "x").unwrap(), 4096);
    }

    #[test]
    fn broken_tool_arguments_are_invalid_response() {
        let mut state = StreamState::default();
        state.tool_call(0).unwrap().name = "t".into();
        state.tool_call(0).unwrap().arguments = "{\"a\":".into();
        state.done = true;
        assert_eq!(
            state.finish("m").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }
}
