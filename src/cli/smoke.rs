//! `llm-mcp smoke` (placeholder while it is being built).

use std::process::ExitCode;

/// Arguments of `llm-mcp smoke`.
#[derive(Debug, clap::Args)]
pub struct SmokeArgs {}

/// Runs `llm-mcp smoke`.
pub async fn run(_args: SmokeArgs) -> ExitCode {
    eprintln!("llm-mcp smoke is not built yet");
    ExitCode::FAILURE
}
