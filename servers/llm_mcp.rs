//! `llm-mcp`: the parent command (`serve`, `call`, `smoke`).

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    llm_mcp::cli::Cli::parse().run().await
}
