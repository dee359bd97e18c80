//! A stdio MCP server driven by raw JSON-RPC lines, as an agent in any language would drive
//! it: the harness writes requests and reads responses by id, with no SDK in between.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The protocol version the harness asks for.
const PROTOCOL: &str = "2025-06-18";

/// One response line, read only as far as the harness needs.
#[derive(Deserialize)]
pub struct Reply {
    /// The request id it answers (absent on notifications).
    pub id: Option<u64>,
    result: Option<ToolOutcome>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ToolOutcome {
    #[serde(rename = "isError")]
    is_error: Option<bool>,
}

impl Reply {
    /// A JSON-RPC error or a tool error.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self
                .result
                .as_ref()
                .is_some_and(|r| r.is_error == Some(true))
    }
}

/// A running server and its pipes.
pub struct Server {
    child: Child,
    /// Its process id.
    pub pid: u32,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
    next_id: u64,
}

/// A `tools/call` request line for `tool` with `arguments` (a JSON object), numbered `id`.
pub fn call_line(id: u64, tool: &str, arguments: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
    )
}

impl Server {
    /// Spawns `program` with `args`; stderr is discarded, the environment is the harness's
    /// minus the variables that would change what the server does.
    pub fn spawn(program: &Path, args: &[String]) -> Result<Self> {
        let mut child = Command::new(program)
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .env_remove("LLM_MCP_MODEL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", program.display()))?;
        let pid = child.id().context("no pid")?;
        let stdin = BufWriter::new(child.stdin.take().context("no stdin")?);
        let stdout = BufReader::with_capacity(64 * 1024, child.stdout.take().context("no stdout")?);
        Ok(Self {
            child,
            pid,
            stdin,
            stdout,
            line: String::new(),
            next_id: 1,
        })
    }

    /// A fresh request id.
    pub fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Writes one message and flushes it.
    pub async fn send(&mut self, message: &str) -> Result<()> {
        self.stdin.write_all(message.as_bytes()).await?;
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Reads the next message.
    pub async fn recv(&mut self) -> Result<Reply> {
        self.line.clear();
        if self.stdout.read_line(&mut self.line).await? == 0 {
            bail!("the server closed stdout");
        }
        serde_json::from_str(&self.line).with_context(|| format!("bad line: {}", self.line))
    }

    /// The last line read, whole.
    pub fn last_line(&self) -> &str {
        &self.line
    }

    /// Sends a request and waits for its response, skipping anything else.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Reply> {
        let id = self.id();
        let message =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message.to_string()).await?;
        loop {
            let reply = self.recv().await?;
            if reply.id == Some(id) {
                return Ok(reply);
            }
        }
    }

    /// Sends `initialize` (without waiting for the answer).
    pub async fn send_initialize(&mut self) -> Result<u64> {
        let id = self.id();
        let message = serde_json::json!({
            "jsonrpc": "2.0", "id": id, "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "llm-mcp-bench", "version": env!("CARGO_PKG_VERSION")}
            }
        });
        self.send(&message.to_string()).await?;
        Ok(id)
    }

    /// Waits for the response numbered `id`.
    pub async fn wait_for(&mut self, id: u64) -> Result<Reply> {
        loop {
            let reply = self.recv().await?;
            if reply.id == Some(id) {
                return Ok(reply);
            }
        }
    }

    /// The whole handshake: `initialize`, its result, `notifications/initialized`.
    pub async fn initialize(&mut self) -> Result<()> {
        let id = self.send_initialize().await?;
        let reply = self.wait_for(id).await?;
        if reply.failed() {
            bail!("initialize failed: {}", self.line);
        }
        self.initialized().await
    }

    /// Sends `notifications/initialized`.
    pub async fn initialized(&mut self) -> Result<()> {
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await
    }

    /// Closes stdin and waits (at most 10 s, then kills) for the process to exit.
    pub async fn close(mut self) -> Result<()> {
        drop(self.stdin);
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("pid {} did not exit on stdin EOF", self.pid);
            }
        }
        Ok(())
    }
}
