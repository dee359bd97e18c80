//! Provider-neutral types: what a tool call asks for ([`CompletionRequest`]), what a
//! provider answers ([`Completion`]), and the normalized [`Record`] every backend returns.
//!
//! Every wire format maps onto these and nothing else, so the server, the supervisor and the
//! client never see a provider's own shapes.

mod wire;

pub use wire::MessageWire;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message: user, assistant or tool.
// The system prompt is not a message: it travels in `CompletionRequest::system`, because
// Anthropic and Gemini keep it apart from the turns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The human or agent asking.
    #[default]
    User,
    /// The model, including the tool calls it made.
    Assistant,
    /// The result of a tool call, answering `tool_call_id`.
    Tool,
}

/// One turn of a conversation. In JSON, `content` is a string, or a list of parts when the
/// turn carries images or documents (see [`crate::content`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::MessageWire", into = "wire::MessageWire")]
pub struct Message {
    /// user, assistant or tool.
    pub role: Role,
    /// The text of the turn (for a tool turn, the tool's result); text parts joined.
    pub content: String,
    /// For a tool turn: the id of the call it answers.
    pub tool_call_id: Option<String>,
    /// For an assistant turn: the tool calls it made.
    pub tool_calls: Vec<ToolCall>,
    /// For an assistant turn: what the provider needs back unchanged on the next turn
    /// (thinking blocks, thought signatures, reasoning items), as `record.message` carried it.
    pub provider_state: Option<ProviderState>,
    /// For a user turn: its images and documents, in order (sent before its text).
    pub attachments: Vec<crate::content::Attachment>,
}

impl JsonSchema for Message {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Message".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        wire::MessageWire::json_schema(generator)
    }
}

impl Message {
    /// A user turn holding `text`.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: text.into(),
            ..Self::default()
        }
    }
}

/// Opaque state a provider attached to an assistant turn, which the next turn of the same
/// conversation must send back exactly as it came: Anthropic's `thinking` and
/// `redacted_thinking` blocks with their signatures, Gemini's parts with their
/// `thoughtSignature`s, OpenAI's reasoning items. Only the wire format that made it reads
/// `parts`; it is tied to the model that made it, so a turn replayed to another model or
/// format leaves it out (see [`crate::replay`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderState {
    /// The wire format that made it: `anthropic`, `gemini`, `openai-responses`, ...
    pub format: String,
    /// The model that made it, as the provider named it.
    pub model: String,
    /// The provider's own items, in its own shapes; never edited.
    pub parts: Vec<Value>,
}

/// How much a model should reason before it answers, from none to the most it can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Effort {
    /// No reasoning (where the model can turn it off).
    None,
    /// The least reasoning short of none.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// The most the model offers.
    Max,
}

impl Effort {
    /// The lowercase name used on the wire by most providers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minimal => "minimal",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Max => "max",
        }
    }

    /// Every level, least first.
    pub const ALL: [Effort; 6] = [
        Self::None,
        Self::Minimal,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Max,
    ];

    /// The level named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// The `reasoning` argument of `complete` and `chat`: how hard to think, and whether the
/// reasoning text (or summary) the provider returns goes into the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reasoning {
    /// none, minimal, low, medium, high or max; mapped onto the model's own levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Effort>,
    /// A thinking budget in tokens, for models that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
    /// Put the provider's reasoning text or summary in the record's `reasoning`.
    #[serde(default)]
    pub include: bool,
}

/// The shape the answer must have: the `response_format` argument of `complete` and `chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Any JSON object.
    JsonObject,
    /// JSON that matches `schema` (a JSON Schema).
    JsonSchema {
        /// The JSON Schema the answer must match.
        schema: Value,
        /// A name for the schema (some providers require one; default `response`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Ask the provider to enforce the schema strictly where it can.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}

/// A tool the model may call, described by a JSON Schema of its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolSpec {
    /// The tool's name, as the model will call it.
    pub name: String,
    /// What the tool does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the tool's arguments (an object schema).
    #[serde(default = "empty_object_schema")]
    pub input_schema: Value,
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// How the model may use the offered tools.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// The model must not call a tool.
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Tool(String),
}

impl ToolChoice {
    /// Parses the `tool_choice` argument: `auto`, `none`, `required` (or `any`), or a tool name.
    pub fn parse(text: &str) -> Self {
        match text {
            "auto" => Self::Auto,
            "none" => Self::None,
            "required" | "any" => Self::Required,
            name => Self::Tool(name.to_string()),
        }
    }
}

/// A call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolCall {
    /// The provider's id of the call; a tool turn answers it by this id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, always a JSON object.
    pub arguments: serde_json::Map<String, Value>,
}

/// Sampling settings shared by every wire format; `None` leaves the provider's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampling {
    /// Upper bound on output tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Sequences that end the output.
    pub stop: Vec<String>,
}

/// One request to a model, after aliases and defaults are resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionRequest {
    /// The provider's model id (never an alias).
    pub model: String,
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation, oldest first; never empty.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// How it may call them; `None` leaves the provider's default.
    pub tool_choice: Option<ToolChoice>,
    /// Sampling settings.
    pub sampling: Sampling,
    /// How hard the model should reason; `None` leaves the provider's default.
    pub reasoning: Option<Reasoning>,
    /// What the catalog knows of the model (accepted parameters, limits, reasoning controls),
    /// when it knows it; adapters shape the wire request from it.
    pub model_info: Option<std::sync::Arc<crate::catalog::types::ModelEntry>>,
    /// The wire shape of the output limit when the catalog or an earlier refusal settled it
    /// (`None`: the adapter's own default for its endpoint).
    pub token_limit_field: Option<crate::catalog::types::TokenLimitField>,
    /// Stop sequences the server applies to the answer itself, because the model does not
    /// take `stop` (the output is cut before the first one found).
    pub local_stop: Vec<String>,
    /// The shape the answer must have, when the caller asked for JSON.
    pub response_format: Option<ResponseFormat>,
    /// The key of the provider's prompt cache this request may use (the server's instance
    /// name), or `None` when `--prompt-cache off`: adapters send no caching hints then.
    pub cache_key: Option<String>,
}

impl CompletionRequest {
    /// Every image and document of the conversation, in order.
    pub fn attachments(&self) -> impl Iterator<Item = &crate::content::Attachment> {
        self.messages.iter().flat_map(|m| m.attachments.iter())
    }
}

/// Why the model stopped. Each provider's own values map onto these (see each adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishReason {
    /// A natural end or a stop sequence.
    Stop,
    /// The output token limit.
    Length,
    /// The model called tools and waits for their results.
    ToolCalls,
    /// A safety system withheld or cut the output.
    ContentFilter,
    /// Anything else the provider reports.
    Other,
}

/// Token counts. `None` means the provider did not say: unknown is never 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// All input tokens, cached ones included.
    pub input_tokens: Option<u64>,
    /// All output tokens, reasoning included.
    pub output_tokens: Option<u64>,
    /// Input tokens read from the provider's prompt cache (part of `input_tokens`).
    pub cache_read_tokens: Option<u64>,
    /// Input tokens written to the provider's prompt cache (part of `input_tokens`).
    pub cache_write_tokens: Option<u64>,
    /// Output tokens spent on hidden reasoning (part of `output_tokens`).
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// Everything billed: input plus output, or `None` when the provider reported neither.
    /// The counts are the provider's word, so the sum saturates rather than wraps.
    pub fn total(&self) -> Option<u64> {
        match (self.input_tokens, self.output_tokens) {
            (None, None) => None,
            (input, output) => Some(input.unwrap_or(0).saturating_add(output.unwrap_or(0))),
        }
    }
}

/// What a provider answered, before the server adds timing, attempts and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The assistant text, concatenated in order.
    pub output: String,
    /// The model the provider says it used.
    pub model: String,
    /// Token counts as reported.
    pub usage: Usage,
    /// Why it stopped.
    pub finish_reason: FinishReason,
    /// Tool calls the model made, in order.
    pub tool_calls: Vec<ToolCall>,
    /// The reasoning text or summary the provider returned, when there was one.
    pub reasoning: Option<String>,
    /// What the next turn must send back unchanged (see [`ProviderState`]).
    pub provider_state: Option<ProviderState>,
}

impl Completion {
    /// An answer of `output` by `model` that stopped for `finish_reason`, with nothing else yet.
    pub fn new(output: String, model: String, finish_reason: FinishReason) -> Self {
        Self {
            output,
            model,
            usage: Usage::default(),
            finish_reason,
            tool_calls: Vec::new(),
            reasoning: None,
            provider_state: None,
        }
    }

    /// The assistant turn as the next `chat` call must send it back.
    pub fn message(&self) -> Message {
        Message {
            role: Role::Assistant,
            content: self.output.clone(),
            tool_call_id: None,
            tool_calls: self.tool_calls.clone(),
            provider_state: self.provider_state.clone(),
            attachments: Vec::new(),
        }
    }
}

/// The normalized result of `complete` and `chat`: the tool's `structuredContent`, declared as
/// its `outputSchema`, and serialized as its text content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    /// The assistant text, concatenated in order.
    pub output: String,
    /// The model the provider says it used (not the alias that was asked for).
    pub model: String,
    /// Input (cached included) plus output (reasoning included); null when unreported.
    pub tokens_used: Option<u64>,
    /// The server's instance name.
    pub provider: String,
    /// Token counts; each is null when the provider did not report it.
    pub usage: Usage,
    /// stop, length, tool_calls, content_filter or other.
    pub finish_reason: FinishReason,
    /// Wall time of the call in milliseconds, retries included.
    pub latency_ms: u64,
    /// HTTP attempts made (1 when the first one answered).
    pub attempts: u32,
    /// Cost in USD from the price table; null when the model's price is unknown.
    pub cost_usd: Option<f64>,
    /// Tool calls the model made, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Each way the request was adapted to what the model accepts, and anything else the
    /// caller should know about this answer; empty when it went as asked.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The reasoning text or summary, when the call asked for it (`reasoning.include`) and the
    /// provider returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The answer parsed as JSON, when the call asked for a `response_format` (and checked
    /// against its schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// This answer as an assistant turn: append it, then the tool results, to `messages` for a
    /// valid next `chat` turn (it carries the provider's opaque state).
    pub message: Message,
}

/// The supervisor's `complete` result: the answering server's record, and who was tried.
/// [`crate::client::LlmClient::complete_routed`] reads it back (`tried` is empty for a
/// backend, which answers a plain record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoutedRecord {
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub record: Record,
    /// The servers tried, in order; the last one answered.
    #[serde(default)]
    pub tried: Vec<String>,
    /// The servers passed over because their circuit breaker was open, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// A server the supervisor did not call because its circuit breaker was open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Skipped {
    /// The server.
    pub provider: String,
    /// Why (`circuit open after 3 provider failures in a row (...); next probe in 27 s`).
    pub why: String,
}

/// A request to `model` with one user turn whose `content` is the tool-argument JSON (text, or
/// a list of parts), for the adapters' unit tests.
#[cfg(test)]
pub(crate) fn user_request(model: &str, content: Value) -> CompletionRequest {
    let message: Message =
        serde_json::from_value(serde_json::json!({"role": "user", "content": content})).unwrap();
    CompletionRequest {
        model: model.into(),
        messages: vec![message],
        ..CompletionRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_is_unknown_only_when_both_sides_are() {
        assert_eq!(Usage::default().total(), None);
        let input_only = Usage {
            input_tokens: Some(7),
            ..Usage::default()
        };
        assert_eq!(input_only.total(), Some(7));
        let both = Usage {
            input_tokens: Some(7),
            output_tokens: Some(5),
            ..Usage::default()
        };
        assert_eq!(both.total(), Some(12));
        let absurd = Usage {
            input_tokens: Some(u64::MAX),
            output_tokens: Some(5),
            ..Usage::default()
        };
        assert_eq!(absurd.total(), Some(u64::MAX));
    }

    #[test]
    fn tool_choice_parses_keywords_and_names() {
        assert_eq!(ToolChoice::parse("auto"), ToolChoice::Auto);
        assert_eq!(ToolChoice::parse("any"), ToolChoice::Required);
        assert_eq!(
            ToolChoice::parse("get_weather"),
            ToolChoice::Tool("get_weather".into())
        );
    }
}
