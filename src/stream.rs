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
    /// Whether the provider's final event arrived; a stream without it was cut off.
    pub done: bool,
    /// The reasoning text or summary, once the provider sent it.
    pub reasoning: Option<String>,
    /// What the next turn must send back unchanged (see [`ProviderState`]); an adapter may
    /// gather the provider's items here as they arrive.
    pub provider_state: Option<ProviderState>,
}

impl StreamState {
    /// The tool call at `index`, created empty if the stream has not mentioned it yet.
    pub fn tool_call(&mut self, index: usize) -> &mut PartialToolCall {
        if self.tool_calls.len() <= index {
            self.tool_calls
                .resize_with(index + 1, PartialToolCall::default);
        }
        &mut self.tool_calls[index]
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
        Ok(Completion {
            output: self.output,
            model: self.model.unwrap_or_else(|| requested_model.to_string()),
            usage: self.usage,
            finish_reason,
            tool_calls,
            reasoning: self.reasoning,
            provider_state: self.provider_state,
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
        state.tool_call(1).name = "second".into();
        let first = state.tool_call(0);
        first.id = "a".into();
        first.name = "first".into();
        first.arguments.push_str("{\"city\":");
        state.tool_call(0).arguments.push_str("\"Paris\"}");
        state.done = true;
        let done = state.finish("m").unwrap();
        assert_eq!(done.tool_calls.len(), 2);
        assert_eq!(done.tool_calls[0].arguments["city"], "Paris");
        assert!(done.tool_calls[1].arguments.is_empty());
        assert_eq!(done.finish_reason, FinishReason::ToolCalls);
        assert_eq!(done.model, "m");
    }

    #[test]
    fn broken_tool_arguments_are_invalid_response() {
        let mut state = StreamState::default();
        state.tool_call(0).name = "t".into();
        state.tool_call(0).arguments = "{\"a\":".into();
        state.done = true;
        assert_eq!(
            state.finish("m").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }
}
