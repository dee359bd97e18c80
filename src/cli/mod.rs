//! The subcommands of `llm-mcp`: `serve` (the supervisor), `call`, `smoke`, `presets`, `models`,
//! `keys`, `register` and `backend` (any backend server, as its own binary runs it).
//!
//! This is the one place in the library allowed to print to stdout: `call`, `smoke`, `presets`,
//! `models` and `keys` are run by people and scripts, not spoken to over MCP.

pub mod call;
pub mod keys;
pub mod models;
pub mod presets;
pub mod register;
pub mod serve;
pub mod smoke;
mod status_line;

use std::process::ExitCode;

/// The whole `main` of `llm-mcp`: its subcommands on the runtime every binary uses.
pub fn main() -> ExitCode {
    use clap::Parser;
    // `llm-mcp __keep ...`, which serve runs between itself and each child, before any runtime.
    #[cfg(target_os = "linux")]
    crate::supervisor::keeper::run_if_asked();
    crate::run::block_on(Cli::parse().run())
}

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
    /// Serve on stdio by relaying to this machine's shared `llm-mcp serve --listen`
    /// (127.0.0.1:8931), started when none runs: every client shares its children and limits.
    Connect(crate::connect::ConnectArgs),
    /// Send one prompt and print the answer (or the record with --json).
    Call(call::CallArgs),
    /// Start each configured server and check that it answers.
    Smoke(smoke::SmokeArgs),
    /// List the presets of `llm-mcp-openai --preset NAME`.
    Presets(presets::PresetsArgs),
    /// Store, list and remove keys in the OS keychain or the encrypted vault.
    Keys(keys::KeysArgs),
    /// Print the model catalog (built-in, extended by --catalog files).
    Models(models::ModelsArgs),
    /// Add llm-mcp to an MCP client's configuration (Claude Desktop, Claude Code, Cursor, VS Code).
    Register(register::RegisterArgs),
    /// Run one backend server on stdio, exactly as its own binary does: `llm-mcp backend mock
    /// --latency-ms 5` is `llm-mcp-mock --latency-ms 5` (`llm-mcp backend NAME --help` lists
    /// its flags).
    Backend(BackendArgs),
}

/// Arguments of `llm-mcp backend`.
#[derive(Debug, clap::Args)]
pub struct BackendArgs {
    /// The backend: anthropic, openai, gemini, mistral, ollama or mock.
    #[arg(value_name = "NAME")]
    name: String,
    /// The backend's own flags.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "FLAGS"
    )]
    flags: Vec<std::ffi::OsString>,
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(self) -> ExitCode {
        match self.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Connect(args) => crate::connect::run(args).await,
            Command::Call(args) => call::run(args).await,
            Command::Smoke(args) => smoke::run(args).await,
            Command::Presets(args) => presets::run(args).await,
            Command::Keys(args) => keys::run(args).await,
            Command::Models(args) => models::run(args).await,
            Command::Register(args) => register::run(args).await,
            Command::Backend(args) => {
                let Some(backend) = crate::registry::find(&args.name) else {
                    eprintln!(
                        "llm-mcp backend {}: unknown; one of {}",
                        args.name,
                        crate::registry::names().join(", ")
                    );
                    return ExitCode::from(2);
                };
                let bin_name = format!("llm-mcp backend {}", backend.name);
                let argv = std::iter::once(bin_name.clone().into())
                    .chain(args.flags)
                    .collect();
                backend.run(argv, bin_name).await
            }
        }
    }
}
