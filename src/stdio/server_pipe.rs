//! The client side of a stdio connection to a server this process started (a child of
//! `serve`): its stdout line-bounded by [`BoundedAnswers`], its stdin written by one task in
//! order (rmcp's messages and the [`Bypass`]'s lines alike), and each line read into an rmcp
//! message with a fast path for tool results, unless it answers a call of the bypass.
//!
//! Why a transport of its own: rmcp reads every message as an untagged union, twice over (the
//! JSON-RPC shape, then `ServerResult`, where a tool result is the sixteenth of twenty kinds
//! tried in turn, each failing with an error of its own). Answering a forwarded `tools/call`
//! is what the supervisor does most, and that parse was close to half of its instructions per
//! call (callgrind; docs/performance.md). A line that is exactly a tool result (`jsonrpc`,
//! `id`, and a `result` holding only the fields of a `CallToolResult`, with `resultType`
//! absent or `complete`, and content blocks that are plain text) is read straight into one; any other line goes through rmcp's own
//! parse, so what comes out is the same message either way (the tests hold the two paths to
//! that).

use std::borrow::Cow;

use rmcp::RoleClient;
use rmcp::model::{
    CallToolResult, ContentBlock, ErrorData, JsonRpcMessage, JsonRpcResponse, JsonRpcVersion2_0,
    RequestId, ServerResult,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::answers::BoundedAnswers;
use super::bypass::Bypass;
use super::tool_result::ToolResult;

/// Lines that may wait for the server's stdin; past this rmcp's sends wait and the bypass
/// declines (its caller then takes rmcp's way).
const STDIN_QUEUE: usize = 64;

/// How long closing waits for what is queued to be written to the server.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A server's stdout and stdin as an MCP client transport.
pub struct ServerPipe<R: AsyncRead> {
    /// The server's stdout, a line at a time (cancel safe: `receive` runs inside a `select!`).
    read: BoundedAnswers<R>,
    /// The queue the stdin writer takes lines from.
    lines: mpsc::Sender<Vec<u8>>,
    /// Calls sent past rmcp, whose answers are taken out before rmcp reads a line.
    bypass: Bypass,
    /// Tells the writer to write what is queued and close stdin.
    closing: CancellationToken,
    writer: Option<tokio::task::JoinHandle<()>>,
}

impl<R> ServerPipe<R>
where
    R: AsyncRead + Send + Unpin,
{
    /// The transport over a server's `stdout` and `stdin` (must be called inside the
    /// runtime: it starts the stdin writer and the bypass's timer).
    pub fn new<W: AsyncWrite + Send + Unpin + 'static>(stdout: R, stdin: W) -> Self {
        let (lines, queue) = mpsc::channel(STDIN_QUEUE);
        let closing = CancellationToken::new();
        let writer = tokio::spawn(write_lines(stdin, queue, closing.clone()));
        Self {
            read: BoundedAnswers::new(stdout),
            bypass: Bypass::new(lines.clone()),
            lines,
            closing,
            writer: Some(writer),
        }
    }

    /// The way past rmcp to this server.
    pub fn bypass(&self) -> Bypass {
        self.bypass.clone()
    }
}

impl<R: AsyncRead> Drop for ServerPipe<R> {
    fn drop(&mut self) {
        // The bypass holds the queue open: the writer ends on this instead.
        self.bypass.gone();
        self.closing.cancel();
    }
}

/// The stdin writer: each line in order, flushed whenever the queue runs dry; on `closing`,
/// what is queued and then end of file. A failed write ends it (sends then fail too).
async fn write_lines<W: AsyncWrite + Unpin>(
    mut stdin: W,
    mut queue: mpsc::Receiver<Vec<u8>>,
    closing: CancellationToken,
) {
    loop {
        let line = tokio::select! {
            biased;
            line = queue.recv() => line,
            _ = closing.cancelled() => None,
        };
        let Some(line) = line else { break };
        let mut written = stdin.write_all(&line).await;
        if written.is_ok() && queue.is_empty() {
            written = stdin.flush().await;
        }
        if let Err(err) = written {
            tracing::debug!(%err, "writing to the server's stdin failed");
            return;
        }
    }
    while let Ok(line) = queue.try_recv() {
        if stdin.write_all(&line).await.is_err() {
            return;
        }
    }
    let _ = stdin.shutdown().await;
}

impl<R> Transport<RoleClient> for ServerPipe<R>
where
    R: AsyncRead + Send + Unpin,
{
    type Error = std::io::Error;

    fn name() -> Cow<'static, str> {
        "ServerPipe".into()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let lines = self.lines.clone();
        async move {
            let mut line = serde_json::to_vec(&item)?;
            line.push(b'\n');
            lines.send(line).await.map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "the server's stdin is closed",
                )
            })
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let line = match self.read.next_line().await {
                Ok(Some(line)) => trim_line(line),
                Ok(None) => {
                    self.bypass.gone();
                    return None;
                }
                Err(err) => {
                    tracing::error!(%err, "reading the server's stdout failed");
                    self.bypass.gone();
                    return None;
                }
            };
            if self.bypass.claim(line) {
                continue;
            }
            match read_message(line) {
                Read::Message(message) => return Some(*message),
                Read::Skip => {}
                Read::Invalid => {
                    // As rmcp does: JSON of the wrong shape is answered, so a request the
                    // server sent does not wait for ever.
                    let reply = TxJsonRpcMessage::<RoleClient>::error(
                        ErrorData::invalid_request("Invalid request", None),
                        None,
                    );
                    if self.send(reply).await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.bypass.gone();
        self.closing.cancel();
        // A server that stopped reading must not hold the close: its group is ended anyway.
        if let Some(mut writer) = self.writer.take()
            && tokio::time::timeout(CLOSE_GRACE, &mut writer)
                .await
                .is_err()
        {
            writer.abort();
        }
        Ok(())
    }
}

/// What one line held.
enum Read {
    Message(Box<RxJsonRpcMessage<RoleClient>>),
    /// Blank, or not JSON (ignored, as rmcp and the other SDKs do).
    Skip,
    /// JSON that is no message.
    Invalid,
}

/// A line without its newline (if any), a CR before it and a BOM.
fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Reads one line (its newline, a CR and a BOM allowed) into a message.
fn read_message(line: &[u8]) -> Read {
    let line = trim_line(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Read::Skip;
    }
    if let Some(message) = tool_answer(line) {
        return Read::Message(Box::new(message));
    }
    match serde_json::from_slice::<RxJsonRpcMessage<RoleClient>>(line) {
        Ok(message) => Read::Message(Box::new(message)),
        Err(err) if err.is_data() => {
            tracing::debug!(%err, "the server sent JSON that is no MCP message");
            Read::Invalid
        }
        Err(err) => {
            tracing::debug!(%err, "ignoring a line of the server's that is not JSON");
            Read::Skip
        }
    }
}

/// An answer line of a server's read as [`ServerPipe`] reads it; `None` for a line that is
/// no message.
pub(crate) fn read_answer(line: &[u8]) -> Option<RxJsonRpcMessage<RoleClient>> {
    match read_message(line) {
        Read::Message(message) => Some(*message),
        Read::Skip | Read::Invalid => None,
    }
}

/// A response holding a tool result of plain text blocks and nothing else, read directly;
/// `None` for any other line, which then takes rmcp's own way.
fn tool_answer(line: &[u8]) -> Option<RxJsonRpcMessage<RoleClient>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Answer {
        jsonrpc: JsonRpcVersion2_0,
        id: RequestId,
        result: ToolResult<String, Value>,
    }
    let answer: Answer = serde_json::from_slice(line).ok()?;
    let result = answer.result;
    if !result.is_complete() {
        return None;
    }
    let mut tool = CallToolResult::default();
    tool.result_type = result.result_type;
    tool.content = (result.content.unwrap_or_default().into_iter())
        .map(|block| ContentBlock::text(block.text))
        .collect();
    tool.structured_content = result.structured_content;
    tool.is_error = result.is_error;
    tool.meta = result.meta;
    Some(JsonRpcMessage::Response(JsonRpcResponse {
        jsonrpc: answer.jsonrpc,
        id: answer.id,
        result: ServerResult::CallToolResult(tool),
    }))
}

#[cfg(test)]
mod tests;
