//! Drives a spawned MCP server binary over stdio, line by line.
//!
//! The raw layer writes any line to stdin and routes every stdout line: responses go to the
//! request that waits for their id, everything else to [`McpProcess::next_notification`]. Every
//! stdout line and all of stderr are kept, so tests can check that stdout carries only JSON-RPC
//! and that no secret was printed anywhere. The convenience layer does the usual calls.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long a test waits for any single answer before it fails.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// The protocol version tests ask for unless they test negotiation.
pub const PROTOCOL: &str = "2025-06-18";

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// A running server binary and everything it printed so far.
pub struct McpProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pending: Pending,
    notifications: mpsc::UnboundedReceiver<Value>,
    stdout_lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    next_id: AtomicI64,
}

/// What the process left behind once it exited.
#[derive(Debug)]
pub struct Transcript {
    /// Every line it wrote to stdout.
    pub stdout_lines: Vec<String>,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// Its exit code, if it exited by itself in time.
    pub exit_code: Option<i32>,
}

impl Transcript {
    /// Panics when `needle` appears anywhere in stdout or stderr.
    pub fn assert_never_printed(&self, needle: &str) {
        for line in &self.stdout_lines {
            assert!(!line.contains(needle), "stdout leaked {needle:?}: {line}");
        }
        assert!(
            !self.stderr.contains(needle),
            "stderr leaked {needle:?}: {}",
            self.stderr
        );
    }
}

/// The id of a JSON-RPC message as a map key (ids may be numbers or strings).
fn id_key(id: &Value) -> String {
    id.to_string()
}

impl McpProcess {
    /// Spawns `command` (already configured with args and environment) with piped stdio.
    pub fn spawn(mut command: Command) -> Self {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the server binary");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let pending: Pending = Arc::default();
        let stdout_lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let stderr: Arc<Mutex<String>> = Arc::default();
        let (notify_tx, notifications) = mpsc::unbounded_channel();
        let out_reader = tokio::spawn(route_stdout(
            stdout,
            Arc::clone(&pending),
            Arc::clone(&stdout_lines),
            notify_tx,
        ));
        let err_sink = Arc::clone(&stderr);
        let err_reader = tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                err_sink
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        Self {
            child,
            stdin,
            pending,
            notifications,
            stdout_lines,
            stderr,
            readers: vec![out_reader, err_reader],
            next_id: AtomicI64::new(1),
        }
    }

    /// Writes one line (a newline is added) to the server's stdin.
    pub async fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        stdin.write_all(&bytes).await.expect("write to stdin");
        stdin.flush().await.expect("flush stdin");
    }

    /// Writes a JSON-RPC message.
    pub async fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string()).await;
    }

    /// A fresh request id.
    pub fn fresh_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers interest in the response with `id`; call before sending the request.
    pub fn expect_response(&self, id: &Value) -> oneshot::Receiver<Value> {
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id_key(id), tx);
        rx
    }

    /// Sends a request and returns a receiver of its whole response message.
    pub async fn start_request(
        &mut self,
        method: &str,
        params: Value,
    ) -> (i64, oneshot::Receiver<Value>) {
        let id = self.fresh_id();
        let rx = self.expect_response(&json!(id));
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message).await;
        (id, rx)
    }

    /// Sends a request and waits for its whole response message (result or error).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let (id, rx) = self.start_request(method, params).await;
        self.wait_response(id, rx).await
    }

    /// Waits for a response started with [`McpProcess::start_request`].
    pub async fn wait_response(&self, id: i64, rx: oneshot::Receiver<Value>) -> Value {
        match tokio::time::timeout(ANSWER_TIMEOUT, rx).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => panic!(
                "stdout closed before the answer to {id}; stderr: {}",
                self.stderr_text()
            ),
            Err(_) => panic!(
                "no answer to {id} within {ANSWER_TIMEOUT:?}; stderr: {}",
                self.stderr_text()
            ),
        }
    }

    /// Sends a notification.
    pub async fn notify(&mut self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send(&message).await;
    }

    /// The next message that was not a response to one of our requests, if one comes in time.
    pub async fn next_notification(&mut self, timeout: Duration) -> Option<Value> {
        tokio::time::timeout(timeout, self.notifications.recv())
            .await
            .ok()
            .flatten()
    }

    /// `initialize` asking for `version`, then `notifications/initialized`; the result.
    pub async fn initialize_with(&mut self, version: &str) -> Value {
        let params = json!({
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "llm-mcp-tests", "version": "0.0.0"}
        });
        let response = self.request("initialize", params).await;
        let result = response
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("initialize failed: {response}"));
        self.notify("notifications/initialized", json!({})).await;
        result
    }

    /// The usual handshake with [`PROTOCOL`].
    pub async fn initialize(&mut self) -> Value {
        self.initialize_with(PROTOCOL).await
    }

    /// `tools/list`: the tools array.
    pub async fn list_tools(&mut self) -> Vec<Value> {
        let response = self.request("tools/list", json!({})).await;
        response["result"]["tools"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("tools/list failed: {response}"))
    }

    /// `tools/call`: the whole response message (a `result` or a JSON-RPC `error`).
    pub async fn call_raw(&mut self, name: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// `tools/call`: the result, panicking on a JSON-RPC error.
    pub async fn call(&mut self, name: &str, arguments: Value) -> ToolResult {
        let response = self.call_raw(name, arguments).await;
        match response.get("result") {
            Some(result) => ToolResult(result.clone()),
            None => panic!("tools/call {name} answered a JSON-RPC error: {response}"),
        }
    }

    /// Every stdout line so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout_lines.lock().unwrap().clone()
    }

    /// Everything on stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Closes stdin, waits for the process to exit (killing it after `grace`), and returns
    /// everything it printed.
    pub async fn shutdown(mut self, grace: Duration) -> Transcript {
        drop(self.stdin.take());
        let exit_code = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => {
                let _ = self.child.kill().await;
                None
            }
        };
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        Transcript {
            stdout_lines: self.stdout_lines(),
            stderr: self.stderr_text(),
            exit_code,
        }
    }
}

async fn route_stdout(
    stdout: tokio::process::ChildStdout,
    pending: Pending,
    lines_seen: Arc<Mutex<Vec<String>>>,
    notify: mpsc::UnboundedSender<Value>,
) {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        lines_seen.lock().unwrap().push(line.clone());
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let is_response = message.get("method").is_none()
            && (message.get("result").is_some() || message.get("error").is_some());
        let waiter = match message.get("id") {
            Some(id) if is_response => pending.lock().unwrap().remove(&id_key(id)),
            _ => None,
        };
        match waiter {
            Some(tx) => {
                let _ = tx.send(message);
            }
            None => {
                let _ = notify.send(message);
            }
        }
    }
}

/// A `tools/call` result with accessors for what tests check.
#[derive(Debug, Clone)]
pub struct ToolResult(pub Value);

impl ToolResult {
    /// Whether it is a tool error (`isError: true`).
    pub fn is_error(&self) -> bool {
        self.0["isError"] == json!(true)
    }

    /// The text of the first content block.
    pub fn text(&self) -> String {
        self.0["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("no text content in {}", self.0))
            .to_string()
    }

    /// The structured content; panics when absent.
    pub fn structured(&self) -> &Value {
        self.0
            .get("structuredContent")
            .unwrap_or_else(|| panic!("no structuredContent in {}", self.0))
    }

    /// The record of a successful `complete`/`chat`, checking it is not an error and that the
    /// text content is the same JSON as the structured content.
    pub fn record(&self) -> &Value {
        assert!(
            !self.is_error(),
            "expected a record, got an error: {}",
            self.0
        );
        let from_text: Value = serde_json::from_str(&self.text()).expect("text content is JSON");
        assert_eq!(
            &from_text,
            self.structured(),
            "text and structuredContent differ"
        );
        self.structured()
    }

    /// The text of a tool error, checking it is one.
    pub fn error_text(&self) -> String {
        assert!(self.is_error(), "expected a tool error, got: {}", self.0);
        self.text()
    }

    /// The result's `_meta`.
    pub fn meta(&self) -> &Value {
        self.0
            .get("_meta")
            .unwrap_or_else(|| panic!("no _meta in {}", self.0))
    }

    /// Asserts a tool error of `kind` (`[kind] ...`) and returns its text.
    pub fn expect_error(&self, kind: &str) -> String {
        let text = self.error_text();
        assert!(
            text.starts_with(&format!("[{kind}] ")),
            "expected [{kind}], got: {text}"
        );
        assert_eq!(self.meta()["kind"], json!(kind), "_meta.kind of {}", self.0);
        text
    }
}
