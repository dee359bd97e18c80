//! `llm-mcp-openai`: OpenAI Chat Completions, and any OpenAI-compatible server through
//! `--base-url`.
//!
//! A key is required unless the endpoint needs none: a loopback `--base-url` (or
//! `OPENAI_BASE_URL`) such as `http://127.0.0.1:8000/v1` for vLLM, llama.cpp or LM Studio, or
//! `--key-optional` for a keyless server elsewhere. Without a key the server still starts;
//! `status` then says whether one is missing or not required.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::openai::{OpenAi, PROFILE, needs_key};

/// OpenAI Chat Completions (and OpenAI-compatible servers) as an MCP server on stdio.
#[derive(Parser)]
#[command(name = "llm-mcp-openai", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Call without a key when none is set (a server that needs none); implied by a loopback
    /// base URL.
    #[arg(long)]
    key_optional: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let base_url = cli
        .common
        .base_url
        .clone()
        .or_else(|| std::env::var(PROFILE.base_url_env).ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| PROFILE.base_url.to_string());
    let mut profile = PROFILE;
    profile.key_required = !cli.key_optional && needs_key(&base_url);
    llm_mcp::run::run_backend("llm-mcp-openai", &cli.common, profile, |config| {
        HttpBackend::new(OpenAi::new(config.base_url.clone()), config).map_err(|e| e.to_string())
    })
    .await
}
