//! The line bound on the other side: what a server this process is the client of writes
//! (a backend under `llm-mcp call`, a child under `serve`).
//!
//! rmcp's transport drops a line over 16 MiB and logs it, so the request it answered waits
//! for its timeout (660 s under `serve`, for a 3 MiB prompt of `"` characters echoed back
//! escaped). [`BoundedAnswers`] hands rmcp whole lines only and puts, in place of an answer
//! over the bound, an error answer to the same id, so the call fails at once and says why.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

use super::lines::{KEPT_PREFIX, MAX_LINE};
use super::reject::{self, INTERNAL_ERROR};

/// A server's stdout, line-bounded (see the module documentation).
pub struct BoundedAnswers<R> {
    inner: R,
    /// The line being read (at most [`MAX_LINE`] bytes, or [`KEPT_PREFIX`] once over it).
    line: Vec<u8>,
    oversized: bool,
    /// Whole lines ready to be handed out, from `ready_from` on.
    ready: Vec<u8>,
    ready_from: usize,
    chunk: Box<[u8]>,
}

impl<R> BoundedAnswers<R> {
    /// Bounds the lines of `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            line: Vec::new(),
            oversized: false,
            ready: Vec::new(),
            ready_from: 0,
            chunk: vec![0; 64 * 1024].into_boxed_slice(),
        }
    }

    /// Takes `bytes` in: whole lines move to `ready`, each scanned once.
    fn take(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let newline = memchr(bytes);
            let piece = &bytes[..newline.unwrap_or(bytes.len())];
            if !self.oversized && self.line.len() + piece.len() >= MAX_LINE {
                self.oversized = true;
                self.line.truncate(KEPT_PREFIX);
            }
            let room = if self.oversized {
                KEPT_PREFIX.saturating_sub(self.line.len())
            } else {
                piece.len()
            };
            self.line.extend_from_slice(&piece[..room.min(piece.len())]);
            let Some(newline) = newline else { return };
            bytes = &bytes[newline + 1..];
            if std::mem::take(&mut self.oversized) {
                self.replace_oversized();
            } else if self.ready.is_empty() {
                std::mem::swap(&mut self.ready, &mut self.line);
                self.ready.push(b'\n');
            } else {
                self.ready.extend_from_slice(&self.line);
                self.ready.push(b'\n');
            }
            self.line.clear();
        }
    }

    fn replace_oversized(&mut self) {
        match reject::scan_response_id(&self.line) {
            Some(id) => {
                tracing::warn!(%id, "the server's answer is over {MAX_LINE} bytes: failing its call");
                let message = format!(
                    "the server's answer is over {} MiB (the line bound of MCP over stdio) \
                     and was dropped",
                    MAX_LINE / (1024 * 1024)
                );
                let reply = reject::error_line(Some(&id), INTERNAL_ERROR, &message);
                self.ready.extend_from_slice(&reply);
            }
            None => tracing::warn!("dropped a message over {MAX_LINE} bytes from the server"),
        }
        self.line = Vec::new();
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

impl<R: AsyncRead + Unpin> AsyncRead for BoundedAnswers<R> {
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
                    if this.ready.capacity() > 1024 * 1024 {
                        this.ready = Vec::new();
                    }
                }
                return Poll::Ready(Ok(()));
            }
            let mut read = ReadBuf::new(&mut this.chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let filled = read.filled().len();
            if filled == 0 {
                // End of stream: a last line without its newline is passed as it is.
                if !this.line.is_empty() && !this.oversized {
                    std::mem::swap(&mut this.ready, &mut this.line);
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            let chunk = std::mem::take(&mut this.chunk);
            this.take(&chunk[..filled]);
            this.chunk = chunk;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn an_answer_over_the_bound_becomes_an_error_answer_to_its_id() {
        let big = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{{\"text\":\"{}\"}}}}\n",
            "x".repeat(MAX_LINE)
        );
        let note = format!(
            "{{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":\"{}\"}}\n",
            "y".repeat(MAX_LINE)
        );
        let input = format!("{{\"id\":1}}\n{big}{note}{{\"id\":2}}\n{{\"id\":3}}");
        let mut out = String::new();
        BoundedAnswers::new(input.as_bytes())
            .read_to_string(&mut out)
            .await
            .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{}", &out[..out.len().min(500)]);
        assert_eq!(lines[0], "{\"id\":1}");
        let error: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(error["id"], 7);
        assert_eq!(error["error"]["code"], -32603);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("16 MiB")
        );
        assert_eq!(lines[2..], ["{\"id\":2}", "{\"id\":3}"]);
    }
}
