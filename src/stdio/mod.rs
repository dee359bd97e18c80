//! The stdio transport of every server: bounded lines in, a bounded queue out.
//!
//! stdin and stdout are rmcp's `stdio_pipes`: when they are pipes, as MCP clients launch
//! servers, they are driven by the IO reactor rather than a blocking thread per read, which
//! costs more per call than the server's own work (see benches/bench.rs). On them this
//! transport replaces rmcp's own, which buffers without bound when the client stops reading
//! and drops what it cannot read without a word:
//!
//! - [`lines`]: stdin one line at a time, at most 16 MiB, in linear time.
//! - [`call_request`]: a `tools/call` line read straight into rmcp's message.
//! - [`screen`]: notifications and responses before the session starts are dropped.
//! - [`reject`]: the JSON-RPC error for each line that is not one readable message.
//! - [`outbox`]: what waits to be written (8 MiB), and the writer.
//! - [`answers`]: the same line bound on what a server we are the client of writes;
//!   [`server_pipe`]: the transport to such a server, with a fast path for tool results.
//! - [`slots`]: a request whose handler panicked gets an error answer and frees its slot.
//!
//! Backpressure: no new request is read while half the output queue is taken, nor while
//! [`MAX_IN_FLIGHT`] requests or [`MAX_IN_FLIGHT_BYTES`] of request lines are unanswered.
//! The session ends, cancelling every call in flight, when stdin closes or stdout fails
//! ([`Stdio::ended`]).

mod answers;
mod call_request;
mod lines;
mod outbox;
mod reject;
mod screen;
mod server_pipe;
mod slots;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ClientNotification, GetExtensions, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::io::StdioReader;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

pub use lines::MAX_LINE;
pub use server_pipe::ServerPipe;

use lines::{Line, Lines};
use outbox::Outbox;
use screen::Judged;
use slots::{Abandoned, SlotGuard};

/// The most requests read and not yet answered; the next waits on stdin.
pub const MAX_IN_FLIGHT: usize = 256;

/// The most bytes of request lines read and not yet answered (a single request may be larger).
pub const MAX_IN_FLIGHT_BYTES: usize = 64 * 1024 * 1024;

/// stdin and stdout as an MCP server transport (must be called inside the runtime: it starts
/// the writer task).
pub fn stdio() -> Stdio<StdioReader> {
    let (input, output) = rmcp::transport::stdio_pipes();
    Stdio::new(input, output)
}

/// A server transport over a line-delimited input and output.
pub struct Stdio<R> {
    lines: Lines<R>,
    outbox: Outbox,
    /// A request started the session: lines are no longer screened.
    started: bool,
    /// Requests read and not yet answered, with their line lengths and the serials of their
    /// slots.
    in_flight: HashMap<RequestId, (usize, u64)>,
    in_flight_bytes: usize,
    next_serial: u64,
    /// Requests whose handler panicked.
    abandoned: Arc<Abandoned>,
    /// Reading is held back (logged once per episode).
    paused: bool,
    ended: CancellationToken,
}

impl<R: AsyncRead + Send + Unpin> Stdio<R> {
    /// Reads requests from `input` and writes to `output`.
    pub fn new(input: R, output: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        let ended = CancellationToken::new();
        Self {
            lines: Lines::new(input),
            outbox: Outbox::start(output, ended.clone()),
            started: false,
            in_flight: HashMap::new(),
            in_flight_bytes: 0,
            next_serial: 0,
            abandoned: Arc::default(),
            paused: false,
            ended,
        }
    }

    /// Cancelled when the session is over: stdin closed or stdout failed. Serve with this as
    /// the service's token, so the calls in flight are cancelled at once rather than after
    /// rmcp's 5 s drain.
    pub fn ended(&self) -> CancellationToken {
        self.ended.clone()
    }

    /// Why no request may be read now, if one may not.
    fn hold_back(&self) -> Option<String> {
        let waiting = self.outbox.waiting();
        if waiting >= outbox::PAUSE_BYTES {
            return Some(format!(
                "the client is not reading stdout: {waiting} bytes wait to be written"
            ));
        }
        let bytes_full = self.in_flight_bytes >= MAX_IN_FLIGHT_BYTES;
        if self.in_flight.len() >= MAX_IN_FLIGHT || bytes_full {
            return Some(format!(
                "{} requests ({} bytes) are in flight",
                self.in_flight.len(),
                self.in_flight_bytes
            ));
        }
        None
    }

    /// Waits until a request may be read (an answer sent ends the wait by dropping this
    /// future: rmcp polls `receive` in a `select!` and calls it again).
    async fn wait_for_room(&mut self) {
        while let Some(why) = self.hold_back() {
            if !self.paused {
                self.paused = true;
                tracing::warn!("{why}: not reading new requests until it drains");
            }
            if self.outbox.full() {
                self.outbox.wait_below_pause().await;
            } else {
                std::future::pending::<()>().await;
            }
        }
        if std::mem::take(&mut self.paused) {
            tracing::warn!("reading requests again");
        }
    }

    /// One whole line: the message it holds, or `None` when it was dropped or answered here.
    fn judge(&mut self, line_len: usize) -> Option<RxJsonRpcMessage<RoleServer>> {
        let line = self.lines.line();
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            return None;
        }
        if !self.started {
            match screen::judge(line) {
                Judged::Starts => self.started = true,
                Judged::Drop => {
                    tracing::warn!("dropped a notification or response sent before initialize");
                    return None;
                }
                Judged::Pass => {}
            }
        }
        let mut message = match call_request::read(line) {
            Ok(message) => message,
            Err(_) => {
                if !is_notification(line) {
                    for reply in reject::replies(line) {
                        self.outbox.push_now(reply);
                    }
                }
                return None;
            }
        };
        match &mut message {
            JsonRpcMessage::Request(request) => {
                if self.in_flight.contains_key(&request.id) {
                    let id = serde_json::to_value(&request.id).unwrap_or_default();
                    self.outbox.push_now(reject::id_in_use(&id));
                    return None;
                }
                let serial = self.next_serial;
                self.next_serial += 1;
                self.in_flight
                    .insert(request.id.clone(), (line_len, serial));
                self.in_flight_bytes += line_len;
                let guard = SlotGuard::new(request.id.clone(), serial, self.abandoned.clone());
                request.request.extensions_mut().insert(guard);
            }
            JsonRpcMessage::Notification(note) => {
                // rmcp drops the answer of a cancelled request: it is no longer in flight.
                if let ClientNotification::CancelledNotification(cancelled) = &note.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.answered(id);
                }
            }
            _ => {}
        }
        Some(message)
    }

    fn answered(&mut self, id: &RequestId) {
        if let Some((len, _)) = self.in_flight.remove(id) {
            self.in_flight_bytes -= len;
        }
    }

    /// Answers each request whose handler panicked (unless it was answered or cancelled
    /// meanwhile, and its id perhaps reused) and frees its slot.
    fn answer_abandoned(&mut self) {
        for (id, serial) in self.abandoned.take() {
            if self.in_flight.get(&id).is_some_and(|&(_, s)| s == serial) {
                tracing::error!(%id, "the handler of a request panicked: answering it with an error");
                self.answered(&id);
                let id = serde_json::to_value(&id).unwrap_or_default();
                self.outbox.push_now(reject::handler_panicked(&id));
            }
        }
    }
}

/// A message without an id that fails to parse is a notification rmcp does not know (or an
/// ill-formed one): JSON-RPC answers no notification.
fn is_notification(line: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(message)) => {
            !message.contains_key("id") && message.contains_key("method")
        }
        _ => false,
    }
}

impl<R: AsyncRead + Send + Unpin + 'static> Transport<RoleServer> for Stdio<R> {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        match &item {
            JsonRpcMessage::Response(response) => self.answered(&response.id),
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    self.answered(id);
                }
            }
            _ => {}
        }
        let line = serde_json::to_vec(&item).map(|mut line| {
            line.push(b'\n');
            line
        });
        let outbox = self.outbox.clone();
        async move { outbox.push(line?).await }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            self.answer_abandoned();
            let ended = self.ended.clone();
            let abandoned = self.abandoned.clone();
            tokio::select! {
                biased;
                _ = ended.cancelled() => return None,
                _ = abandoned.notify.notified() => continue,
                _ = self.wait_for_room() => {}
            }
            // Reading is cancel safe: a panic answered here resumes the same line.
            let read = tokio::select! {
                biased;
                _ = ended.cancelled() => return None,
                _ = abandoned.notify.notified() => continue,
                read = self.lines.next() => read,
            };
            match read {
                Line::Whole => {
                    let len = self.lines.line().len();
                    if let Some(message) = self.judge(len) {
                        return Some(message);
                    }
                }
                Line::Oversized => {
                    tracing::warn!("dropped a message over {MAX_LINE} bytes");
                    let reply = reject::oversized(self.lines.line(), MAX_LINE);
                    self.outbox.push_now(reply);
                }
                Line::End | Line::Failed(_) => {
                    if let Line::Failed(kind) = read {
                        tracing::warn!("stdin failed ({kind}): ending the session");
                    }
                    // The client is done: cancel what is in flight now, not after 5 s.
                    self.ended.cancel();
                    return None;
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.outbox.close().await;
        Ok(())
    }
}
