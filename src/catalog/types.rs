//! The catalog file format (`"format": 1`): one file per provider, the same shape for the
//! built-in files and for a user's `--catalog FILE`.
//!
//! Every struct denies unknown fields, so a typo in a user file is an error that names the
//! field. A fact not known for a model is left out (`None`), never guessed.

use serde::{Deserialize, Serialize};

/// The only format version this build reads.
pub const FORMAT: u32 = 1;

/// One catalog file: a provider, the endpoints it serves at, and its models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderCatalog {
    /// Always [`FORMAT`].
    pub format: u32,
    /// The catalog provider name: `anthropic`, `openai`, `gemini`, `mistral`, `ollama`, ...
    pub provider: String,
    /// Where this provider's models are served; a price applies only at an endpoint that says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// The models.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

/// An endpoint of a provider: the hosts it answers at and whether the list prices apply there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// A short name models refer to (`api`, `azure`, `openai_compat`).
    pub id: String,
    /// Host names: exact (`api.openai.com`), a subdomain wildcard (`*.openai.azure.com`), or
    /// `*` for any host (the offline mock).
    pub hosts: Vec<String>,
    /// The wire API at this endpoint (`messages`, `chat_completions`, `generate_content`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Whether the models' list prices are what this endpoint bills.
    pub prices_apply: bool,
    /// Why, when it is not obvious.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Pages the endpoint facts come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// One model (or model family sharing one id) and what is known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// The provider's model id; dated snapshots of it (`ID-20250929`, `ID-2025-08-07`) match too.
    pub id: String,
    /// Other names that mean exactly this model (`claude-sonnet-4-5-latest`, `-latest` names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The endpoint ids that serve it; empty means every endpoint of the provider.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// `false` when a fact below rests on secondary sources only (see `note`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub confirmed: bool,
    /// Anything a user should know that the fields do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Context window, tokens (input and output together, as the provider states it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Maximum input tokens, when the provider states it apart from the context window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input: Option<u64>,
    /// Maximum output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
    /// The request field that carries the output token limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_limit_field: Option<TokenLimitField>,
    /// Which request parameters the model accepts.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// How its reasoning is controlled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// The API tool calls need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_api: Option<ToolsApi>,
    /// Input modalities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<Modality>>,
    /// Whether schema-constrained (structured) output is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_output: Option<bool>,
    /// The shortest prefix, in tokens, the provider caches for this model (Anthropic's
    /// "minimum cacheable prompt length"); a breakpoint before it caches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cache_tokens: Option<u64>,
    /// List prices, where they apply ([`Endpoint::prices_apply`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<ModelPrice>,
    /// Active, deprecated or retired, and what replaces it; absent when not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// The pages the facts above come from.
    #[serde(default)]
    pub sources: Vec<String>,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// The request field for the output token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// `max_tokens` (Anthropic, Mistral, older OpenAI chat models).
    MaxTokens,
    /// `max_completion_tokens` (OpenAI reasoning models on Chat Completions).
    MaxCompletionTokens,
    /// `max_output_tokens` (OpenAI Responses).
    MaxOutputTokens,
    /// `generationConfig.maxOutputTokens` (Gemini).
    GenerationConfigMaxOutputTokens,
    /// `options.num_predict` (Ollama).
    NumPredict,
}

/// Which request parameters a model accepts: `Some(false)` is a documented rejection,
/// `None` is not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A non-default `temperature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<bool>,
    /// A non-default `top_p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<bool>,
    /// `temperature` and `top_p` in the same request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_with_top_p: Option<bool>,
    /// `top_k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<bool>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<bool>,
    /// A forced tool choice (`required`/`any`/a named tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced_tool_choice: Option<bool>,
    /// A conversation ending in an assistant turn (prefill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_prefill: Option<bool>,
    /// Turning thinking off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_thinking: Option<bool>,
}

impl Params {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// How a model's reasoning is controlled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reasoning {
    /// The model does not reason, or it cannot be controlled.
    None,
    /// Named effort levels (`reasoning_effort`, `thinkingLevel`).
    Effort {
        /// The accepted levels, lowest first.
        levels: Vec<String>,
        /// The level used when none is sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
    },
    /// A thinking token budget.
    Budget {
        /// Smallest budget accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u64>,
        /// Largest budget accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    },
    /// Adaptive thinking (`thinking: {type: "adaptive"}`) steered by effort levels.
    Adaptive {
        /// The accepted effort levels, lowest first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        levels: Vec<String>,
        /// The level used when none is sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        /// Whether it is on when the request says nothing about thinking.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_by_default: Option<bool>,
    },
    /// Ollama's `think` field: a boolean, or one of `levels` (gpt-oss: low/medium/high).
    OllamaThink {
        /// The accepted levels; empty means `think` is a boolean.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        levels: Vec<String>,
    },
}

impl Reasoning {
    /// A short label for tables.
    pub fn label(&self) -> String {
        match self {
            Self::None => "none".into(),
            Self::Effort { levels, .. } => format!("effort {}", levels.join("/")),
            Self::Budget { min, max } => match (min, max) {
                (Some(a), Some(b)) => format!("budget {a}-{b}"),
                (Some(a), None) => format!("budget {a}+"),
                (None, Some(b)) => format!("budget ..{b}"),
                (None, None) => "budget".into(),
            },
            Self::Adaptive { .. } => "adaptive".into(),
            Self::OllamaThink { levels } if levels.is_empty() => "think".into(),
            Self::OllamaThink { levels } => format!("think {}", levels.join("/")),
        }
    }
}

/// The API a model's tool calls need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolsApi {
    /// Anthropic Messages.
    Messages,
    /// OpenAI-style Chat Completions.
    ChatCompletions,
    /// OpenAI Responses only (Chat Completions rejects function tools).
    Responses,
    /// Gemini generateContent.
    GenerateContent,
    /// Ollama /api/chat.
    OllamaChat,
    /// The model takes no tools.
    Unsupported,
}

impl ToolsApi {
    /// The snake_case name, as in the file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::ChatCompletions => "chat_completions",
            Self::Responses => "responses",
            Self::GenerateContent => "generate_content",
            Self::OllamaChat => "ollama_chat",
            Self::Unsupported => "unsupported",
        }
    }
}

/// An input modality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Text.
    Text,
    /// Images.
    Image,
    /// PDF documents.
    Pdf,
    /// Audio.
    Audio,
    /// Video.
    Video,
}

impl Modality {
    /// The name in catalog files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Pdf => "pdf",
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }
}

/// List prices, USD per million tokens, with the page and the day they were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Uncached input.
    pub input: f64,
    /// Output, reasoning included.
    pub output: f64,
    /// Input read from the prompt cache; absent bills it as input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Input written to the prompt cache (the shortest TTL); absent bills it as input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// Rates that replace these for a whole request whose prompt is longer than a threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_prompt: Option<LongPromptPrice>,
    /// The page the prices come from.
    pub source: String,
    /// The day they were read or took effect, `YYYY-MM-DD`.
    pub as_of: String,
    /// Promotions, tiers not modelled, and the like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The rates for prompts over `above_tokens` (input, cache reads and writes together).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongPromptPrice {
    /// The prompt length above which these rates apply to every token of the request.
    pub above_tokens: u64,
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Cache writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

/// Where a model is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Active, deprecated (still answers) or retired (no longer answers).
    pub status: Status,
    /// When it was deprecated, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_on: Option<String>,
    /// When it stops (or stopped) answering, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retires_on: Option<String>,
    /// The id of the model the provider recommends instead (an entry of the same provider).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// A model's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Served and current.
    Active,
    /// Still served, scheduled to go.
    Deprecated,
    /// No longer served.
    Retired,
}

impl Status {
    /// The snake_case name, as in the file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
        }
    }
}
