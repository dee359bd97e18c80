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
//! - [`shortcut`]: a `tools/call` taken past rmcp (the supervisor's passthrough), and
//!   [`bypass`]: its way to a server this process started and back, where
//!   [`plain_answer`] tells which answers go back as the server's own bytes.
//! - [`surrogates`]: the lone surrogate escapes a line passed on as written must not hold.
//! - [`tool_result`]: the shape of a tool result both of those read without rmcp's union.
//!
//! Backpressure: no new request is read while half the output queue is taken, nor while
//! [`MAX_IN_FLIGHT`] requests or [`MAX_IN_FLIGHT_BYTES`] of request lines are unanswered.
//! The session ends, cancelling every call in flight, when stdin closes or stdout fails
//! ([`Stdio::ended`]).

mod answers;
pub mod bypass;
mod call_request;
mod lines;
mod outbox;
pub mod plain_answer;
mod reject;
mod screen;
mod server_pipe;
pub mod shortcut;
mod slots;
mod surrogates;
#[cfg(test)]
mod tests;
mod tool_result;

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ClientNotification, GetExtensions, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::io::StdioReader;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use lines::MAX_LINE;
pub use server_pipe::ServerPipe;
pub(crate) use server_pipe::read_answer;

use lines::{Line, Lines};
use outbox::Outbox;
use screen::Judged;
use shortcut::{CallLine, Relays, Reply, Shortcut, Ticket};
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
    /// Requests read and not yet answered.
    flight: Flight,
    /// Requests whose handler panicked.
    abandoned: Arc<Abandoned>,
    /// Reading is held back (logged once per episode).
    paused: bool,
    ended: CancellationToken,
    /// Takes some requests past rmcp.
    shortcut: Option<std::sync::Arc<dyn Shortcut>>,
    /// The shortcut's answers as they come back (at most one per request in flight).
    relays: Arc<Relays>,
    /// Wakes `receive` when there is an answer to write: an abandoned request's or a
    /// relayed one (one wait for both: each wait costs a registration per wake-up).
    wake: Arc<Notify>,
    /// Shortcut answers waiting for room in the output queue, the first in `relaying`.
    relaying: Option<Vec<u8>>,
    relay_backlog: std::collections::VecDeque<Vec<u8>>,
}

/// The requests read and not yet answered.
#[derive(Default)]
struct Flight {
    slots: HashMap<RequestId, Slot>,
    /// Their lines' bytes.
    bytes: usize,
    next_serial: u64,
}

impl Flight {
    /// Whether `id` is in flight.
    fn contains(&self, id: &RequestId) -> bool {
        self.slots.contains_key(id)
    }

    /// The serial the next request in flight gets.
    fn next_serial(&self) -> u64 {
        self.next_serial
    }

    /// `id` is in flight, its line `len` bytes long; its serial.
    fn insert(&mut self, id: RequestId, len: usize, ticket: Option<Ticket>) -> u64 {
        let serial = self.next_serial;
        self.next_serial += 1;
        self.slots.insert(
            id,
            Slot {
                len,
                serial,
                ticket,
            },
        );
        self.bytes += len;
        serial
    }

    /// `id` is answered (or cancelled): its slot, if it was in flight.
    fn remove(&mut self, id: &RequestId) -> Option<Slot> {
        let slot = self.slots.remove(id)?;
        self.bytes -= slot.len;
        Some(slot)
    }

    /// Whether `id` is in flight as `serial` (not an earlier request with the same id).
    fn is(&self, id: &RequestId, serial: u64) -> bool {
        self.slots.get(id).is_some_and(|s| s.serial == serial)
    }

    /// Cancels every request the shortcut took.
    fn cancel_taken(&mut self, reason: &str) {
        for slot in self.slots.values_mut() {
            if let Some(ticket) = slot.ticket.take() {
                ticket.cancel(reason);
            }
        }
    }
}

/// A request read and not yet answered.
struct Slot {
    /// Its line's length.
    len: usize,
    /// Tells it from an earlier request with the same id.
    serial: u64,
    /// Set when the shortcut took it.
    ticket: Option<Ticket>,
}

impl<R: AsyncRead + Send + Unpin> Stdio<R> {
    /// Reads requests from `input` and writes to `output`.
    pub fn new(input: R, output: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        let ended = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        Self {
            lines: Lines::new(input),
            outbox: Outbox::start(output, ended.clone()),
            started: false,
            flight: Flight::default(),
            abandoned: Arc::new(Abandoned::new(Arc::clone(&wake))),
            paused: false,
            ended,
            shortcut: None,
            relays: Arc::new(Relays::new(Arc::clone(&wake))),
            wake,
            relaying: None,
            relay_backlog: std::collections::VecDeque::new(),
        }
    }

    /// Lets `shortcut` take the requests it can before rmcp sees them.
    pub fn set_shortcut(&mut self, shortcut: std::sync::Arc<dyn Shortcut>) {
        self.shortcut = Some(shortcut);
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
        let bytes_full = self.flight.bytes >= MAX_IN_FLIGHT_BYTES;
        if self.flight.slots.len() >= MAX_IN_FLIGHT || bytes_full {
            return Some(format!(
                "{} requests ({} bytes) are in flight",
                self.flight.slots.len(),
                self.flight.bytes
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
        if let Some(shortcut) = &self.shortcut
            && take(
                shortcut.as_ref(),
                &mut self.flight,
                &self.relays,
                line,
                line_len,
            )
        {
            return None;
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
                if self.flight.contains(&request.id) {
                    let id = serde_json::to_value(&request.id).unwrap_or_default();
                    self.outbox.push_now(reject::id_in_use(&id));
                    return None;
                }
                let serial = self.flight.insert(request.id.clone(), line_len, None);
                let guard = SlotGuard::new(request.id.clone(), serial, self.abandoned.clone());
                request.request.extensions_mut().insert(guard);
            }
            JsonRpcMessage::Notification(note) => {
                // rmcp drops the answer of a cancelled request: it is no longer in flight.
                if let ClientNotification::CancelledNotification(cancelled) = &note.notification
                    && let Some(id) = &cancelled.params.request_id
                    && let Some(slot) = self.flight.remove(id)
                    && let Some(ticket) = slot.ticket
                {
                    // rmcp never saw this request: the shortcut tells the server.
                    ticket.cancel("cancelled by the client");
                    return None;
                }
            }
            _ => {}
        }
        Some(message)
    }

    /// A shortcut answer came back: it waits to be written unless its request was cancelled
    /// meanwhile (and its id perhaps reused).
    fn relayed(&mut self) {
        for relayed in self.relays.take() {
            if self.flight.is(&relayed.id, relayed.serial) {
                self.flight.remove(&relayed.id);
                self.relay_backlog.push_back(relayed.line);
            }
        }
        if self.relaying.is_none() {
            self.relaying = self.relay_backlog.pop_front();
        }
    }

    /// The session is over: the calls the shortcut took are cancelled (rmcp cancels its own).
    fn end(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.ended.cancel();
        self.flight.cancel_taken("the client is gone");
        None
    }

    /// Answers each request whose handler panicked (unless it was answered or cancelled
    /// meanwhile, and its id perhaps reused) and frees its slot.
    fn answer_abandoned(&mut self) {
        for (id, serial) in self.abandoned.take() {
            if self.flight.is(&id, serial) {
                tracing::error!(%id, "the handler of a request panicked: answering it with an error");
                self.flight.remove(&id);
                let id = serde_json::to_value(&id).unwrap_or_default();
                self.outbox.push_now(reject::handler_panicked(&id));
            }
        }
    }
}

impl<R> Drop for Stdio<R> {
    fn drop(&mut self) {
        // rmcp may stop the session without reading to the end (a signal): the servers are
        // still told to cancel what the shortcut took.
        self.flight.cancel_taken("the session ended");
    }
}

/// Hands `line` to `shortcut` if it is a `tools/call` it takes, putting it in flight; whether
/// it did.
fn take(
    shortcut: &dyn Shortcut,
    flight: &mut Flight,
    relays: &Arc<Relays>,
    line: &[u8],
    line_len: usize,
) -> bool {
    let Some(call) = CallLine::read(line) else {
        return false;
    };
    if flight.contains(&call.id) {
        // rmcp's way answers it as a duplicate.
        return false;
    }
    let reply = Reply::new(call.id.clone(), flight.next_serial(), Arc::clone(relays));
    let Some(ticket) = shortcut.take(&call, reply) else {
        return false;
    };
    flight.insert(call.id, line_len, Some(ticket));
    true
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
            JsonRpcMessage::Response(response) => {
                self.flight.remove(&response.id);
            }
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    self.flight.remove(id);
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
            let wake = self.wake.clone();
            self.relayed();
            while self.relaying.is_some() {
                // Cancel safe: the answer stays in `relaying` until it is queued.
                let queued = tokio::select! {
                    biased;
                    _ = ended.cancelled() => return self.end(),
                    queued = self.outbox.offer(&mut self.relaying) => queued,
                };
                if queued.is_err() {
                    return self.end();
                }
                self.relaying = self.relay_backlog.pop_front();
            }
            // Checked first: with room to read (nearly always) no wait is set up.
            if self.hold_back().is_some() {
                tokio::select! {
                    biased;
                    _ = ended.cancelled() => return self.end(),
                    _ = wake.notified() => continue,
                    _ = self.wait_for_room() => {}
                }
            } else if std::mem::take(&mut self.paused) {
                tracing::warn!("reading requests again");
            }
            // Reading is cancel safe: a panic answered here resumes the same line.
            let read = tokio::select! {
                biased;
                _ = ended.cancelled() => return self.end(),
                _ = wake.notified() => continue,
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
                    return self.end();
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.outbox.close().await;
        Ok(())
    }
}
