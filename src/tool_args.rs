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

mod files;

pub use files::resolve_paths;

/// The longest prompt or message accepted, in bytes (well above any model's context window).
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;
/// The longest `cache_key` accepted: a key names a conversation or a tenant, never a prompt.
pub const MAX_CACHE_KEY_BYTES: usize = 256;
/// The most stop sequences a call may give (providers take four or five).
pub const MAX_STOPS: usize = 64;
/// The most messages a `chat` call may carry.
pub const MAX_MESSAGES: usize = 10_000;

/// What the backend accepts, for checks made before a call is sent.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The highest temperature the provider accepts.
    pub temperature_max: f64,
}

/// Settings shared by `complete` and `chat`.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// System prompt.
    pub system: Option<String>,
    /// Model id or alias.
    pub model: Option<String>,
    /// Upper bound on output tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Stop sequences.
    pub stop: Option<Vec<String>>,
    /// How hard the model reasons, and whether its reasoning goes in the record.
    pub reasoning: Option<crate::completion::Reasoning>,
    /// The shape the answer must have.
    pub response_format: Option<crate::completion::ResponseFormat>,
    /// The prompt-cache key, instead of the server's own.
    pub cache_key: Option<String>,
    /// Timeout of this call in seconds.
    pub timeout_s: Option<f64>,
}

/// Declares a tool's argument struct: its own fields, then the settings every call takes
/// (the [`CallOptions`] fields), and `options()` to read those. Written out rather than
/// `#[serde(flatten)]`, because a flattened field loses its name in type errors.
#[macro_export]
macro_rules! call_arguments {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// System prompt.
            #[serde(default)]
            pub system: Option<String>,
            /// Model id or alias (see list_models).
            #[serde(default)]
            pub model: Option<String>,
            /// Upper bound on output tokens.
            #[serde(default)]
            pub max_tokens: Option<u32>,
            /// 0 to the provider's maximum (1 or 2).
            #[serde(default)]
            pub temperature: Option<f64>,
            /// Nucleus sampling, 0 to 1.
            #[serde(default)]
            pub top_p: Option<f64>,
            /// Stop sequences.
            #[serde(default)]
            pub stop: Option<Vec<String>>,
            /// Effort or budget, mapped to the model's control; include: reasoning in the record.
            #[serde(default)]
            pub reasoning: Option<$crate::completion::Reasoning>,
            /// json_object, or json_schema with schema; record.json is the parsed answer.
            #[serde(default)]
            pub response_format: Option<$crate::completion::ResponseFormat>,
            /// Prompt-cache key (OpenAI): calls that share one share a cache; default the server's name.
            #[serde(default)]
            pub cache_key: Option<String>,
            /// Seconds; at most the server's --timeout.
            #[serde(default)]
            pub timeout_s: Option<f64>,
        }

        impl $name {
            /// The settings every call takes.
            pub fn options(&self) -> $crate::tool_args::CallOptions {
                $crate::tool_args::CallOptions {
                    system: self.system.clone(),
                    model: self.model.clone(),
                    max_tokens: self.max_tokens,
                    temperature: self.temperature,
                    top_p: self.top_p,
                    stop: self.stop.clone(),
                    reasoning: self.reasoning.clone(),
                    response_format: self.response_format.clone(),
                    cache_key: self.cache_key.clone(),
                    timeout_s: self.timeout_s,
                }
            }
        }
    };
}

call_arguments! {
    /// Arguments of `complete`.
    pub struct CompleteArgs {
        /// The prompt.
        pub prompt: String,
        /// Images before the prompt, each {url} or {data, media_type} or {path}.
        #[serde(default)]
        #[schemars(schema_with = "crate::content::attachments_schema")]
        pub images: Vec<AttachmentArg>,
        /// PDFs before the prompt, each {url} or {data} or {path}.
        #[serde(default)]
        #[schemars(schema_with = "crate::content::attachments_schema")]
        pub documents: Vec<AttachmentArg>,
    }
}

call_arguments! {
    /// Arguments of `chat`.
    pub struct ChatArgs {
        /// Oldest first; content is text or a list of parts (text, image, document); a record's message goes back as it came.
        pub messages: Vec<Message>,
        /// Tools the model may call.
        #[serde(default)]
        pub tools: Vec<ToolSpec>,
        /// auto, none, required, or a tool name.
        #[serde(default)]
        pub tool_choice: Option<String>,
    }
}

/// An image or document of `complete`: a part without its `type`. Its schema says `string`
/// for each field (no `type` arrays, which some clients reject); each may be left out.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct AttachmentArg {
    /// An http(s) or data: URL.
    #[serde(default)]
    #[schemars(with = "String")]
    pub url: Option<String>,
    /// The bytes, base64.
    #[serde(default)]
    #[schemars(with = "String")]
    pub data: Option<String>,
    /// The media type of `data` (image/png, image/jpeg, image/gif, image/webp, application/pdf).
    #[serde(default)]
    #[schemars(with = "String")]
    pub media_type: Option<String>,
    /// A file under a directory the server allows (--allow-files).
    #[serde(default)]
    #[schemars(with = "String")]
    pub path: Option<String>,
}

impl AttachmentArg {
    /// This argument as a content part of `kind` (`image` or `document`).
    fn part(&self, kind: &str) -> serde_json::Value {
        let mut part = serde_json::json!({"type": kind});
        for (key, value) in [
            ("url", &self.url),
            ("data", &self.data),
            ("media_type", &self.media_type),
            ("path", &self.path),
        ] {
            if let Some(value) = value {
                part[key] = value.clone().into();
            }
        }
        part
    }
}

/// Tool arguments, or the `[bad_request]` error they amount to, naming the field at fault
/// (`max_tokens: invalid type: string "ten", expected u32`). Deserializing never fails, so a
/// malformed call gets the same kind of tool error, with `_meta`, as any other bad request;
/// the schema is `T`'s own.
#[derive(Debug, Clone)]
pub struct Checked<T>(pub Result<T, LlmError>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Checked<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let parsed = serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if path == "." {
                bad(format!("invalid arguments: {inner}"))
            } else {
                bad(format!("invalid arguments: {path}: {inner}"))
            }
        });
        Ok(Checked(parsed))
    }
}

impl<T: JsonSchema> JsonSchema for Checked<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
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

    fn sampling(&self, config: &ServerConfig, temperature_max: f64) -> Result<Sampling, LlmError> {
        let max_tokens = self.max_tokens.or(config.max_tokens);
        if max_tokens == Some(0) {
            return Err(bad("max_tokens must be at least 1"));
        }
        let temperature = self.temperature.or(config.temperature);
        if let Some(t) = temperature.filter(|t| !(0.0..=temperature_max).contains(t)) {
            return Err(bad(format!(
                "temperature {t} is outside 0 to {temperature_max}, the provider's range"
            )));
        }
        if let Some(p) = self.top_p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(bad(format!("top_p {p} is outside 0 to 1")));
        }
        let stop = self.stop.clone().unwrap_or_default();
        if stop.len() > MAX_STOPS {
            return Err(bad(format!(
                "{} stop sequences; the limit is {MAX_STOPS}",
                stop.len()
            )));
        }
        check_text("stop", &stop.concat())?;
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
        limits: &Limits,
        messages: Vec<Message>,
    ) -> Result<CompletionRequest, LlmError> {
        if let Some(system) = &self.system {
            check_text("system", system)?;
        }
        if let Some(format) = &self.response_format {
            crate::structured::check_format(format)?;
        }
        let cache_key = self
            .cache_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        if let Some(key) = cache_key.filter(|k| k.len() > MAX_CACHE_KEY_BYTES) {
            return Err(bad(format!(
                "cache_key is {} bytes; the limit is {MAX_CACHE_KEY_BYTES}",
                key.len()
            )));
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
            sampling: self.sampling(config, limits.temperature_max)?,
            reasoning: self.reasoning.clone(),
            response_format: self.response_format.clone(),
            cache_key: cache_key.map(str::to_string),
            ..Default::default()
        })
    }
}

/// The arguments of a tool that makes a completion (`complete`, `chat`): the settings every
/// call takes, and the request they make.
pub trait CompletionArgs {
    /// The settings every call takes.
    fn options(&self) -> CallOptions;
    /// The request this call makes, checked against the configuration and the limits.
    fn into_request(
        self,
        config: &ServerConfig,
        limits: &Limits,
    ) -> Result<CompletionRequest, LlmError>;
}

impl CompletionArgs for CompleteArgs {
    fn options(&self) -> CallOptions {
        CompleteArgs::options(self)
    }

    fn into_request(
        self,
        config: &ServerConfig,
        limits: &Limits,
    ) -> Result<CompletionRequest, LlmError> {
        if self.prompt.trim().is_empty() {
            return Err(bad("prompt is empty"));
        }
        check_text("prompt", &self.prompt)?;
        let mut message = Message::user(self.prompt.clone());
        if !self.images.is_empty() || !self.documents.is_empty() {
            // The same parsing and checks as a chat message's parts.
            let mut parts: Vec<serde_json::Value> = Vec::new();
            parts.extend(self.images.iter().map(|a| a.part("image")));
            parts.extend(self.documents.iter().map(|a| a.part("document")));
            parts.push(serde_json::json!({"type": "text", "text": self.prompt}));
            message = serde_json::from_value(serde_json::json!({"role": "user", "content": parts}))
                .map_err(|e| bad(format!("invalid arguments: images/documents: {e}")))?;
        }
        let mut messages = vec![message];
        resolve_paths(&mut messages, &config.allow_files)?;
        self.options().request(config, limits, messages)
    }
}

impl CompletionArgs for ChatArgs {
    fn options(&self) -> CallOptions {
        ChatArgs::options(self)
    }

    fn into_request(
        self,
        config: &ServerConfig,
        limits: &Limits,
    ) -> Result<CompletionRequest, LlmError> {
        if self.messages.is_empty() {
            return Err(bad("messages is empty"));
        }
        if self.messages.len() > MAX_MESSAGES {
            return Err(bad(format!(
                "{} messages; the limit is {MAX_MESSAGES}",
                self.messages.len()
            )));
        }
        // Everything the caller's text becomes in the request counts: the turns, the tool
        // calls they carry, the tool definitions, the stop sequences and the system prompt.
        let arguments = |m: &Message| -> usize {
            (m.tool_calls.iter())
                .map(|c| c.name.len() + serde_json::to_string(&c.arguments).map_or(0, |t| t.len()))
                .sum()
        };
        let turns: usize = (self.messages.iter())
            .map(|m| m.content.len() + arguments(m))
            .sum();
        let tools: usize = (self.tools.iter())
            .map(|t| {
                t.name.len()
                    + t.description.as_ref().map_or(0, String::len)
                    + t.input_schema.to_string().len()
            })
            .sum();
        let stops: usize = self.stop.iter().flatten().map(String::len).sum();
        let system = self.system.as_ref().map_or(0, String::len);
        let total = turns + tools + stops + system;
        if total > MAX_TEXT_BYTES {
            return Err(bad(format!(
                "the messages, tools, stop sequences and system prompt hold {total} bytes; the \
                 limit is {} MiB",
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
        let options = self.options();
        let mut messages = self.messages;
        resolve_paths(&mut messages, &config.allow_files)?;
        let mut request = options.request(config, limits, messages)?;
        request.tools = self.tools;
        request.tool_choice = tool_choice;
        Ok(request)
    }
}

#[cfg(test)]
mod tests;
