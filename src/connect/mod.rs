//! `llm-mcp connect`: a stdio MCP server that relays to the one shared `llm-mcp serve
//! --listen` of this user on this machine (on a Unix socket in the user's runtime directory,
//! or on loopback TCP with `--port`), starting it when none runs, so every MCP client
//! of the machine (Claude Desktop, Claude Code, Cursor, scripts) shares one set of children,
//! key rest periods, concurrency and rate limits, and totals.
//!
//! - `start`: finding the shared supervisor, or starting it under a lock so that two
//!   clients starting at once start one.
//! - `relay`: the stdio server that forwards `tools/list`, `tools/call` (with progress and
//!   cancellation) and `tools/list_changed` to it.

mod relay;
mod start;

use std::path::PathBuf;
use std::process::ExitCode;

/// The loopback port of the shared supervisor unless `--port` says otherwise.
pub const DEFAULT_PORT: u16 = 8931;

/// Arguments of `llm-mcp connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// Reach the shared supervisor over loopback TCP, `llm-mcp serve --listen
    /// 127.0.0.1:PORT`, instead of its Unix socket (8931 where there are no Unix sockets).
    /// Anyone on this machine can connect to a loopback port.
    #[arg(long, env = "LLM_MCP_CONNECT_PORT", conflicts_with = "socket")]
    pub port: Option<u16>,
    /// The Unix socket of the shared supervisor (default: $XDG_RUNTIME_DIR/llm-mcp/serve.sock,
    /// else llm-mcp-$USER under the temp directory); its directory must be yours and closed to
    /// others.
    #[arg(long, env = "LLM_MCP_CONNECT_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// The configuration file the supervisor is started with, when none runs yet (a
    /// running one keeps its own).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How long to wait for a supervisor being started, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub start_timeout: f64,
}

/// Runs `llm-mcp connect` until the client closes stdin; exits 1 when no supervisor could
/// be reached or started, 2 on a bad flag.
pub async fn run(args: ConnectArgs) -> ExitCode {
    crate::run::init_logging();
    if !(args.start_timeout.is_finite() && args.start_timeout > 0.0 && args.start_timeout <= 600.0)
    {
        tracing::error!(
            "llm-mcp connect: --start-timeout {}: expected seconds, more than 0 and at most 600",
            args.start_timeout
        );
        return ExitCode::from(2);
    }
    let env = |name: &str| std::env::var(name).ok();
    let endpoint = match (args.port, args.socket) {
        (Some(port), _) => Some(start::Endpoint::Tcp(port)),
        #[cfg(unix)]
        (None, Some(path)) => Some(start::Endpoint::Unix(path)),
        #[cfg(not(unix))]
        (None, Some(_)) => {
            tracing::error!(
                "llm-mcp connect: --socket: Unix sockets exist on Unix only; use --port"
            );
            return ExitCode::from(2);
        }
        (None, None) => None,
    };
    let place = start::Place::new(endpoint, &env);
    let timeout = std::time::Duration::from_secs_f64(args.start_timeout);
    let upstream = match start::reach_or_start(&place, args.config.as_deref(), timeout).await {
        Ok(upstream) => upstream,
        Err(err) => {
            tracing::error!("llm-mcp connect: {err}");
            return ExitCode::FAILURE;
        }
    };
    match relay::serve(upstream).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("llm-mcp connect: {err}");
            ExitCode::FAILURE
        }
    }
}
