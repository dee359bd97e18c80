//! The arguments of the `complete` and `chat` tools as typed builders.
//!
//! Only the fields that are set go on the wire, so a server's own defaults (model, max_tokens,
//! temperature) apply to everything the caller leaves alone. `provider` and `tier` are read by
//! the supervisor's `complete` only; a backend server ignores unknown fields.

use serde::Serialize;

use crate::completion::{Message, ToolSpec};

/// The settings `complete` and `chat` share; each is left to the server when `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequestOptions {
    /// System prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Model id or alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Upper bound on output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature (0 to 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// The server-side timeout of this call in seconds. The client also stops waiting a little
    /// after it, so the server's own `[timeout]` error (which names the provider) arrives first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// Supervisor only: the child server that should answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Supervisor only: `fast`, `primary`, `premium` or `auto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

/// Builder methods for the shared options, implemented for both request types.
macro_rules! option_setters {
    ($ty:ty) => {
        impl $ty {
            /// Sets the system prompt.
            pub fn system(mut self, system: impl Into<String>) -> Self {
                self.options.system = Some(system.into());
                self
            }
            /// Sets the model (an id or an alias).
            pub fn model(mut self, model: impl Into<String>) -> Self {
                self.options.model = Some(model.into());
                self
            }
            /// Sets the upper bound on output tokens.
            pub fn max_tokens(mut self, max_tokens: u32) -> Self {
                self.options.max_tokens = Some(max_tokens);
                self
            }
            /// Sets the sampling temperature (0 to 2).
            pub fn temperature(mut self, temperature: f64) -> Self {
                self.options.temperature = Some(temperature);
                self
            }
            /// Sets nucleus sampling (0 to 1).
            pub fn top_p(mut self, top_p: f64) -> Self {
                self.options.top_p = Some(top_p);
                self
            }
            /// Adds a stop sequence.
            pub fn stop(mut self, stop: impl Into<String>) -> Self {
                self.options
                    .stop
                    .get_or_insert_with(Vec::new)
                    .push(stop.into());
                self
            }
            /// Sets the timeout of this call, in seconds.
            pub fn timeout_s(mut self, seconds: f64) -> Self {
                self.options.timeout_s = Some(seconds);
                self
            }
            /// Supervisor only: asks this child server to answer.
            pub fn provider(mut self, provider: impl Into<String>) -> Self {
                self.options.provider = Some(provider.into());
                self
            }
            /// Supervisor only: asks for a tier (`fast`, `primary`, `premium`, `auto`).
            pub fn tier(mut self, tier: impl Into<String>) -> Self {
                self.options.tier = Some(tier.into());
                self
            }
        }
    };
}

/// The arguments of `complete`: one prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompleteRequest {
    /// The prompt.
    pub prompt: String,
    /// Everything else.
    #[serde(flatten)]
    pub options: RequestOptions,
}

impl CompleteRequest {
    /// A request for `prompt` with the server's defaults.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            options: RequestOptions::default(),
        }
    }
}

option_setters!(CompleteRequest);

/// The arguments of `chat`: a conversation, and tools the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// `auto`, `none`, `required`, or a tool name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub options: RequestOptions,
}

impl ChatRequest {
    /// A request continuing `messages`.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            tools: Vec::new(),
            tool_choice: None,
            options: RequestOptions::default(),
        }
    }

    /// Offers a tool to the model.
    pub fn tool(mut self, tool: ToolSpec) -> Self {
        self.tools.push(tool);
        self
    }

    /// Sets how the model may use the tools: `auto`, `none`, `required`, or a tool name.
    pub fn tool_choice(mut self, choice: impl Into<String>) -> Self {
        self.tool_choice = Some(choice.into());
        self
    }
}

option_setters!(ChatRequest);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_fields_set_go_on_the_wire() {
        let bare = serde_json::to_value(CompleteRequest::new("hi")).unwrap();
        assert_eq!(bare, json!({"prompt": "hi"}));
        let full = CompleteRequest::new("hi")
            .system("be brief")
            .model("haiku")
            .max_tokens(16)
            .temperature(0.5)
            .top_p(0.9)
            .stop("END")
            .stop("STOP")
            .timeout_s(30.0)
            .provider("anthropic")
            .tier("fast");
        assert_eq!(
            serde_json::to_value(full).unwrap(),
            json!({"prompt": "hi", "system": "be brief", "model": "haiku", "max_tokens": 16,
                   "temperature": 0.5, "top_p": 0.9, "stop": ["END", "STOP"], "timeout_s": 30.0,
                   "provider": "anthropic", "tier": "fast"})
        );
    }

    #[test]
    fn chat_carries_messages_tools_and_choice() {
        let tool = ToolSpec {
            name: "get_weather".into(),
            description: None,
            input_schema: json!({"type": "object"}),
        };
        let request = ChatRequest::new(vec![Message::user("call get_weather")])
            .tool(tool)
            .tool_choice("auto")
            .max_tokens(5);
        let value = serde_json::to_value(request).unwrap();
        assert_eq!(value["messages"][0]["role"], "user");
        assert_eq!(value["tools"][0]["name"], "get_weather");
        assert_eq!(value["tool_choice"], "auto");
        assert_eq!(value["max_tokens"], 5);
        assert!(value.get("system").is_none());
    }
}
