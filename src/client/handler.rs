//! The client's side of the connection: its identity, its options, and the progress
//! notifications it passes to subscribers.

use std::time::Duration;

use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};
use serde::Serialize;
use tokio::sync::broadcast;

use super::StderrMode;

/// The name the client gives servers in `initialize`.
pub const CLIENT_NAME: &str = "llm-mcp-client";

/// How a client starts and waits.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long a request may go without an answer or a progress notification (a call with a
    /// longer `timeout_s` of its own waits for that instead).
    pub request_timeout: Duration,
    /// How long the server may take from spawn to the end of the handshake.
    pub start_timeout: Duration,
    /// Where the server's stderr goes.
    pub stderr: StderrMode,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(600),
            start_timeout: Duration::from_secs(30),
            stderr: StderrMode::Capture,
        }
    }
}

/// A progress notification from the server, for any request in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Progress so far (for our servers: output tokens so far).
    pub progress: f64,
    /// The total, when the server knows it.
    pub total: Option<f64>,
    /// What happened (for our servers: the new text).
    pub message: Option<String>,
}

/// Who the server says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerIdentity {
    /// `serverInfo.name` (for our servers, the binary's name).
    pub name: String,
    /// `serverInfo.version`.
    pub version: String,
    /// The protocol version negotiated in `initialize`.
    pub protocol_version: String,
}

/// The client side of the connection: our identity, and progress passed to subscribers.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    pub(crate) progress: broadcast::Sender<Progress>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new(CLIENT_NAME, env!("CARGO_PKG_VERSION")),
        )
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        // No subscriber is fine: progress only matters to someone watching.
        let _ = self.progress.send(Progress {
            progress: params.progress,
            total: params.total,
            message: params.message,
        });
    }
}
