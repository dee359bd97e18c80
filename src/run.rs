//! What every server binary's `main` shares: logs on stderr, configuration resolved once, then
//! MCP on stdio until the client closes stdin.

use std::process::ExitCode;

use rmcp::{ServerHandler, ServiceExt};

use crate::backend::Backend;
use crate::config::{CommonArgs, Profile, ServerConfig};
use crate::server::LlmServer;

/// Sends `tracing` output to stderr (stdout is the MCP channel), filtered by `RUST_LOG`,
/// `warn` by default (rmcp logs every notification at `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// Serves `server` on stdin/stdout until the client disconnects (see
/// [`crate::stdin_screen::stdio`]).
pub async fn serve_stdio<S: ServerHandler>(
    server: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let running = server.serve(crate::stdin_screen::stdio()).await?;
    running.waiting().await?;
    Ok(())
}

/// The whole life of a backend binary: resolve `args` against `profile` and the process
/// environment, build the backend with `make`, serve it on stdio. Configuration errors are
/// logged (stderr, like every log line) and end the process with exit code 2.
pub async fn run_backend<B: Backend>(
    binary: &'static str,
    args: &CommonArgs,
    profile: Profile,
    make: impl FnOnce(&ServerConfig) -> Result<B, String>,
) -> ExitCode {
    init_logging();
    let built = args
        .resolve(profile, &|name| std::env::var(name).ok())
        .map_err(|err| err.to_string())
        .and_then(|config| make(&config).map(|backend| (backend, config)));
    let (backend, config) = match built {
        Ok(built) => built,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            return ExitCode::from(2);
        }
    };
    match serve_stdio(LlmServer::new(backend, config, binary)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            ExitCode::FAILURE
        }
    }
}
