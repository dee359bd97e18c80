//! `llm-mcp-ollama`: Ollama's native chat API as an MCP server on stdio.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::ollama::{OllamaProvider, PROFILE, normalize_host};

/// Ollama (local or hosted) as an MCP server on stdio: tools complete, chat, list_models and
/// status over Ollama's native /api/chat. The endpoint comes from --base-url or OLLAMA_HOST
/// (`host:port` without a scheme is fine); OLLAMA_API_KEY is only needed for hosted Ollama.
#[derive(Parser)]
#[command(name = "llm-mcp-ollama", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // OLLAMA_HOST is often `0.0.0.0:11434` or `localhost:11434`, which the shared base-URL
    // parser rejects; it is read the way the ollama CLI reads it before configuration resolves.
    let host = cli
        .common
        .base_url
        .clone()
        .or_else(|| std::env::var(PROFILE.base_url_env).ok())
        .filter(|value| !value.trim().is_empty());
    cli.common.base_url = host.map(|value| normalize_host(&value));
    llm_mcp::run::run_backend("llm-mcp-ollama", &cli.common, PROFILE, |config| {
        HttpBackend::new(OllamaProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}
