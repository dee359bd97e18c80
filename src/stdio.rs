//! The stdio transport of every server, and the screen on its input.
//!
//! stdin and stdout are rmcp's `stdio_pipes`: when they are pipes, as MCP clients launch
//! servers, they are driven by the IO reactor rather than a blocking thread per read, which
//! costs more per call than the server's own work (see benches/bench.rs).
//!
//! rmcp 3.9 ends the session when a notification or a response arrives before the session has
//! started ("expect initialized request"), which would turn a client's early
//! `notifications/initialized` into a dead server. [`ScreenedInput`] drops those until a
//! request starts the session (a well-formed `initialize`, or any request of the stateless
//! 2026-07-28 lifecycle, which carries its protocol version in `_meta`); from then on reads
//! pass straight through.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rmcp::transport::io::{StdioReader, StdioWriter};
use tokio::io::{AsyncRead, ReadBuf};

/// stdin, screened, and stdout.
pub fn stdio() -> (ScreenedInput<StdioReader>, StdioWriter) {
    let (input, output) = rmcp::transport::stdio_pipes();
    (ScreenedInput::new(input), output)
}

/// A line this long before the session starts is passed on unread: rmcp drops lines over
/// 16 MiB anyway.
const MAX_SCREENED_LINE: usize = 16 * 1024 * 1024;

/// An input that drops notifications and responses until a request starts the session.
#[derive(Debug)]
pub struct ScreenedInput<R> {
    inner: R,
    /// Bytes read but not yet judged: the start of a line.
    pending: Vec<u8>,
    /// Judged bytes not yet handed out, from `ready_from` on.
    ready: Vec<u8>,
    ready_from: usize,
    started: bool,
    ended: bool,
}

impl<R> ScreenedInput<R> {
    /// Screens `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            ready: Vec::new(),
            ready_from: 0,
            started: false,
            ended: false,
        }
    }

    /// Moves every complete line of `pending` to `ready`, or drops it; once the session has
    /// started, everything left moves on as it is.
    fn judge_lines(&mut self) {
        while !self.started {
            let Some(end) = self.pending.iter().position(|b| *b == b'\n') else {
                break;
            };
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if starts_session(&line) {
                self.started = true;
            } else if ends_session_before_handshake(&line) {
                tracing::warn!("dropped a notification or response sent before initialize");
                continue;
            }
            self.ready.extend_from_slice(&line);
        }
        if self.pending.len() >= MAX_SCREENED_LINE || (self.ended && !self.pending.is_empty()) {
            self.started = true;
        }
        if self.started {
            self.ready.append(&mut self.pending);
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for ScreenedInput<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_from < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_from);
                buf.put_slice(&this.ready[this.ready_from..this.ready_from + n]);
                this.ready_from += n;
                if this.ready_from == this.ready.len() {
                    this.ready.clear();
                    this.ready_from = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.started || this.ended {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                this.ended = true;
            }
            this.pending.extend_from_slice(read.filled());
            this.judge_lines();
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn screened(input: &'static str) -> String {
        let mut text = String::new();
        ScreenedInput::new(input.as_bytes())
            .read_to_string(&mut text)
            .await
            .unwrap();
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
        assert_eq!(screened(input).await, input);
    }

    /// Input that arrives one byte per read, so lines are judged across many reads.
    struct Trickle(&'static [u8]);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some((first, rest)) = self.0.split_first() {
                buf.put_slice(&[*first]);
                self.0 = rest;
            }
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn lines_split_across_reads_are_judged_whole_and_a_last_line_without_newline_passes() {
        let input = concat!(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"
        );
        let mut text = String::new();
        ScreenedInput::new(Trickle(input.as_bytes()))
            .read_to_string(&mut text)
            .await
            .unwrap();
        assert_eq!(text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    }
}
