//! The offline mock backend: no network, no key, the same answer for the same request.
//!
//! - Output: the words of the last user message, cut to `max_tokens` words (then
//!   `finish_reason` is `length`).
//! - Tokens: one per whitespace-separated word; input counts the system prompt and every
//!   message.
//! - Tools: when `tool_choice` is `required` or names a tool, or the last user message contains
//!   `call TOOLNAME`, it calls that tool (or the first one) with arguments built from the tool's
//!   schema: every required property gets the user's text (strings), 0, false, [] or {}. After a
//!   tool turn it answers `TOOLNAME returned: RESULT`.
//! - `--latency-ms` waits before answering (cancellable, like a real provider); a streamed
//!   call spreads the wait over its words.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::{Answer, Backend, Probe};
use crate::completion::{
    Completion, CompletionRequest, FinishReason, Message, Role, ToolCall, ToolChoice, ToolSpec,
    Usage,
};
use crate::config::Profile;
use crate::error::LlmError;

/// The mock's defaults. It has no endpoint; the URL is never contacted.
pub const PROFILE: Profile = Profile {
    backend: "mock",
    key_env: "LLM_MCP_MOCK_KEY",
    key_required: false,
    base_url_env: "LLM_MCP_MOCK_URL",
    base_url: "http://127.0.0.1/",
    default_model: "mock-echo-1",
    temperature_max: 2.0,
    aliases: &[("echo", "mock-echo-1")],
};

/// The offline backend.
#[derive(Debug, Clone, Default)]
pub struct MockBackend {
    latency: Duration,
}

impl MockBackend {
    /// A mock that answers after `latency`.
    pub fn new(latency: Duration) -> Self {
        Self { latency }
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The answer to `request`, computed from the request alone.
pub fn answer(request: &CompletionRequest) -> Completion {
    let input_tokens = request.system.as_deref().map_or(0, words)
        + request
            .messages
            .iter()
            .map(|m| words(&m.content))
            .sum::<u64>();
    let last = request.messages.last();
    let last_user = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map_or("", |m| m.content.as_str());
    let (output, tool_calls) = match last {
        Some(message) if message.role == Role::Tool => (tool_reply(request, message), Vec::new()),
        _ => match tool_to_call(request, last_user) {
            Some(tool) => (
                String::new(),
                vec![call(tool, last_user, request.messages.len())],
            ),
            None => (last_user.to_string(), Vec::new()),
        },
    };
    let limit = request.sampling.max_tokens.map_or(u64::MAX, u64::from);
    let (output, finish_reason) = if words(&output) > limit {
        let cut: Vec<&str> = output.split_whitespace().take(limit as usize).collect();
        (cut.join(" "), FinishReason::Length)
    } else if tool_calls.is_empty() {
        (output, FinishReason::Stop)
    } else {
        (output, FinishReason::ToolCalls)
    };
    let output_tokens = words(&output)
        + tool_calls
            .iter()
            .map(|c| words(&Value::Object(c.arguments.clone()).to_string()))
            .sum::<u64>();
    Completion {
        output,
        model: request.model.clone(),
        usage: Usage {
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
            cache_read_tokens: Some(0),
            cache_write_tokens: Some(0),
            reasoning_tokens: Some(0),
        },
        finish_reason,
        tool_calls,
        reasoning: None,
        provider_state: None,
    }
}

fn tool_reply(request: &CompletionRequest, result: &Message) -> String {
    let id = result.tool_call_id.as_deref().unwrap_or_default();
    let name = request
        .messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .find(|c| c.id == id)
        .map_or(id, |c| c.name.as_str());
    format!("{name} returned: {}", result.content)
}

fn tool_to_call<'a>(request: &'a CompletionRequest, text: &str) -> Option<&'a ToolSpec> {
    let tools = &request.tools;
    match &request.tool_choice {
        Some(ToolChoice::None) => None,
        Some(ToolChoice::Tool(name)) => tools.iter().find(|t| &t.name == name),
        Some(ToolChoice::Required) => tools
            .iter()
            .find(|t| text.contains(&format!("call {}", t.name)))
            .or(tools.first()),
        Some(ToolChoice::Auto) | None => tools
            .iter()
            .find(|t| text.contains(&format!("call {}", t.name))),
    }
}

fn call(tool: &ToolSpec, text: &str, turn: usize) -> ToolCall {
    let schema = &tool.input_schema;
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    let mut arguments = Map::new();
    for name in required.iter().filter_map(Value::as_str) {
        let value = match schema["properties"][name]["type"].as_str() {
            Some("integer" | "number") => json!(0),
            Some("boolean") => json!(false),
            Some("array") => json!([]),
            Some("object") => json!({}),
            _ => json!(text),
        };
        arguments.insert(name.to_string(), value);
    }
    ToolCall {
        id: format!("call_mock_{turn}"),
        name: tool.name.clone(),
        arguments,
    }
}

impl Backend for MockBackend {
    async fn complete(
        &self,
        request: CompletionRequest,
        _deadline: Instant,
    ) -> Result<Answer, LlmError> {
        no_attachments(&request)?;
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        Ok(Answer {
            completion: answer(&request),
            attempts: 1,
        })
    }

    /// Streams the answer word by word, spreading `--latency-ms` over the words, so progress
    /// notifications can be seen and tested offline.
    async fn complete_streaming(
        &self,
        request: CompletionRequest,
        _deadline: Instant,
        deltas: mpsc::UnboundedSender<String>,
    ) -> Result<Answer, LlmError> {
        no_attachments(&request)?;
        let completion = answer(&request);
        let words: Vec<&str> = completion.output.split_whitespace().collect();
        let pause = self.latency / (words.len() as u32 + 1);
        tokio::time::sleep(pause).await;
        for (i, word) in words.iter().enumerate() {
            let piece = if i == 0 {
                word.to_string()
            } else {
                format!(" {word}")
            };
            // The receiver outlives this call; a send error only means the call was dropped.
            let _ = deltas.send(piece);
            tokio::time::sleep(pause).await;
        }
        Ok(Answer {
            completion,
            attempts: 1,
        })
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        Ok(vec![PROFILE.default_model.to_string()])
    }

    async fn probe(&self) -> Probe {
        Probe {
            reachable: true,
            latency_ms: Some(0),
            detail: None,
        }
    }

    fn endpoint(&self) -> String {
        "offline (no network)".to_string()
    }
}

/// The mock sees no images or documents: it refuses them rather than answer as if it had.
fn no_attachments(request: &CompletionRequest) -> Result<(), LlmError> {
    match request.attachments().next() {
        Some(a) => Err(crate::content::refuse("the mock backend", a.kind.as_str())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::Sampling;

    fn request(messages: Vec<Message>) -> CompletionRequest {
        CompletionRequest {
            model: "mock-echo-1".into(),
            system: Some("be brief".into()),
            messages,
            tools: Vec::new(),
            tool_choice: None,
            sampling: Sampling::default(),
            ..Default::default()
        }
    }

    #[test]
    fn echoes_and_counts_words() {
        let done = answer(&request(vec![Message::user("hello there world")]));
        assert_eq!(done.output, "hello there world");
        assert_eq!(done.usage.input_tokens, Some(5));
        assert_eq!(done.usage.output_tokens, Some(3));
        assert_eq!(done.finish_reason, FinishReason::Stop);
    }

    #[test]
    fn honours_max_tokens_with_length() {
        let mut req = request(vec![Message::user("one two three four")]);
        req.sampling.max_tokens = Some(2);
        let done = answer(&req);
        assert_eq!(done.output, "one two");
        assert_eq!(done.finish_reason, FinishReason::Length);
        assert_eq!(done.usage.output_tokens, Some(2));
    }

    #[test]
    fn calls_a_tool_then_reads_its_result() {
        let mut req = request(vec![Message::user("please call get_weather for Paris")]);
        req.tools = vec![ToolSpec {
            name: "get_weather".into(),
            description: None,
            input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city", "days"]}),
        }];
        let first = answer(&req);
        assert_eq!(first.finish_reason, FinishReason::ToolCalls);
        let call = &first.tool_calls[0];
        assert_eq!(call.name, "get_weather");
        assert_eq!(call.arguments["days"], json!(0));
        assert_eq!(
            call.arguments["city"],
            json!("please call get_weather for Paris")
        );
        req.messages.push(Message {
            role: Role::Assistant,
            content: String::new(),
            tool_call_id: None,
            tool_calls: first.tool_calls.clone(),
            provider_state: None,
            attachments: Vec::new(),
        });
        req.messages.push(Message {
            role: Role::Tool,
            content: "sunny".into(),
            tool_call_id: Some(call.id.clone()),
            tool_calls: Vec::new(),
            provider_state: None,
            attachments: Vec::new(),
        });
        let second = answer(&req);
        assert_eq!(second.output, "get_weather returned: sunny");
        assert_eq!(second.finish_reason, FinishReason::Stop);
    }
}
