//! Serving an MCP server over Streamable HTTP: the listener, one hyper HTTP/1.1 connection
//! per client, rmcp's service behind the [`Gate`](super::gate), and the shutdown.
//!
//! Shutdown (when `stop` completes): the listener closes at once and every connection is
//! told to close after its response in progress; calls still answering get the drain time to
//! finish; then every session and stream is cancelled, and open connections get a moment to
//! close.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::args::{HttpOptions, ListenAddr};
use super::disconnect::{GRACE, Streams};
use super::gate::{Gate, MAX_BODY_BYTES, PATH};
use super::in_flight::InFlight;

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 1024;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// After the drain, how long open connections get to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves the servers `make` builds (one per session, or per request in the stateless
/// lifecycle) at `http://ADDR/mcp` until `stop` completes, then shuts down. `name` prefixes the
/// line on stderr that says where it listens.
pub(crate) async fn serve_http<S, F>(
    make: F,
    options: HttpOptions,
    name: &str,
    stop: impl Future<Output = ()>,
) -> Result<(), String>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let listener = Bound::bind(&options.addr).await?;
    let cancel = CancellationToken::new();
    let manager = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(
        move || Ok(make()),
        manager.clone(),
        rmcp_config(&options, cancel.child_token()),
    );
    let gate = Arc::new(Gate {
        service,
        token: options.token.clone(),
        in_flight: Arc::new(InFlight::new()),
        streams: Streams::new(manager, GRACE),
    });
    // Operators and tests read where it listens (port 0 picks one); stdout is not used.
    eprintln!("{name}: serving MCP at {}", listener.shown);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        match accepted {
            Ok(Accepted::Tcp(stream)) => {
                let _ = stream.set_nodelay(true);
                spawn_connection(stream, &gate, &graceful, slot);
            }
            #[cfg(unix)]
            Ok(Accepted::Unix(stream)) => spawn_connection(stream, &gate, &graceful, slot),
            Err(err) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!("{name}: accepting a connection failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    let closed = tokio::spawn(graceful.shutdown());
    let left = gate.in_flight.drain(options.drain).await;
    if left > 0 {
        tracing::warn!(
            "{name}: {left} call(s) still running after {:.0} s: cancelled",
            options.drain.as_secs_f64()
        );
    }
    cancel.cancel();
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, closed).await;
    Ok(())
}

/// A bound listener and how it is shown on stderr.
struct Bound {
    kind: BoundKind,
    /// `http://127.0.0.1:PORT/mcp`, or `unix:PATH` (requests go to `/mcp` on it).
    shown: String,
}

enum BoundKind {
    Tcp(TcpListener),
    /// Removes its file when dropped.
    #[cfg(unix)]
    Unix(super::unix::UnixBound),
}

/// One accepted connection.
enum Accepted {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl Bound {
    async fn bind(addr: &ListenAddr) -> Result<Self, String> {
        match addr {
            ListenAddr::Tcp(addr) => {
                let failed = |err: std::io::Error| format!("cannot listen on {addr}: {err}");
                let listener = TcpListener::bind(addr).await.map_err(failed)?;
                let local = listener.local_addr().map_err(failed)?;
                Ok(Self {
                    kind: BoundKind::Tcp(listener),
                    shown: format!("http://{local}{PATH}"),
                })
            }
            #[cfg(unix)]
            ListenAddr::Unix(path) => Ok(Self {
                kind: BoundKind::Unix(super::unix::bind(path).await?),
                shown: format!("unix:{} (http://localhost{PATH} on it)", path.display()),
            }),
            #[cfg(not(unix))]
            ListenAddr::Unix(_) => Err(format!("cannot listen on {addr}: no Unix sockets here")),
        }
    }

    async fn accept(&self) -> std::io::Result<Accepted> {
        match &self.kind {
            BoundKind::Tcp(listener) => listener.accept().await.map(|(s, _)| Accepted::Tcp(s)),
            #[cfg(unix)]
            BoundKind::Unix(bound) => {
                (bound.listener.accept().await).map(|(s, _)| Accepted::Unix(s))
            }
        }
    }
}

/// Serves one connection's HTTP/1.1 requests through the gate until it closes (or the
/// shutdown closes it), holding its connection `slot`.
fn spawn_connection<IO, S>(
    stream: IO,
    gate: &Arc<Gate<S>>,
    graceful: &GracefulShutdown,
    slot: OwnedSemaphorePermit,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: ServerHandler + Send + 'static,
{
    let gate = gate.clone();
    let service = hyper::service::service_fn(move |request| {
        let gate = gate.clone();
        async move { Ok::<_, Infallible>(gate.handle(request).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        let _ = connection.await;
        drop(slot);
    });
}

/// rmcp's side: sessions for the 2025 revisions (2026-07-28 requests are served statelessly
/// whatever this says), Host checked on a loopback listener, Origin always checked, bodies
/// bounded (the gate bounds them first).
fn rmcp_config(options: &HttpOptions, cancel: CancellationToken) -> StreamableHttpServerConfig {
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel)
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_allowed_origins(options.allowed_origins.clone())
        .enforce_origin_validation();
    // A loopback listener keeps rmcp's loopback Host list: a page on a rebound DNS name
    // reaches 127.0.0.1 with its own name as Host. Off loopback the names are the operator's
    // (a proxy's, a Service's), and the bearer token guards the door.
    if options.loopback() {
        config
    } else {
        config.disable_allowed_hosts()
    }
}
