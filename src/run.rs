//! What every server binary's `main` shares: logs on stderr, configuration resolved once, then
//! MCP on stdio until the client closes stdin.

use std::process::ExitCode;

use rmcp::{ServerHandler, ServiceExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

use crate::backend::Backend;
use crate::config::{CommonArgs, Profile, ServerConfig};
use crate::server::LlmServer;

/// Sends `tracing` output to stderr (stdout is the MCP channel), filtered by `RUST_LOG`,
/// `warn` by default (rmcp logs every notification at `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// Serves `server` on stdin/stdout until the client disconnects.
pub async fn serve_stdio<S: ServerHandler>(
    server: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let running = server.serve(stdio()).await?;
    running.waiting().await?;
    Ok(())
}

/// The stdio transport of every server: stdout as it is, and stdin without the notifications
/// and responses a confused client may send before the session starts. rmcp 3.9 ends the
/// session when such a message arrives before it ("expect initialized request"), which would
/// turn a client's early `notifications/initialized` into a dead server. Once a request starts
/// the session (`initialize`, or any request of the stateless 2026-07-28 lifecycle, which
/// carries its protocol version in `_meta`), stdin passes through untouched.
pub fn stdio() -> (DuplexStream, tokio::io::Stdout) {
    let (reader, writer) = tokio::io::duplex(64 * 1024);
    tokio::spawn(pass_from_session_start(tokio::io::stdin(), writer));
    (reader, tokio::io::stdout())
}

/// Lines longer than this are passed on unread: rmcp drops them anyway (16 MiB).
const MAX_SCREENED_LINE: usize = 16 * 1024 * 1024;

async fn pass_from_session_start(input: impl AsyncRead + Unpin, mut output: DuplexStream) {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut input)
            .take(MAX_SCREENED_LINE as u64)
            .read_until(b'\n', &mut line)
            .await;
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) if starts_session(&line) || line.len() >= MAX_SCREENED_LINE => {
                if output.write_all(&line).await.is_err() {
                    return;
                }
                break;
            }
            Ok(_) if ends_session_before_handshake(&line) => {
                tracing::warn!("dropped a notification or response sent before initialize");
            }
            Ok(_) => {
                if output.write_all(&line).await.is_err() {
                    return;
                }
            }
        }
    }
    // The read side ends when stdin does, which closes the session as before.
    let _ = tokio::io::copy(&mut input, &mut output).await;
}

fn parse_object(line: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice(line.trim_ascii()) {
        Ok(serde_json::Value::Object(message)) => Some(message),
        _ => None,
    }
}

/// A request that starts the session: a well-formed `initialize` (rmcp stays before the
/// handshake after one it cannot read), or a request carrying the stateless lifecycle's
/// protocol version.
fn starts_session(line: &[u8]) -> bool {
    let Some(message) = parse_object(line) else {
        return false;
    };
    if message.get("id").is_none_or(|id| id.is_null()) {
        return false;
    }
    let params = message.get("params");
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(params?, |value, key| value.get(*key))
            .cloned()
    };
    let initialize = message.get("method").and_then(|m| m.as_str()) == Some("initialize")
        && field(&["protocolVersion"]).is_some_and(|v| v.is_string())
        && field(&["capabilities"]).is_some_and(|v| v.is_object())
        && field(&["clientInfo", "name"]).is_some_and(|v| v.is_string())
        && field(&["clientInfo", "version"]).is_some_and(|v| v.is_string());
    initialize || field(&["_meta", "io.modelcontextprotocol/protocolVersion"]).is_some()
}

/// A notification or a response (a JSON object without both a method and an id). Requests,
/// garbage and arrays rmcp itself survives, so they pass on.
fn ends_session_before_handshake(line: &[u8]) -> bool {
    parse_object(line).is_some_and(|message| {
        let request =
            message.contains_key("method") && message.get("id").is_some_and(|id| !id.is_null());
        !request
    })
}

/// The whole life of a backend binary: resolve `args` against `profile` and the process
/// environment, build the backend with `make`, serve it on stdio. Configuration errors are
/// printed on stderr with exit code 2.
pub async fn run_backend<B: Backend>(
    binary: &'static str,
    args: &CommonArgs,
    profile: Profile,
    make: impl FnOnce(&ServerConfig) -> Result<B, String>,
) -> ExitCode {
    init_logging();
    let built = args
        .resolve(profile, &|name| std::env::var(name).ok())
        .map_err(|err| err.to_string())
        .and_then(|config| make(&config).map(|backend| (backend, config)));
    let (backend, config) = match built {
        Ok(built) => built,
        Err(err) => {
            eprintln!("{binary}: {err}");
            return ExitCode::from(2);
        }
    };
    match serve_stdio(LlmServer::new(backend, config, binary)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{binary}: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn screened(input: &'static str) -> String {
        let (mut out, sink) = tokio::io::duplex(1024);
        let task = tokio::spawn(pass_from_session_start(input.as_bytes(), sink));
        let mut text = String::new();
        out.read_to_string(&mut text).await.unwrap();
        task.await.unwrap();
        text
    }

    #[tokio::test]
    async fn notifications_and_responses_before_initialize_are_dropped() {
        let input = concat!(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n",
            "not json\n",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}\n",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":5}\n",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}\n",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        );
        let text = screened(input).await;
        assert_eq!(
            text,
            concat!(
                "not json\n",
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}\n",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":5}\n",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}\n",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
            )
        );
    }

    #[tokio::test]
    async fn a_stateless_request_starts_the_session() {
        let input = concat!(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}\n",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}\n",
        );
        let (mut out, sink) = tokio::io::duplex(1024);
        let task = tokio::spawn(pass_from_session_start(input.as_bytes(), sink));
        let mut text = String::new();
        out.read_to_string(&mut text).await.unwrap();
        task.await.unwrap();
        assert_eq!(text, input);
    }
}
