//! A lower-level driver for a spawned server binary, for the fuzz and load tests.
//!
//! Unlike [`super::McpProcess`] it writes arbitrary bytes (invalid UTF-8, lines of many MB, no
//! newline at all), knows the process id (to read its memory from `/proc`), and checks every
//! stdout line as it arrives instead of keeping them all: a line that is not a JSON-RPC 2.0
//! object, or a second response to the same id, is recorded as a violation. The driver's own
//! requests use string ids starting with `drv-`, so they never collide with fuzzed ids.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::mcp::ANSWER_TIMEOUT;

/// What the stdout reader saw, shared with the test.
#[derive(Default)]
struct Seen {
    pending: HashMap<String, oneshot::Sender<Value>>,
    /// Responses per id (the id's JSON text); `null` ids are not counted.
    answered: HashMap<String, usize>,
    violations: Vec<String>,
    lines: usize,
    stderr: String,
}

/// A running server binary driven byte by byte.
pub struct RawServer {
    child: Child,
    pid: u32,
    stdin: Option<ChildStdin>,
    seen: Arc<Mutex<Seen>>,
    notifications: mpsc::UnboundedReceiver<Value>,
    readers: Vec<JoinHandle<()>>,
    next_id: AtomicU64,
}

/// A short, printable excerpt of a line for failure messages (lines can be megabytes).
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    format!(
        "{text}{} ({} bytes)",
        if bytes.len() > 200 { "..." } else { "" },
        bytes.len()
    )
}

/// An id as a map key: its JSON text, with integral floats written as integers, because a
/// server may read `-0` or `5.0` as the integer it equals and echo it that way.
pub fn id_key(id: &Value) -> String {
    match id.as_f64() {
        Some(f) if id.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
        _ => id.to_string(),
    }
}

/// Resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`); `None` once it is
/// gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl RawServer {
    /// Spawns `command` with piped stdio.
    pub fn spawn(mut command: Command) -> Self {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the server binary");
        let pid = child.id().expect("a running child has a pid");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let (notify, notifications) = mpsc::unbounded_channel();
        let out_reader = tokio::spawn(check_stdout(stdout, Arc::clone(&seen), notify));
        let sink = Arc::clone(&seen);
        let err_reader = tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&chunk[..n]);
                let mut seen = sink.lock().unwrap();
                // Keep the tail only: a fuzz run can make the server log a lot.
                if seen.stderr.len() > 256 * 1024 {
                    seen.stderr.drain(..128 * 1024);
                    while !seen.stderr.is_char_boundary(0) {
                        seen.stderr.remove(0);
                    }
                }
                seen.stderr.push_str(&text);
            }
        });
        Self {
            child,
            pid,
            stdin,
            seen,
            notifications,
            readers: vec![out_reader, err_reader],
            next_id: AtomicU64::new(1),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident memory in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid).expect("the server is running")
    }

    /// Writes `bytes` as they are (no newline added); false when the server closed stdin.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> bool {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).await.is_ok() && stdin.flush().await.is_ok()
    }

    /// Writes `message` and a newline.
    pub async fn send(&mut self, message: &Value) {
        let mut bytes = message.to_string().into_bytes();
        bytes.push(b'\n');
        assert!(self.write_raw(&bytes).await, "the server closed its stdin");
    }

    /// Sends a request with a fresh `drv-N` id; returns the id and a receiver of the response.
    pub async fn start_request(
        &mut self,
        method: &str,
        params: Value,
    ) -> (String, oneshot::Receiver<Value>) {
        let id = format!("drv-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        let key = id_key(&json!(id));
        self.seen.lock().unwrap().pending.insert(key, tx);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message).await;
        (id, rx)
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let (id, rx) = self.start_request(method, params).await;
        match tokio::time::timeout(ANSWER_TIMEOUT, rx).await {
            Ok(Ok(response)) => response,
            _ => panic!(
                "no answer to {method} {id}; stderr tail: {}",
                self.stderr_tail()
            ),
        }
    }

    /// `initialize` then `notifications/initialized`; panics unless it succeeds.
    pub async fn initialize(&mut self) -> Value {
        let params = json!({
            "protocolVersion": super::mcp::PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "llm-mcp-tests", "version": "0.0.0"}
        });
        let response = self.request("initialize", params).await;
        assert!(response.get("result").is_some(), "initialize: {response}");
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.send(&note).await;
        response
    }

    /// The next message that is not a response to a driver request, if one comes in time.
    pub async fn next_notification(&mut self, timeout: Duration) -> Option<Value> {
        tokio::time::timeout(timeout, self.notifications.recv())
            .await
            .ok()
            .flatten()
    }

    /// Stdout lines that were not JSON-RPC 2.0 objects.
    pub fn violations(&self) -> Vec<String> {
        self.seen.lock().unwrap().violations.clone()
    }

    /// How many responses each id got so far, keyed by [`id_key`].
    pub fn answered(&self) -> HashMap<String, usize> {
        self.seen.lock().unwrap().answered.clone()
    }

    /// How many stdout lines arrived so far.
    pub fn line_count(&self) -> usize {
        self.seen.lock().unwrap().lines
    }

    /// The last part of stderr.
    pub fn stderr_tail(&self) -> String {
        let seen = self.seen.lock().unwrap();
        let start = seen.stderr.len().saturating_sub(4000);
        let mut start = start;
        while !seen.stderr.is_char_boundary(start) {
            start += 1;
        }
        seen.stderr[start..].to_string()
    }

    /// Closes stdin and waits for the exit (killing after `grace`); the exit code if any.
    pub async fn shutdown(mut self, grace: Duration) -> Option<i32> {
        drop(self.stdin.take());
        let code = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => {
                let _ = self.child.kill().await;
                None
            }
        };
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        code
    }
}

/// Reads stdout line by line (as bytes), checks each line and routes responses.
async fn check_stdout(
    stdout: tokio::process::ChildStdout,
    seen: Arc<Mutex<Seen>>,
    notify: mpsc::UnboundedSender<Value>,
) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let mut seen = seen.lock().unwrap();
        seen.lines += 1;
        let message = match serde_json::from_slice::<Value>(body) {
            Ok(message) if message.get("jsonrpc") == Some(&json!("2.0")) => message,
            _ => {
                let bad = format!("not a JSON-RPC 2.0 object: {}", excerpt(body));
                seen.violations.push(bad);
                continue;
            }
        };
        let is_response = message.get("method").is_none()
            && (message.get("result").is_some() || message.get("error").is_some());
        let id = message.get("id").filter(|id| !id.is_null());
        let waiter = match id {
            Some(id) if is_response => {
                let key = id_key(id);
                *seen.answered.entry(key.clone()).or_default() += 1;
                seen.pending.remove(&key)
            }
            _ => None,
        };
        drop(seen);
        match waiter {
            Some(tx) => {
                let _ = tx.send(message);
            }
            // Responses to fuzzed ids are only counted (they can be megabytes long).
            None if is_response => {}
            None => {
                let _ = notify.send(message);
            }
        }
    }
}
