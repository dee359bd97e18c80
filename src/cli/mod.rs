//! The subcommands of `llm-mcp`: `serve` (the supervisor), `call`, `smoke` and `presets`.
//!
//! This is the one place in the library allowed to print to stdout: `call`, `smoke` and `presets` are run
//! by people and scripts, not spoken to over MCP.

pub mod call;
pub mod keys;
pub mod presets;
mod progress;
pub mod serve;
pub mod smoke;

use std::process::ExitCode;

/// `llm-mcp`: supervise llm-mcp servers, or call and check them from a shell.
#[derive(Debug, clap::Parser)]
#[command(name = "llm-mcp", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Supervise backend servers as children and serve all of them over MCP on stdio.
    Serve(serve::ServeArgs),
    /// Send one prompt and print the answer (or the record with --json).
    Call(call::CallArgs),
    /// Start each configured server and check that it answers.
    Smoke(smoke::SmokeArgs),
    /// List the presets of `llm-mcp-openai --preset NAME`.
    Presets(presets::PresetsArgs),
    /// Store, list and remove keys in the OS keychain or the encrypted vault.
    Keys(keys::KeysArgs),
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(self) -> ExitCode {
        match self.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Call(args) => call::run(args).await,
            Command::Smoke(args) => smoke::run(args).await,
            Command::Presets(args) => presets::run(args).await,
            Command::Keys(args) => keys::run(args).await,
        }
    }
}
