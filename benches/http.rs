//! A backend served over Streamable HTTP (`--listen 127.0.0.1:0`), driven the way an HTTP MCP
//! client drives it: one session (`initialize`, then `Mcp-Session-Id` on every request), each
//! `tools/call` a POST whose answer arrives as server-sent events. Beside the same backend on
//! stdio, it shows what the HTTP transport adds per call.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use reqwest::Client;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::rpc::call_line;

/// The protocol version of the session.
const PROTOCOL: &str = "2025-06-18";

/// A backend listening on loopback, with one initialized session.
pub struct HttpServer {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// The session every call goes through.
    pub session: Session,
}

/// One MCP session over HTTP: cheap to clone, for calls in flight at once.
#[derive(Clone)]
pub struct Session {
    url: String,
    id: String,
    client: Client,
}

impl HttpServer {
    /// Starts `program args --listen 127.0.0.1:0`, reads the address it prints on stderr,
    /// and initializes a session.
    pub async fn start(program: &Path, args: &[String]) -> Result<Self> {
        let mut child = Command::new(program)
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("RUST_LOG")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .env_remove("LLM_MCP_MODEL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", program.display()))?;
        let pid = child.id().context("no pid")?;
        let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
        let url = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(line) = lines.next_line().await? {
                if let Some((_, url)) = line.split_once("serving MCP at ") {
                    return Ok(url.trim().to_string());
                }
            }
            bail!("the server exited before listening")
        })
        .await
        .context("the server never said where it listens")??;
        // Keep draining stderr so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = Client::builder().tcp_nodelay(true).build()?;
        let initialize = serde_json::json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                       "clientInfo": {"name": "llm-mcp-bench", "version": "1"}}
        });
        let response = post(&client, &url, None, initialize.to_string()).await?;
        let session = (response.headers().get("mcp-session-id"))
            .and_then(|v| v.to_str().ok())
            .context("initialize answered without Mcp-Session-Id")?
            .to_string();
        answer(response, 0).await?;
        let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        post(&client, &url, Some(&session), initialized.to_string()).await?;
        let session = Session {
            url,
            id: session,
            client,
        };
        Ok(Self {
            child,
            pid,
            session,
        })
    }

    /// Ends the server.
    pub async fn close(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

impl Session {
    /// One `tools/call` of `tool` with `arguments`, numbered `id`, to its result.
    pub async fn call(&self, id: u64, tool: &str, arguments: &str) -> Result<()> {
        let body = call_line(id, tool, arguments);
        let response = post(&self.client, &self.url, Some(&self.id), body).await?;
        let reply = answer(response, id).await?;
        ensure!(
            reply["result"]["isError"] != true && reply.get("error").is_none(),
            "a call failed: {reply}"
        );
        Ok(())
    }
}

async fn post(
    client: &Client,
    url: &str,
    session: Option<&str>,
    body: String,
) -> Result<reqwest::Response> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    Ok(request.body(body).send().await?.error_for_status()?)
}

/// The JSON-RPC response numbered `id` in a response body, plain JSON or server-sent events.
async fn answer(response: reqwest::Response, id: u64) -> Result<serde_json::Value> {
    let text = response.text().await?;
    let candidates = std::iter::once(text.as_str())
        .chain(text.lines().filter_map(|line| line.strip_prefix("data:")));
    for candidate in candidates {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(candidate.trim())
            && value["id"] == id
        {
            return Ok(value);
        }
    }
    bail!("no response {id} in: {text}")
}
