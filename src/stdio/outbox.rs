//! What waits to be written to stdout, bounded, and the task that writes it.
//!
//! rmcp writes each message from a task of its own, and nothing stops it reading requests
//! while stdout is blocked: a client that stopped reading made a server buffer gigabytes.
//! Here messages wait in one queue of at most [`QUEUE_BYTES`]; a sender waits for room (so a
//! handler sending progress waits too), and the reader stops taking requests while the queue
//! is at least half full ([`Outbox::full`]). A failed write (EPIPE: the client closed its end)
//! ends the session: [`Outbox::ended`] is cancelled, and so is every call in flight.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The most bytes that wait to be written (one larger message may wait alone).
pub const QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// From this many waiting bytes on, no new request is read.
pub const PAUSE_BYTES: usize = QUEUE_BYTES / 2;

/// How long closing waits for the queue to be written (a client that closed stdin but does not
/// read stdout must not keep the process alive).
const CLOSE_GRACE: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Queue {
    messages: VecDeque<Vec<u8>>,
    /// Bytes queued or being written.
    bytes: usize,
    /// Writing failed: nothing more is accepted.
    broken: bool,
    /// No more messages will come: write what is queued, then stop.
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Messages were queued, or closing began.
    work: Notify,
    /// Bytes were written (or writing failed).
    room: Notify,
    ended: CancellationToken,
}

/// The sending side, shared by every sender.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    writer: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

/// Writing to stdout failed earlier: the client is gone.
fn broken() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout is closed")
}

impl Outbox {
    /// Starts the task writing to `write`; `ended` is cancelled when writing fails.
    pub fn start<W: AsyncWrite + Send + Unpin + 'static>(
        write: W,
        ended: CancellationToken,
    ) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            work: Notify::new(),
            room: Notify::new(),
            ended,
        });
        let writer = tokio::spawn(write_out(write, Arc::clone(&shared)));
        Self {
            shared,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Bytes queued or being written.
    pub fn waiting(&self) -> usize {
        self.shared.queue.lock().expect("queue lock").bytes
    }

    /// Whether the reader should stop taking requests.
    pub fn full(&self) -> bool {
        self.waiting() >= PAUSE_BYTES
    }

    /// Waits until fewer than [`PAUSE_BYTES`] wait (or writing failed).
    pub async fn wait_below_pause(&self) {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let queue = self.shared.queue.lock().expect("queue lock");
                if queue.bytes < PAUSE_BYTES || queue.broken {
                    return;
                }
            }
            room.await;
        }
    }

    /// Queues `message` (one line, newline included) at once, past the bound: for the
    /// reader's own small error replies, which the pause bounds in number.
    pub fn push_now(&self, message: Vec<u8>) {
        let mut queue = self.shared.queue.lock().expect("queue lock");
        if queue.broken || queue.closing {
            return;
        }
        queue.bytes += message.len();
        queue.messages.push_back(message);
        drop(queue);
        self.shared.work.notify_one();
    }

    /// Queues `message` once there is room for it.
    pub async fn push(&self, message: Vec<u8>) -> std::io::Result<()> {
        self.offer(&mut Some(message)).await
    }

    /// Queues the message in `slot` once there is room for it, taking it out of `slot` only
    /// then: a wait that is dropped leaves it there (cancel safe).
    pub async fn offer(&self, slot: &mut Option<Vec<u8>>) -> std::io::Result<()> {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut queue = self.shared.queue.lock().expect("queue lock");
                if queue.broken {
                    return Err(broken());
                }
                let Some(len) = slot.as_ref().map(Vec::len) else {
                    return Ok(());
                };
                if queue.bytes == 0 || queue.bytes + len <= QUEUE_BYTES {
                    queue.bytes += len;
                    queue.messages.extend(slot.take());
                    drop(queue);
                    self.shared.work.notify_one();
                    return Ok(());
                }
            }
            room.await;
        }
    }

    /// Writes what is queued (within [`CLOSE_GRACE`]) and stops the writer.
    pub async fn close(&self) {
        self.shared.queue.lock().expect("queue lock").closing = true;
        self.shared.work.notify_one();
        let writer = self.writer.lock().expect("writer lock").take();
        if let Some(mut writer) = writer
            && tokio::time::timeout(CLOSE_GRACE, &mut writer)
                .await
                .is_err()
        {
            tracing::warn!("stdout is not being read: dropped what was left to write");
            writer.abort();
        }
    }
}

/// The writer task: everything queued, in order, flushed whenever the queue runs dry.
async fn write_out<W: AsyncWrite + Unpin>(mut write: W, shared: Arc<Shared>) {
    loop {
        let work = shared.work.notified();
        tokio::pin!(work);
        work.as_mut().enable();
        let next = {
            let mut queue = shared.queue.lock().expect("queue lock");
            match queue.messages.pop_front() {
                Some(message) => Some((message, queue.messages.is_empty())),
                None if queue.closing => return,
                None => None,
            }
        };
        let Some((message, last)) = next else {
            work.await;
            continue;
        };
        let mut written = write.write_all(&message).await;
        if written.is_ok() && last {
            written = write.flush().await;
        }
        let mut queue = shared.queue.lock().expect("queue lock");
        if let Err(err) = written {
            queue.broken = true;
            queue.messages.clear();
            queue.bytes = 0;
            drop(queue);
            tracing::warn!(
                "stdout failed ({err}): the client is gone; ending the session and cancelling \
                 the calls in flight"
            );
            shared.ended.cancel();
            shared.room.notify_waiters();
            return;
        }
        queue.bytes -= message.len();
        drop(queue);
        shared.room.notify_waiters();
    }
}
