//! The arguments of the `complete` and `chat` tools, their checks, and how they become a
//! [`CompletionRequest`].
//!
//! Unknown fields are ignored (clients add their own); wrong types are refused by rmcp with a
//! message naming the field; values out of range are `[bad_request]` tool errors here.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::completion::{CompletionRequest, Message, Role, Sampling, ToolChoice, ToolSpec};
use crate::config::ServerConfig;
use crate::error::{ErrorKind, LlmError};

/// The longest prompt or message accepted, in bytes (well above any model's context window).
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;
/// The most messages a `chat` call may carry.
pub const MAX_MESSAGES: usize = 10_000;

/// Settings shared by `complete` and `chat`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct CallOptions {
    /// System prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// Model id or alias; the server's default when absent.
    #[serde(default)]
    pub model: Option<String>,
    /// Upper bound on output tokens.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Sampling temperature (0 to 2).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling (0 to 1).
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Option<Vec<String>>,
    /// Timeout of this call in seconds (at most the server's --timeout).
    #[serde(default)]
    pub timeout_s: Option<f64>,
}

/// Arguments of `complete`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CompleteArgs {
    /// The prompt.
    pub prompt: String,
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub options: CallOptions,
}

/// Arguments of `chat`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ChatArgs {
    /// The conversation, oldest first: role user, assistant or tool.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    /// auto, none, required, or a tool name.
    #[serde(default)]
    pub tool_choice: Option<String>,
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub options: CallOptions,
}

fn bad(message: impl Into<String>) -> LlmError {
    LlmError::new(ErrorKind::BadRequest, message)
}

fn check_text(what: &str, text: &str) -> Result<(), LlmError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(bad(format!(
            "{what} is {} bytes; the limit is {} MiB",
            text.len(),
            MAX_TEXT_BYTES >> 20
        )));
    }
    Ok(())
}

impl CallOptions {
    /// The timeout of this call: `timeout_s` when given, never above the server's own.
    pub fn timeout(&self, config: &ServerConfig) -> Result<Duration, LlmError> {
        match self.timeout_s {
            None => Ok(config.timeout),
            Some(secs) => Duration::try_from_secs_f64(secs)
                .ok()
                .filter(|d| !d.is_zero())
                .map(|d| d.min(config.timeout))
                .ok_or_else(|| {
                    bad(format!(
                        "timeout_s {secs}: expected a positive number of seconds"
                    ))
                }),
        }
    }

    fn sampling(&self, config: &ServerConfig) -> Result<Sampling, LlmError> {
        let max_tokens = self.max_tokens.or(config.max_tokens);
        if max_tokens == Some(0) {
            return Err(bad("max_tokens must be at least 1"));
        }
        let temperature = self.temperature.or(config.temperature);
        if let Some(t) = temperature.filter(|t| !(0.0..=2.0).contains(t)) {
            return Err(bad(format!("temperature {t} is outside 0 to 2")));
        }
        if let Some(p) = self.top_p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(bad(format!("top_p {p} is outside 0 to 1")));
        }
        let stop = self.stop.clone().unwrap_or_default();
        Ok(Sampling {
            max_tokens,
            temperature,
            top_p: self.top_p,
            stop,
        })
    }

    fn request(
        &self,
        config: &ServerConfig,
        messages: Vec<Message>,
    ) -> Result<CompletionRequest, LlmError> {
        if let Some(system) = &self.system {
            check_text("system", system)?;
        }
        let model = self
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or(&config.model);
        Ok(CompletionRequest {
            model: config.resolve_model(model),
            system: self.system.clone().filter(|s| !s.is_empty()),
            messages,
            tools: Vec::new(),
            tool_choice: None,
            sampling: self.sampling(config)?,
        })
    }
}

impl CompleteArgs {
    /// The request this call makes.
    pub fn into_request(self, config: &ServerConfig) -> Result<CompletionRequest, LlmError> {
        if self.prompt.trim().is_empty() {
            return Err(bad("prompt is empty"));
        }
        check_text("prompt", &self.prompt)?;
        self.options
            .request(config, vec![Message::user(self.prompt)])
    }
}

impl ChatArgs {
    /// The request this call makes.
    pub fn into_request(self, config: &ServerConfig) -> Result<CompletionRequest, LlmError> {
        if self.messages.is_empty() {
            return Err(bad("messages is empty"));
        }
        if self.messages.len() > MAX_MESSAGES {
            return Err(bad(format!(
                "{} messages; the limit is {MAX_MESSAGES}",
                self.messages.len()
            )));
        }
        let total: usize = self.messages.iter().map(|m| m.content.len()).sum();
        if total > MAX_TEXT_BYTES {
            return Err(bad(format!(
                "the messages hold {total} bytes; the limit is {} MiB",
                MAX_TEXT_BYTES >> 20
            )));
        }
        for (i, message) in self.messages.iter().enumerate() {
            if message.role == Role::Tool
                && message.tool_call_id.as_deref().is_none_or(str::is_empty)
            {
                return Err(bad(format!(
                    "messages[{i}] has role tool but no tool_call_id"
                )));
            }
        }
        for tool in &self.tools {
            if tool.name.is_empty() {
                return Err(bad("a tool has an empty name"));
            }
            if !tool.input_schema.is_object() {
                return Err(bad(format!(
                    "tool {}: input_schema must be a JSON object",
                    tool.name
                )));
            }
        }
        let tool_choice = self.tool_choice.as_deref().map(ToolChoice::parse);
        if let Some(ToolChoice::Tool(name)) = &tool_choice
            && !self.tools.iter().any(|t| &t.name == name)
        {
            return Err(bad(format!(
                "tool_choice names {name:?}, which is not among the tools"
            )));
        }
        let mut request = self.options.request(config, self.messages)?;
        request.tools = self.tools;
        request.tool_choice = tool_choice;
        Ok(request)
    }
}
