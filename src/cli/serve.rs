//! `llm-mcp serve` (placeholder while it is being built).

use std::process::ExitCode;

/// Arguments of `llm-mcp serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// Runs `llm-mcp serve`.
pub async fn run(_args: ServeArgs) -> ExitCode {
    eprintln!("llm-mcp serve is not built yet");
    ExitCode::FAILURE
}
