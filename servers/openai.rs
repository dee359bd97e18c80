//! `llm-mcp-openai`: OpenAI Chat Completions, and any OpenAI-compatible service through
//! `--preset NAME` or `--base-url`.
//!
//! When is a key required? Unless the endpoint needs none: a preset of a local server (vllm,
//! lmstudio, llamacpp, ollama), a loopback base URL (`--base-url`, or the preset's variable
//! such as `OPENAI_BASE_URL`, e.g. `http://127.0.0.1:8000/v1`), or `--key-optional` for a
//! keyless server elsewhere. A key that is set is still sent. Without a required key the
//! server still starts; `status` says it is missing and calls return `[auth]`.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::openai::needs_key;
use llm_mcp::providers::presets::{self, AZURE_API_VERSION, Preset};

/// OpenAI Chat Completions (and OpenAI-compatible services) as an MCP server on stdio.
#[derive(Parser)]
#[command(name = "llm-mcp-openai", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// A service's defaults: openai, azure, openrouter, together, fireworks, groq, deepseek,
    /// xai, mistral, gemini, qwen, moonshot, yi, cohere, minimax, falcon, jais, sansa,
    /// perplexity, cerebras, vllm, lmstudio, llamacpp, ollama.
    #[arg(long, default_value = "openai", value_name = "NAME")]
    preset: String,
    /// Azure OpenAI's api-version for the deployment routes (not used by the /openai/v1 API).
    #[arg(long, env = "OPENAI_API_VERSION", default_value = AZURE_API_VERSION)]
    api_version: String,
    /// Call without a key when none is set (a server that needs none); implied by a loopback
    /// base URL and by the local presets.
    #[arg(long)]
    key_optional: bool,
}

/// The preset, with `key_required` settled for the endpoint in use.
fn settle(cli: &Cli) -> Result<Preset, String> {
    let mut preset = *presets::find(&cli.preset).ok_or_else(|| {
        format!(
            "--preset {}: unknown; one of {}",
            cli.preset,
            presets::names().join(", ")
        )
    })?;
    let profile = &mut preset.profile;
    let base_url = cli
        .common
        .base_url
        .clone()
        .or_else(|| std::env::var(profile.base_url_env).ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| profile.base_url.to_string());
    if base_url.is_empty() {
        return Err(format!(
            "--preset {}: set {} or pass --base-url (the resource endpoint, e.g. https://NAME.openai.azure.com)",
            profile.backend, profile.base_url_env
        ));
    }
    if profile.default_model.is_empty() && cli.common.model.is_none() {
        return Err(format!(
            "--preset {}: name the model the server serves with --model or LLM_MCP_MODEL",
            profile.backend
        ));
    }
    profile.key_required = profile.key_required && !cli.key_optional && needs_key(&base_url);
    Ok(preset)
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let preset = match settle(&cli) {
        Ok(preset) => preset,
        Err(err) => {
            eprintln!("llm-mcp-openai: {err}");
            return ExitCode::from(2);
        }
    };
    llm_mcp::run::run_backend("llm-mcp-openai", &cli.common, preset.profile, |config| {
        let provider = presets::provider(&preset, &config.base_url, &cli.api_version);
        HttpBackend::new(provider, config).map_err(|e| e.to_string())
    })
    .await
}
