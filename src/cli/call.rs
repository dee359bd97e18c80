//! `llm-mcp call` (placeholder while it is being built).

use std::process::ExitCode;

/// Arguments of `llm-mcp call`.
#[derive(Debug, clap::Args)]
pub struct CallArgs {}

/// Runs `llm-mcp call`.
pub async fn run(_args: CallArgs) -> ExitCode {
    eprintln!("llm-mcp call is not built yet");
    ExitCode::FAILURE
}
