//! `llm-mcp-mock`: the offline, deterministic backend (no network, no key).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::mock::{MockBackend, PROFILE};

/// Offline, deterministic LLM backend as an MCP server on stdio: echoes the prompt, counts
/// words as tokens, honours max_tokens. For tests, demos and wiring checks.
#[derive(Parser)]
#[command(name = "llm-mcp-mock", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Wait this long before each answer.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let latency = Duration::from_millis(cli.latency_ms);
    llm_mcp::run::run_backend("llm-mcp-mock", &cli.common, PROFILE, |_| {
        Ok(MockBackend::new(latency))
    })
    .await
}
