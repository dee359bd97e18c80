//! The five HTTP backends described as data for [`super::backends::Backend`]: paths, framing,
//! transcripts, error bodies, and the provider's own words for stops and tool call ids.

use super::backends::{Backend, Framing, Stops};
use super::sse;
use super::streams;
use super::{anthropic_api, gemini_api, mistral_api, ollama_api, openai_api};

fn same(url: &str) -> String {
    url.to_string()
}

fn with_v1(url: &str) -> String {
    format!("{url}/v1")
}

/// `llm-mcp-anthropic`.
pub const ANTHROPIC: Backend = Backend {
    name: "anthropic",
    binary: env!("CARGO_BIN_EXE_llm-mcp-anthropic"),
    args: &[],
    key_env: "ANTHROPIC_API_KEY",
    path: anthropic_api::MESSAGES,
    stream_path: anthropic_api::MESSAGES,
    stream_query: None,
    stream_flag: true,
    asks_stream_usage: false,
    models_path: anthropic_api::MODELS,
    models: |model| anthropic_api::models(&[model]),
    model: "claude-sonnet-4-5-20250929",
    base_url: same,
    framing: Framing::Sse,
    events: sse::anthropic_events,
    first_text: 3,
    trailing: 0,
    whole: sse::anthropic_whole,
    stops: Stops {
        end: "end_turn",
        length: "max_tokens",
        tool: "tool_use",
    },
    tool_id: Some("toolu_01A09q90qw90lq917835lq9"),
    text_with_tools: true,
    reads_cache: true,
    writes_cache: true,
    unauthorized: anthropic_api::unauthorized,
    model_not_found: anthropic_api::model_not_found,
    rate_limited: anthropic_api::rate_limited,
    quota: anthropic_api::spend_limit,
    server_error: anthropic_api::api_error,
};

/// `llm-mcp-openai`.
pub const OPENAI: Backend = Backend {
    name: "openai",
    binary: env!("CARGO_BIN_EXE_llm-mcp-openai"),
    args: &[],
    key_env: "OPENAI_API_KEY",
    path: openai_api::CHAT,
    stream_path: openai_api::CHAT,
    stream_query: None,
    stream_flag: true,
    asks_stream_usage: true,
    models_path: openai_api::MODELS,
    models: |model| openai_api::models(&[model]),
    model: "gpt-4o-mini-2024-07-18",
    base_url: with_v1,
    framing: Framing::Sse,
    events: sse::openai_events,
    // The finish_reason chunk is followed by the usage chunk and `[DONE]`.
    first_text: 1,
    trailing: 2,
    whole: sse::openai_whole,
    stops: Stops {
        end: "stop",
        length: "length",
        tool: "tool_calls",
    },
    tool_id: Some("call_62136354"),
    text_with_tools: false,
    reads_cache: true,
    writes_cache: false,
    unauthorized: openai_api::unauthorized,
    model_not_found: openai_api::model_not_found,
    rate_limited: openai_api::rate_limited,
    quota: openai_api::insufficient_quota,
    server_error: openai_api::server_error,
};

/// `llm-mcp-ollama`: NDJSON on the same path as a whole answer.
pub const OLLAMA: Backend = Backend {
    name: "ollama",
    binary: env!("CARGO_BIN_EXE_llm-mcp-ollama"),
    args: &[],
    key_env: "OLLAMA_API_KEY",
    path: ollama_api::CHAT,
    stream_path: ollama_api::CHAT,
    stream_query: None,
    stream_flag: true,
    asks_stream_usage: false,
    models_path: ollama_api::TAGS,
    models: |model| ollama_api::tags(&[model]),
    model: "llama3.2",
    base_url: same,
    framing: Framing::Ndjson,
    events: streams::ollama_lines,
    first_text: 0,
    trailing: 0,
    whole: streams::ollama_whole,
    stops: Stops {
        end: "stop",
        length: "length",
        tool: "stop",
    },
    tool_id: None,
    text_with_tools: false,
    reads_cache: false,
    writes_cache: false,
    // Hosted Ollama (ollama.com) answers a bad key with 401 `{"error": "unauthorized"}`.
    unauthorized: || ollama_api::error(401, "unauthorized"),
    model_not_found: ollama_api::model_not_found,
    rate_limited: || ollama_api::error(429, "too many requests"),
    // Ollama has no quota error of its own; this stands in for a failure where one is needed
    // (it reads as a plain rate limit).
    quota: || ollama_api::error(429, "you have reached your weekly usage limit"),
    server_error: || ollama_api::error(500, "llama runner process has terminated: exit status 2"),
};

/// `llm-mcp-gemini`, asking for its default model: streams go to `streamGenerateContent`.
pub const GEMINI: Backend = Backend {
    name: "gemini",
    binary: env!("CARGO_BIN_EXE_llm-mcp-gemini"),
    args: &[],
    key_env: "GEMINI_API_KEY",
    path: "/v1beta/models/gemini-flash-latest:generateContent",
    stream_path: "/v1beta/models/gemini-flash-latest:streamGenerateContent",
    stream_query: Some("alt=sse"),
    stream_flag: false,
    asks_stream_usage: false,
    models_path: gemini_api::MODELS,
    models: |model| gemini_api::models(&[(model, &["generateContent", "countTokens"])]),
    model: "gemini-2.5-flash",
    base_url: same,
    framing: Framing::Sse,
    events: streams::gemini_events,
    first_text: 0,
    trailing: 0,
    whole: streams::gemini_whole,
    stops: Stops {
        end: "STOP",
        length: "MAX_TOKENS",
        tool: "STOP",
    },
    tool_id: None,
    text_with_tools: true,
    reads_cache: true,
    writes_cache: false,
    unauthorized: gemini_api::unauthenticated,
    model_not_found: gemini_api::model_not_found,
    rate_limited: || gemini_api::rate_limited("0.1s"),
    quota: gemini_api::daily_quota,
    server_error: gemini_api::internal,
};

/// `llm-mcp-mistral`: OpenAI's chunks, usage on the finish chunk, no `stream_options`.
pub const MISTRAL: Backend = Backend {
    name: "mistral",
    binary: env!("CARGO_BIN_EXE_llm-mcp-mistral"),
    args: &[],
    key_env: "MISTRAL_API_KEY",
    path: mistral_api::CHAT,
    stream_path: mistral_api::CHAT,
    stream_query: None,
    stream_flag: true,
    asks_stream_usage: false,
    models_path: mistral_api::MODELS,
    models: |model| mistral_api::models(&[model]),
    model: "mistral-medium-latest",
    base_url: same,
    framing: Framing::Sse,
    events: streams::mistral_events,
    // The finish_reason chunk (with the usage) is followed by `[DONE]`.
    first_text: 1,
    trailing: 1,
    whole: streams::mistral_whole,
    stops: Stops {
        end: "stop",
        length: "length",
        tool: "tool_calls",
    },
    tool_id: Some("D681PevKs"),
    text_with_tools: false,
    reads_cache: false,
    writes_cache: false,
    unauthorized: mistral_api::unauthorized,
    model_not_found: mistral_api::invalid_model,
    rate_limited: mistral_api::rate_limited,
    quota: mistral_api::spending_limit,
    server_error: mistral_api::server_error,
};

/// Every streaming backend.
pub const ALL: [Backend; 5] = [ANTHROPIC, OPENAI, OLLAMA, GEMINI, MISTRAL];
