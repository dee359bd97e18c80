//! What every binary's `main` shares: the runtime, logs on stderr, and serving an MCP server
//! on stdio until the client closes stdin (a backend's whole life is `registry::life`).

use std::future::Future;

use rmcp::{ServerHandler, ServiceExt};

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

/// Completes on SIGTERM or SIGINT (never, when the handlers cannot be installed).
pub(crate) async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("no signal handlers: only the client can end this server");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Serves `server` on stdin/stdout until the client disconnects, cancelling the calls in
/// flight when it does (see
/// [`crate::stdio::stdio`]).
pub(crate) async fn serve_stdio<S: ServerHandler>(
    server: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let transport = crate::stdio::stdio();
    // stdin closed or stdout failed: the session is over, and its calls with it.
    let ended = transport.ended();
    let running = server.serve_with_ct(transport, ended).await?;
    running.waiting().await?;
    Ok(())
}
