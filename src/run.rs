//! What every binary's `main` shares: the runtime, logs on stderr, and for a backend its
//! configuration resolved once, then MCP on stdio until the client closes stdin.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;

use rmcp::{ServerHandler, ServiceExt};

use crate::backend::Backend;
use crate::config::{CommonArgs, Profile, ServerConfig};
use crate::registry::{self, BackendInfo};
use crate::server::LlmServer;

/// Runs `main` to completion on the runtime every binary uses.
pub fn block_on<F: Future>(main: F) -> F::Output {
    // One worker: a server waits on pipes and sockets, and a second worker only adds
    // cross-thread wake-ups (measured by benches/bench.rs: less CPU per call and more calls
    // per second).
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
        .block_on(main)
}

/// The whole `main` of the dedicated binary of the backend called `name` (see
/// [`registry::BACKENDS`]): its command line, its runtime, its life.
pub fn backend_main(name: &str) -> ExitCode {
    let Some(backend) = registry::find(name) else {
        eprintln!(
            "no backend called {name}; one of {}",
            registry::names().join(", ")
        );
        return ExitCode::from(2);
    };
    block_on(backend.run(std::env::args_os().collect(), backend.binary.to_string()))
}

/// The whole `main` of `llm-mcp`: its subcommands on the shared runtime.
pub fn cli_main() -> ExitCode {
    use clap::Parser;
    block_on(crate::cli::Cli::parse().run())
}

/// Sends `tracing` output to stderr (stdout is the MCP channel), filtered by `RUST_LOG`,
/// `warn` by default (rmcp logs every notification at `info`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A second call (a backend that already logged a usage error) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Serves `server` on stdin/stdout until the client disconnects (see
/// [`crate::stdio::stdio`]).
async fn serve_stdio<S: ServerHandler>(
    server: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let running = server.serve(crate::stdio::stdio()).await?;
    running.waiting().await?;
    Ok(())
}

/// What a backend says on stderr when a person runs it in a terminal, where it would
/// otherwise wait silently for JSON-RPC.
pub(crate) fn terminal_notice(backend: &BackendInfo) -> String {
    format!(
        "{binary}: an MCP server on stdin/stdout, waiting for an MCP client (Ctrl-D ends it).\n\
         Try it from a shell:   llm-mcp call \"hello\" -- {binary}\n\
         or in the MCP Inspector: npx @modelcontextprotocol/inspector {binary}\n\
         Flags and variables:   {binary} --help",
        binary = backend.binary
    )
}

/// The life of a backend: resolve `args` against `profile` and the process environment,
/// build the backend with `make`, serve it on stdio. Configuration errors are logged (stderr,
/// like every log line) and end the process with exit code 2.
pub(crate) async fn run_backend<B: Backend>(
    info: &BackendInfo,
    args: &CommonArgs,
    profile: Profile,
    make: impl FnOnce(&ServerConfig) -> Result<B, String>,
) -> ExitCode {
    init_logging();
    let binary = info.binary;
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
    if let Some(warning) = config.key_source.warning() {
        tracing::warn!("{binary}: {warning}");
    }
    if std::io::stdin().is_terminal() {
        eprintln!("{}", terminal_notice(info));
    }
    match serve_stdio(LlmServer::new(backend, config, binary)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_notice_says_what_this_is_and_how_to_try_it() {
        for backend in registry::BACKENDS {
            let notice = terminal_notice(backend);
            assert!(notice.contains("MCP server"), "{notice}");
            let call = format!("llm-mcp call \"hello\" -- {}", backend.binary);
            assert!(notice.contains(&call), "{notice}");
            assert!(
                notice.contains("@modelcontextprotocol/inspector"),
                "{notice}"
            );
        }
    }
}
