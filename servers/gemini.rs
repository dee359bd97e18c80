//! `llm-mcp-gemini`: Google Gemini's native generateContent API as an MCP server on stdio.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::gemini::{GeminiProvider, PROFILE};

/// Google Gemini (AI Studio API) as an MCP server on stdio: tools complete, chat, list_models
/// and status over the native generateContent API. The key comes from GEMINI_API_KEY (or
/// --api-key-env) and travels in the x-goog-api-key header; GEMINI_BASE_URL or --base-url
/// change the endpoint. Aliases: flash, flash-lite, pro.
#[derive(Parser)]
#[command(name = "llm-mcp-gemini", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    llm_mcp::run::run_backend("llm-mcp-gemini", &cli.common, PROFILE, |config| {
        HttpBackend::new(GeminiProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}
