//! The line bound on the other side: what a server this process is the client of writes
//! (a child under `serve`), read one line at a time.
//!
//! rmcp's transport drops a line over 16 MiB and logs it, so the request it answered waits
//! for its timeout (660 s under `serve`, for a 3 MiB prompt of `"` characters echoed back
//! escaped). [`BoundedAnswers`] hands out whole lines only and puts, in place of an answer
//! over the bound, an error answer to the same id, so the call fails at once and says why.
//!
//! A line that arrives whole in one read is handed out where it lies in the read buffer: it is
//! scanned once for its newline and never copied (this is the reader of every answer the
//! supervisor relays; docs/performance.md). Only a line split across reads is gathered.

use std::future::poll_fn;
use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

use super::lines::{KEPT_PREFIX, MAX_LINE};
use super::reject::{self, INTERNAL_ERROR};

/// How much one read takes from the server's stdout.
const CHUNK: usize = 64 * 1024;

/// A server's stdout, line-bounded (see the module documentation); cancel safe.
pub struct BoundedAnswers<R> {
    inner: R,
    chunk: Box<[u8]>,
    /// The bytes of `chunk` read and not yet handed out.
    unread: Range<usize>,
    /// A line begun in an earlier read (at most [`MAX_LINE`] bytes, or [`KEPT_PREFIX`] once
    /// over it), or the error answer that replaces an oversized one.
    line: Vec<u8>,
    oversized: bool,
    /// The last line handed out was `line`: clear it before reading on.
    returned: bool,
}

/// Where the next line is.
enum Found {
    /// In the read buffer.
    Chunk(Range<usize>),
    /// In `line`.
    Line,
    /// The server's output ended.
    End,
}

impl<R: AsyncRead + Unpin> BoundedAnswers<R> {
    /// Bounds the lines of `inner`.
    pub fn new(inner: R) -> Self {
        Self::with_chunk(inner, CHUNK)
    }

    fn with_chunk(inner: R, chunk: usize) -> Self {
        Self {
            inner,
            chunk: vec![0; chunk].into_boxed_slice(),
            unread: 0..0,
            line: Vec::new(),
            oversized: false,
            returned: false,
        }
    }

    /// The next line, newline excluded (a last line without one is handed out as it is);
    /// `None` once the output ended. The line is valid until the next call.
    pub async fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        Ok(match poll_fn(|cx| self.poll_line(cx)).await? {
            Found::Chunk(range) => Some(&self.chunk[range]),
            Found::Line => Some(&self.line),
            Found::End => None,
        })
    }

    /// No await inside: a `next_line` cancelled by a `select!` loses nothing.
    fn poll_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Found>> {
        if std::mem::take(&mut self.returned) {
            self.line.clear();
            // One long line must not keep its memory for the rest of the session.
            if self.line.capacity() > 1024 * 1024 {
                self.line = Vec::new();
            }
        }
        loop {
            let unread = self.unread.clone();
            if !unread.is_empty() {
                let Some(newline) = memchr::memchr(b'\n', &self.chunk[unread.clone()]) else {
                    self.gather(unread.clone());
                    self.unread = unread.end..unread.end;
                    continue;
                };
                let piece = unread.start..unread.start + newline;
                self.unread = piece.end + 1..unread.end;
                if self.line.is_empty() && !self.oversized {
                    return Poll::Ready(Ok(Found::Chunk(piece)));
                }
                self.gather(piece);
                if std::mem::take(&mut self.oversized) {
                    self.replace_oversized();
                    if self.line.is_empty() {
                        continue;
                    }
                }
                self.returned = true;
                return Poll::Ready(Ok(Found::Line));
            }
            let mut read = ReadBuf::new(&mut self.chunk);
            ready!(Pin::new(&mut self.inner).poll_read(cx, &mut read))?;
            let filled = read.filled().len();
            self.unread = 0..filled;
            if filled == 0 {
                if self.line.is_empty() || std::mem::take(&mut self.oversized) {
                    self.line.clear();
                    return Poll::Ready(Ok(Found::End));
                }
                self.returned = true;
                return Poll::Ready(Ok(Found::Line));
            }
        }
    }

    /// Adds `range` of the read buffer to the line being gathered, within the bound.
    fn gather(&mut self, range: Range<usize>) {
        let piece = &self.chunk[range];
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
    }

    /// Puts in `line`, in place of the oversized line's kept prefix, an error answer to its
    /// id (or nothing, when no id can be read from it).
    fn replace_oversized(&mut self) {
        let reply = match reject::scan_response_id(&self.line) {
            Some(id) => {
                tracing::warn!(%id, "the server's answer is over {MAX_LINE} bytes: failing its call");
                let message = format!(
                    "the server's answer is over {} MiB (the line bound of MCP over stdio) \
                     and was dropped",
                    MAX_LINE / (1024 * 1024)
                );
                let mut reply = reject::error_line(Some(&id), INTERNAL_ERROR, &message);
                if reply.last() == Some(&b'\n') {
                    reply.pop();
                }
                reply
            }
            None => {
                tracing::warn!("dropped a message over {MAX_LINE} bytes from the server");
                Vec::new()
            }
        };
        self.line = reply;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `input` holds, read `chunk` bytes at a time.
    async fn lines(input: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut answers = BoundedAnswers::with_chunk(input, chunk);
        let mut lines = Vec::new();
        while let Some(line) = answers.next_line().await.unwrap() {
            lines.push(line.to_vec());
        }
        lines
    }

    #[tokio::test]
    async fn lines_come_whole_however_the_reads_cut_them() {
        let input = b"{\"id\":1}\n\n{\"id\":22}\n{\"id\":333}";
        let expected: Vec<Vec<u8>> = vec![
            b"{\"id\":1}".to_vec(),
            Vec::new(),
            b"{\"id\":22}".to_vec(),
            b"{\"id\":333}".to_vec(),
        ];
        for chunk in [1, 2, 3, 7, 9, 10, 64, CHUNK] {
            assert_eq!(lines(input, chunk).await, expected, "chunk {chunk}");
        }
    }

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
        let lines = lines(input.as_bytes(), CHUNK).await;
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], b"{\"id\":1}");
        let error: serde_json::Value = serde_json::from_slice(&lines[1]).unwrap();
        assert_eq!(error["id"], 7);
        assert_eq!(error["error"]["code"], -32603);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("16 MiB")
        );
        assert_eq!(lines[2..], [b"{\"id\":2}".to_vec(), b"{\"id\":3}".to_vec()]);
    }

    #[tokio::test]
    async fn an_oversized_last_line_without_its_newline_is_dropped() {
        let input = format!("{{\"id\":1}}\n{{\"id\":9,\"x\":\"{}", "z".repeat(MAX_LINE));
        assert_eq!(
            lines(input.as_bytes(), CHUNK).await,
            [b"{\"id\":1}".to_vec()]
        );
    }
}
