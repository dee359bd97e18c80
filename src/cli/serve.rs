//! `llm-mcp serve`: the supervisor on stdio.

use std::path::PathBuf;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};

use crate::supervisor::config::SupervisorConfig;

/// Arguments of `llm-mcp serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The configuration file: {"mcpServers": {NAME: {command, args, env}}, default, fallback,
    /// tiers, restart, health}. Without it: one child per backend whose key is set, and mock.
    /// The file is reloaded on change and on SIGHUP.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Runs `llm-mcp serve` until stdin closes, SIGTERM or SIGINT; exits 2 on a bad config file.
pub async fn run(args: ServeArgs) -> ExitCode {
    crate::run::init_logging();
    let env = |name: &str| std::env::var(name).ok();
    let config = match &args.config {
        Some(path) => match SupervisorConfig::load(path, &env) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("llm-mcp serve: {err}");
                return ExitCode::from(2);
            }
        },
        None => SupervisorConfig::builtin(&env),
    };
    let outcome =
        crate::supervisor::run(config, args.config, crate::stdio::stdio(), terminated()).await;
    let code = match outcome {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("llm-mcp serve: {err}");
            1
        }
    };
    // The children are gone by now. Exit at once: tokio's stdin reader is a blocking thread
    // that would keep the runtime from shutting down after a signal.
    std::process::exit(code)
}

/// Completes on SIGTERM or SIGINT.
async fn terminated() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("no signal handlers: only stdin EOF ends the supervisor");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
