//! [`LlmClient`]: the typed client for agents, and for `llm-mcp call` and `smoke`.
//!
//! It spawns any stdio MCP server (one of ours, the supervisor, or someone else's), introduces
//! itself as `llm-mcp-client`, and calls tools with a per-request timeout that restarts whenever
//! the server reports progress, so a slow model that is still streaming is never given up on.
//! A request that times out or whose future is dropped is cancelled on the server.
//!
//! ```no_run
//! # async fn demo() -> Result<(), llm_mcp::client::ClientError> {
//! use llm_mcp::client::{CompleteRequest, LlmClient};
//!
//! let client = LlmClient::spawn(tokio::process::Command::new("llm-mcp-mock")).await?;
//! let record = client.complete(CompleteRequest::new("Say OK.").max_tokens(16)).await?;
//! println!("{} ({:?} tokens)", record.output, record.tokens_used);
//! client.close().await;
//! # Ok(()) }
//! ```

mod cancel;
mod error;
mod handler;
mod record;
mod request;
mod stderr;
mod text;

use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, ClientRequest, ServerResult, Tool,
};
use rmcp::service::{PeerRequestOptions, RunningService};
use rmcp::transport::{IntoTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::completion::Record;
use crate::completion::RoutedRecord;
use cancel::CancelOnDrop;
pub use error::{ClientError, ToolErrorMeta};
use handler::Handler;
pub use handler::{CLIENT_NAME, ClientOptions, Progress, ServerIdentity};
use record::parse_record;
pub use request::{ChatRequest, CompleteRequest, RequestOptions};
pub use stderr::StderrMode;
use stderr::StderrTail;
pub use text::command_line;
use text::{handshake_reason, result_text, seconds};

/// How long the client waits for the server after its own `timeout_s` has passed, so that the
/// server's `[timeout]` tool error (which names the provider) wins over a bare client timeout.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

/// Room left in a line for the request around its arguments (`jsonrpc`, `id`, `method`,
/// `_meta` with the progress token, the tool's name).
const REQUEST_ENVELOPE: usize = 4096;

/// A connection to one MCP server: spawn it, call its tools, close it.
pub struct LlmClient {
    service: RunningService<RoleClient, Handler>,
    progress: broadcast::Sender<Progress>,
    stderr: StderrTail,
    options: ClientOptions,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("server", &self.server_info())
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// Spawns `command` as a stdio MCP server and completes the handshake, with the default
    /// [`ClientOptions`] (stderr captured, 600 s request timeout).
    pub async fn spawn(command: tokio::process::Command) -> Result<Self, ClientError> {
        Self::spawn_with(command, ClientOptions::default()).await
    }

    /// Spawns `command` with `options`. The child is killed if the handshake fails or the
    /// client is dropped; [`LlmClient::close`] lets it exit cleanly first.
    pub async fn spawn_with(
        command: tokio::process::Command,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let described = command_line(&command);
        let (transport, pipe) = TokioChildProcess::builder(command)
            .stderr(options.stderr.stdio())
            .spawn()
            .map_err(|source| ClientError::Spawn {
                command: described.clone(),
                source,
            })?;
        let stderr = StderrTail::start(pipe);
        match Self::start(transport, options, stderr.clone()).await {
            Ok(client) => Ok(client),
            Err(reason) => Err(ClientError::Handshake {
                command: described,
                reason,
                stderr: stderr.settled_lines().await,
            }),
        }
    }

    /// Completes the handshake over any rmcp client transport (a duplex stream in tests, a
    /// socket, a child process started elsewhere).
    pub async fn connect<T, E, A>(transport: T, options: ClientOptions) -> Result<Self, ClientError>
    where
        T: IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::start(transport, options, StderrTail::default())
            .await
            .map_err(|reason| ClientError::Handshake {
                command: "the transport".into(),
                reason,
                stderr: Vec::new(),
            })
    }

    async fn start<T, E, A>(
        transport: T,
        options: ClientOptions,
        stderr: StderrTail,
    ) -> Result<Self, String>
    where
        T: IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let (progress, _) = broadcast::channel(256);
        let handler = Handler {
            progress: progress.clone(),
        };
        let service =
            match tokio::time::timeout(options.start_timeout, handler.serve(transport)).await {
                Ok(Ok(service)) => service,
                Ok(Err(err)) => return Err(handshake_reason(err)),
                Err(_) => {
                    return Err(format!(
                        "no answer to initialize within {}",
                        seconds(options.start_timeout)
                    ));
                }
            };
        Ok(Self {
            service,
            progress,
            stderr,
            options,
        })
    }

    /// The server's name, version and the negotiated protocol version.
    pub fn server_info(&self) -> Option<ServerIdentity> {
        let info = self.service.peer().peer_info()?;
        let implementation = info.server_info.clone().unwrap_or_default();
        Some(ServerIdentity {
            name: implementation.name,
            version: implementation.version,
            protocol_version: info.protocol_version.to_string(),
        })
    }

    /// Progress notifications from now on, for every request in flight.
    pub fn subscribe_progress(&self) -> broadcast::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// The last lines the server wrote on stderr (with [`StderrMode::Capture`]).
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lines()
    }

    /// The server's tools (every page).
    pub async fn list_tools(&self) -> Result<Vec<Tool>, ClientError> {
        let timeout = self.options.request_timeout;
        // The Peer helper cancels the request on the server when this future is dropped.
        match tokio::time::timeout(timeout, self.service.peer().list_all_tools()).await {
            Ok(Ok(tools)) => Ok(tools),
            Ok(Err(err)) => Err(self.service_error("tools/list", err).await),
            Err(_) => Err(ClientError::Timeout {
                what: "tools/list".into(),
                after: timeout,
            }),
        }
    }

    /// Calls `complete` and returns the record.
    pub async fn complete(&self, request: CompleteRequest) -> Result<Record, ClientError> {
        let limit = request.options.timeout_s;
        self.record("complete", &request, limit).await
    }

    /// Calls `complete` and returns the record with the servers the supervisor tried, in
    /// order (the last one answered; empty when the server is a backend, not the supervisor).
    pub async fn complete_routed(
        &self,
        request: CompleteRequest,
    ) -> Result<RoutedRecord, ClientError> {
        let limit = request.options.timeout_s;
        let arguments = to_arguments("complete", &request)?;
        let result = self.call_checked("complete", arguments, limit).await?;
        parse_record("complete", &result)
    }

    /// Calls `chat` and returns the record (with the model's `tool_calls`).
    pub async fn chat(&self, request: ChatRequest) -> Result<Record, ClientError> {
        let limit = request.options.timeout_s;
        self.record("chat", &request, limit).await
    }

    /// Calls any tool whose result is a record (`complete`, `chat`, `NAME__complete` behind the
    /// supervisor) with `arguments`.
    pub async fn record(
        &self,
        tool: &str,
        arguments: &impl Serialize,
        timeout_s: Option<f64>,
    ) -> Result<Record, ClientError> {
        let arguments = to_arguments(tool, arguments)?;
        let result = self.call_checked(tool, arguments, timeout_s).await?;
        parse_record(tool, &result)
    }

    /// Calls any tool with JSON `arguments` and returns its `structuredContent`, else its text
    /// parsed as JSON, else its text as a JSON string.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        let result = self.call_checked(name, arguments, None).await?;
        if let Some(value) = result.structured_content {
            return Ok(value);
        }
        let text = result_text(&result);
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Closes stdin and waits for the server to exit (rmcp sends SIGTERM after 3 s and kills it
    /// after 3 more).
    pub async fn close(mut self) {
        if let Err(err) = self
            .service
            .close_with_timeout(Duration::from_secs(10))
            .await
        {
            tracing::warn!(%err, "closing the server connection failed");
        }
    }

    /// Calls `name` and turns `isError` results into [`ClientError::Tool`].
    async fn call_checked(
        &self,
        name: &str,
        arguments: Value,
        timeout_s: Option<f64>,
    ) -> Result<CallToolResult, ClientError> {
        let what = format!("tools/call {name}");
        let Value::Object(arguments) = arguments else {
            return Err(ClientError::Protocol {
                what,
                message: "tool arguments must be a JSON object".into(),
            });
        };
        let size = encoded_len(&arguments);
        if size > crate::stdio::MAX_LINE - REQUEST_ENVELOPE {
            return Err(ClientError::Protocol {
                what,
                message: format!(
                    "the arguments are {size} bytes as JSON; one MCP message over stdio carries \
                     at most {} MiB, so the server could not read it",
                    crate::stdio::MAX_LINE / (1024 * 1024)
                ),
            });
        }
        let mut params = CallToolRequestParams::new(name.to_string());
        params.arguments = Some(arguments);
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let result = match self.send(&what, request, timeout_s).await? {
            ServerResult::CallToolResult(result) => result,
            other => {
                return Err(ClientError::Protocol {
                    what,
                    message: format!("expected a tool result, got {other:?}"),
                });
            }
        };
        if result.is_error == Some(true) {
            return Err(ClientError::from_tool_result(&result));
        }
        Ok(result)
    }

    /// Sends a request with the idle timeout (reset by progress) and, when the call has its own
    /// `timeout_s`, a total limit a little above it (which also raises the idle timeout).
    async fn send(
        &self,
        what: &str,
        request: ClientRequest,
        timeout_s: Option<f64>,
    ) -> Result<ServerResult, ClientError> {
        // The caller's own limit is the one that counts: silence is tolerated up to it, and
        // the whole call is capped a little after it.
        let limit = timeout_s
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(|limit| limit + TIMEOUT_GRACE);
        let idle = limit.map_or(self.options.request_timeout, |l| {
            l.max(self.options.request_timeout)
        });
        let mut options = PeerRequestOptions::with_timeout(idle).reset_timeout_on_progress();
        if let Some(limit) = limit {
            options = options.with_max_total_timeout(limit);
        }
        let peer = self.service.peer();
        let handle = match peer.send_request_with_option(request, options).await {
            Ok(handle) => handle,
            Err(err) => return Err(self.service_error(what, err).await),
        };
        let mut guard = CancelOnDrop {
            peer: peer.clone(),
            id: Some(handle.id.clone()),
        };
        let outcome = handle.await_response().await;
        // Answered, timed out (rmcp already sent the cancellation) or closed: nothing to cancel.
        guard.id = None;
        match outcome {
            Ok(result) => Ok(result),
            Err(err) => Err(self.service_error(what, err).await),
        }
    }

    async fn service_error(&self, what: &str, err: rmcp::ServiceError) -> ClientError {
        let closed = matches!(
            err,
            rmcp::ServiceError::TransportClosed | rmcp::ServiceError::TransportSend(_)
        );
        let stderr = if closed {
            self.stderr.settled_lines().await
        } else {
            Vec::new()
        };
        ClientError::from_service(what, err, stderr)
    }
}

/// The length of `value` as JSON, counted without building the text.
fn encoded_len(value: &serde_json::Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// `arguments` as JSON for a call of `tool`.
fn to_arguments(tool: &str, arguments: &impl Serialize) -> Result<Value, ClientError> {
    serde_json::to_value(arguments).map_err(|err| ClientError::Protocol {
        what: format!("tools/call {tool}"),
        message: format!("the arguments do not serialize: {err}"),
    })
}

#[cfg(test)]
mod tests;
