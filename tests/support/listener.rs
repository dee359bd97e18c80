//! A server binary run with `--listen 127.0.0.1:0` (or another address), the URL it prints
//! on stderr, MCP clients over Streamable HTTP (rmcp's own, for either lifecycle) and raw
//! requests for what a well-behaved client never sends.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{ProgressNotificationParam, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// A running listener.
pub struct Listener {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`, as it printed it (a wildcard bind is reached on loopback).
    pub url: String,
    stderr: Arc<Mutex<String>>,
    /// The task copying stderr into `stderr`; it ends at the pipe's end of file.
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Listener {
    /// Spawns `binary` with `args` (which include `--listen`) and waits for its address.
    pub async fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = super::command(binary, args, env);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the listener");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                stderr.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some((_, url)) = line.split_once("serving MCP at ") {
                    return Some(url.trim().replace("0.0.0.0", "127.0.0.1"));
                }
            }
            None
        })
        .await;
        let Ok(Some(url)) = found else {
            panic!("no address on stderr: {}", stderr.lock().unwrap());
        };
        let log = stderr.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Self {
            child,
            url,
            stderr,
            reader: Some(reader),
        }
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`; whether it did. Once it has, everything
    /// it wrote on stderr has been read too: the exit status can arrive before the reader task
    /// has copied the last lines, and a test that then looks at `stderr` must see them.
    pub async fn exited_within(&mut self, limit: Duration) -> bool {
        let reader = self.reader.take();
        tokio::time::timeout(limit, async {
            let _ = self.child.wait().await;
            if let Some(reader) = reader {
                let _ = reader.await;
            }
        })
        .await
        .is_ok()
    }
}

/// Keeps every progress notification a client receives.
#[derive(Clone, Default)]
pub struct Progress(pub Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

/// An rmcp client of `url` (with `token` as bearer, when given) in the session-based
/// lifecycle (`initialize`, `Mcp-Session-Id`), or the stateless 2026-07-28 one.
pub async fn connect(
    url: &str,
    token: Option<&str>,
    stateless: bool,
) -> Result<RunningService<RoleClient, Progress>, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(token) = token {
        config = config.auth_header(token.to_string());
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    let client = Progress::default();
    let connected = if stateless {
        let lifecycle = ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        };
        client.serve_with_lifecycle(transport, lifecycle).await
    } else {
        client.serve(transport).await
    };
    connected.map_err(|err| err.to_string())
}

/// The headers of a raw MCP POST.
pub fn post(http: &reqwest::Client, url: &str, body: &Value) -> reqwest::RequestBuilder {
    http.post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// An `initialize` request body.
pub fn initialize_body(id: i64) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "1"}
        }
    })
}

/// Initializes a session by hand; its id.
pub async fn raw_session(http: &reqwest::Client, url: &str) -> String {
    let response = post(http, url, &initialize_body(1)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.text().await.unwrap();
    assert!(body.contains("\"serverInfo\""), "{body}");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post(http, url, &initialized)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    session
}

/// A `tools/call` request body, with a progress token.
pub fn call_body(id: i64, tool: &str, arguments: Value) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": {"progressToken": format!("p{id}")}}
    })
}

/// The same call in the stateless 2026-07-28 lifecycle: its protocol version and the
/// client's capabilities ride on the request, and the headers repeat method and name.
pub fn stateless_call(
    http: &reqwest::Client,
    url: &str,
    id: i64,
    tool: &str,
    arguments: Value,
) -> reqwest::RequestBuilder {
    let mut body = call_body(id, tool, arguments);
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2026-07-28");
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!({});
    post(http, url, &body)
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
}

/// The JSON messages of an SSE body (its `data:` lines that hold JSON).
pub fn sse_messages(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}
