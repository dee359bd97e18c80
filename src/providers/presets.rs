//! The presets of `llm-mcp-openai --preset NAME` (design §1): OpenAI-compatible services and
//! local servers, each a [`Profile`] plus the token-limit field it takes, the wire it speaks
//! and the catalog provider whose models it serves.
//!
//! Base URLs and key variables were checked against each provider's documentation where the
//! search index had it; entries marked "unconfirmed" could not be checked and follow the
//! provider's usual conventions. `--base-url` and `--api-key-env` override any of them.

mod provider;

use crate::config::Profile;
use crate::providers::openai::{self, TokenLimit};

pub use provider::{PresetProvider, provider};

/// The wire a preset speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI's Chat Completions with a bearer key.
    OpenAi,
    /// Azure OpenAI: `api-key` header, deployment routes or the v1 API (see [`provider`]).
    Azure,
    /// Mistral's chat completions: the adapter of `llm-mcp-mistral` (9-character tool-call
    /// ids, `model_length`, Mistral's error bodies), so the preset behaves like that binary.
    Mistral,
}

/// One preset: the defaults of a service and the quirks of its wire.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Names, variables, endpoint, default model and aliases.
    pub profile: Profile,
    /// Which field carries the output token limit when the request does not say.
    pub token_limit: TokenLimit,
    /// The wire format and its dialect.
    pub wire: Wire,
    /// Whether a stream asks for its usage with `stream_options` (see
    /// [`openai::OpenAi::with_stream_usage`]).
    pub stream_usage: bool,
    /// The catalog provider whose models this preset serves, when it is not the preset's own
    /// name: Azure OpenAI runs OpenAI's models, so its parameter rules are OpenAI's.
    pub catalog_provider: Option<&'static str>,
}

/// The `api-version` of Azure's classic deployment routes when `--api-version` is not given.
///
/// `2025-04-01-preview` is the last dated data-plane version: after it Azure moved new features
/// to the v1 API, which takes no `api-version` (the "last generation API" example of
/// <https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle>, and the data
/// plane's "Latest GA release: v1" of
/// <https://learn.microsoft.com/azure/ai-foundry/openai/reference-preview>). Reasoning models
/// need it: they are "enabled only for api versions 2024-12-01-preview and later"
/// (Azure-Samples/azure-search-openai-demo#2496) and take only `max_completion_tokens`
/// (<https://learn.microsoft.com/azure/foundry/openai/how-to/reasoning>), which the older GA
/// `2024-10-21` predates for them.
pub const AZURE_API_VERSION: &str = "2025-04-01-preview";

const fn hosted(
    name: &'static str,
    key_env: &'static str,
    base_url_env: &'static str,
    base_url: &'static str,
    default_model: &'static str,
    token_limit: TokenLimit,
) -> Preset {
    Preset {
        profile: Profile {
            backend: name,
            key_env,
            key_required: true,
            base_url_env,
            base_url,
            default_model,
            // OpenAI's range (<https://platform.openai.com/docs/api-reference/chat/create>),
            // which compatible servers take as they take the rest of the API.
            temperature_max: 2.0,
            aliases: &[],
        },
        token_limit,
        wire: Wire::OpenAi,
        stream_usage: true,
        catalog_provider: None,
    }
}

/// A server on this machine: no key unless it was started with one, and no default model,
/// since it serves whatever was loaded (`--model` names it).
const fn local(
    name: &'static str,
    key_env: &'static str,
    base_url_env: &'static str,
    base_url: &'static str,
) -> Preset {
    let mut preset = hosted(
        name,
        key_env,
        base_url_env,
        base_url,
        "",
        TokenLimit::MaxTokens,
    );
    preset.profile.key_required = false;
    preset
}

const fn with_aliases(
    mut preset: Preset,
    aliases: &'static [(&'static str, &'static str)],
) -> Preset {
    preset.profile.aliases = aliases;
    preset
}

const fn with_model(mut preset: Preset, model: &'static str) -> Preset {
    preset.profile.default_model = model;
    preset
}

use TokenLimit::{ByEndpoint, MaxCompletionTokens, MaxTokens};

/// Every preset, in the order of design §1.
pub const PRESETS: &[Preset] = &[
    Preset {
        profile: openai::PROFILE,
        token_limit: ByEndpoint,
        wire: Wire::OpenAi,
        stream_usage: true,
        catalog_provider: None,
    },
    // The endpoint is the resource's (`https://NAME.openai.azure.com`, or `.../openai/v1`
    // for the v1 API); there is no default, so AZURE_OPENAI_ENDPOINT or --base-url is needed.
    // The model is the deployment name; the catalog's OpenAI entries decide its parameters,
    // looked up by the deployment's name or by the model `--deployment-model` says it runs.
    Preset {
        profile: Profile {
            backend: "azure",
            key_env: "AZURE_OPENAI_API_KEY",
            key_required: true,
            base_url_env: "AZURE_OPENAI_ENDPOINT",
            base_url: "",
            default_model: "gpt-5.5",
            temperature_max: 2.0,
            aliases: &[],
        },
        token_limit: ByEndpoint,
        wire: Wire::Azure,
        stream_usage: true,
        catalog_provider: Some("openai"),
    },
    // https://openrouter.ai/docs/quickstart
    hosted(
        "openrouter",
        "OPENROUTER_API_KEY",
        "OPENROUTER_BASE_URL",
        "https://openrouter.ai/api/v1",
        "openai/gpt-5.5",
        MaxTokens,
    ),
    // https://docs.together.ai/docs/openai-api-compatibility
    hosted(
        "together",
        "TOGETHER_API_KEY",
        "TOGETHER_BASE_URL",
        "https://api.together.xyz/v1",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        MaxTokens,
    ),
    // https://docs.fireworks.ai/tools-sdks/openai-compatibility
    hosted(
        "fireworks",
        "FIREWORKS_API_KEY",
        "FIREWORKS_BASE_URL",
        "https://api.fireworks.ai/inference/v1",
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
        MaxTokens,
    ),
    // https://console.groq.com/docs/openai: `max_tokens` is deprecated there in favour of
    // `max_completion_tokens` (groq-python #175).
    hosted(
        "groq",
        "GROQ_API_KEY",
        "GROQ_BASE_URL",
        "https://api.groq.com/openai/v1",
        "llama-3.3-70b-versatile",
        MaxCompletionTokens,
    ),
    // https://api-docs.deepseek.com: the base works with or without /v1.
    with_aliases(
        hosted(
            "deepseek",
            "DEEPSEEK_API_KEY",
            "DEEPSEEK_BASE_URL",
            "https://api.deepseek.com",
            "deepseek-chat",
            MaxTokens,
        ),
        &[("chat", "deepseek-chat"), ("reasoner", "deepseek-reasoner")],
    ),
    // https://docs.x.ai/docs/api-reference (default model unconfirmed).
    hosted(
        "xai",
        "XAI_API_KEY",
        "XAI_BASE_URL",
        "https://api.x.ai/v1",
        "grok-4",
        MaxTokens,
    ),
    // https://docs.mistral.ai/api/: the same adapter, defaults and aliases as llm-mcp-mistral
    // (`max_tokens` only, no `stream_options`, which Mistral refuses with 422 `extra_forbidden`:
    // openai/openai-agents-python#442; it sends a stream's usage unasked).
    Preset {
        profile: crate::providers::mistral::PROFILE,
        token_limit: TokenLimit::OnlyMaxTokens,
        wire: Wire::Mistral,
        stream_usage: false,
        catalog_provider: None,
    },
    // https://ai.google.dev/gemini-api/docs/openai. Its own variable, since GEMINI_BASE_URL
    // is the native API's (another path).
    with_aliases(
        hosted(
            "gemini",
            "GEMINI_API_KEY",
            "GEMINI_OPENAI_BASE_URL",
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "gemini-flash-latest",
            MaxTokens,
        ),
        // The native backend's names (`llm-mcp-gemini`): Google's rolling aliases, since the
        // 2.5 models these pointed at are shut down (the catalog's gemini entries cite
        // https://ai.google.dev/gemini-api/docs/deprecations).
        &[
            ("flash", "gemini-flash-latest"),
            ("flash-lite", "gemini-flash-lite-latest"),
            ("pro", "gemini-pro-latest"),
        ],
    ),
    // Alibaba Model Studio, international endpoint; `max_tokens` is being retired there in
    // favour of `max_completion_tokens` (Model Studio notice of 2026-04-20).
    hosted(
        "qwen",
        "DASHSCOPE_API_KEY",
        "DASHSCOPE_BASE_URL",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        "qwen-plus",
        MaxCompletionTokens,
    ),
    // https://platform.moonshot.ai (default model unconfirmed).
    hosted(
        "moonshot",
        "MOONSHOT_API_KEY",
        "MOONSHOT_BASE_URL",
        "https://api.moonshot.ai/v1",
        "kimi-k2-0905-preview",
        MaxTokens,
    ),
    // 01.AI international platform: base URL, variable and model unconfirmed.
    hosted(
        "yi",
        "YI_API_KEY",
        "YI_BASE_URL",
        "https://api.01.ai/v1",
        "yi-lightning",
        MaxTokens,
    ),
    // https://docs.cohere.com/docs/compatibility-api; CO_API_KEY is the Cohere SDKs' variable.
    hosted(
        "cohere",
        "CO_API_KEY",
        "COHERE_BASE_URL",
        "https://api.cohere.ai/compatibility/v1",
        "command-a-03-2025",
        MaxTokens,
    ),
    // https://platform.minimax.io/docs/api-reference/text-openai-api: MiniMax marks
    // `max_tokens` deprecated.
    hosted(
        "minimax",
        "MINIMAX_API_KEY",
        "MINIMAX_BASE_URL",
        "https://api.minimax.io/v1",
        "MiniMax-M2.7",
        MaxCompletionTokens,
    ),
    // Falcon through AI71 (TII's platform): base URL, variable and model unconfirmed.
    hosted(
        "falcon",
        "AI71_API_KEY",
        "AI71_BASE_URL",
        "https://api.ai71.ai/v1",
        "tiiuae/falcon-180B-chat",
        MaxTokens,
    ),
    // Jais through Core42's API: base URL, variable and model unconfirmed.
    hosted(
        "jais",
        "CORE42_API_KEY",
        "CORE42_BASE_URL",
        "https://api.core42.ai/v1",
        "jais-30b-chat",
        MaxTokens,
    ),
    // https://docs.sansaml.com: `POST /v1/chat/completions`, `sansa-auto` routes by request;
    // the host and the variable are unconfirmed.
    hosted(
        "sansa",
        "SANSA_API_KEY",
        "SANSA_BASE_URL",
        "https://api.sansaml.com/v1",
        "sansa-auto",
        MaxTokens,
    ),
    // https://docs.perplexity.ai: no /v1 in the path.
    with_aliases(
        hosted(
            "perplexity",
            "PERPLEXITY_API_KEY",
            "PERPLEXITY_BASE_URL",
            "https://api.perplexity.ai",
            "sonar",
            MaxTokens,
        ),
        &[("pro", "sonar-pro"), ("reasoning", "sonar-reasoning-pro")],
    ),
    // https://inference-docs.cerebras.ai/resources/openai: takes `max_completion_tokens`.
    hosted(
        "cerebras",
        "CEREBRAS_API_KEY",
        "CEREBRAS_BASE_URL",
        "https://api.cerebras.ai/v1",
        "gpt-oss-120b",
        MaxCompletionTokens,
    ),
    // `vllm serve --api-key` / VLLM_API_KEY; default port 8000.
    local(
        "vllm",
        "VLLM_API_KEY",
        "VLLM_BASE_URL",
        "http://localhost:8000/v1",
    ),
    // LM Studio's server, default port 1234 (key variable unconfirmed: it needs none by default).
    local(
        "lmstudio",
        "LMSTUDIO_API_KEY",
        "LMSTUDIO_BASE_URL",
        "http://localhost:1234/v1",
    ),
    // `llama-server --api-key` / LLAMA_API_KEY; default port 8080.
    local(
        "llamacpp",
        "LLAMA_API_KEY",
        "LLAMACPP_BASE_URL",
        "http://localhost:8080/v1",
    ),
    // Ollama's OpenAI-compatible `/v1` (OLLAMA_HOST is the native API's and has no /v1).
    with_model(
        local(
            "ollama",
            "OLLAMA_API_KEY",
            "OLLAMA_OPENAI_BASE_URL",
            "http://localhost:11434/v1",
        ),
        "llama3.2",
    ),
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|preset| preset.profile.backend.eq_ignore_ascii_case(name))
}

/// The names of every preset, for error messages and `llm-mcp presets`.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.profile.backend).collect()
}

#[cfg(test)]
mod tests;
