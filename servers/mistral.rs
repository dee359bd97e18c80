//! `llm-mcp-mistral`: Mistral La Plateforme's chat completions API as an MCP server on stdio.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::mistral::{MistralProvider, PROFILE};

/// Mistral (La Plateforme) as an MCP server on stdio: tools complete, chat, list_models and
/// status over /v1/chat/completions. The key comes from MISTRAL_API_KEY (or --api-key-env);
/// MISTRAL_BASE_URL or --base-url change the endpoint. Aliases: small, medium, large, mini,
/// tiny, code, devstral, magistral.
#[derive(Parser)]
#[command(name = "llm-mcp-mistral", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    llm_mcp::run::run_backend("llm-mcp-mistral", &cli.common, PROFILE, |config| {
        HttpBackend::new(MistralProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}
