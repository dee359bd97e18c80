//! A session call whose client went away is cancelled.
//!
//! In the stateless 2026-07-28 lifecycle, closing the response stream *is* the cancellation,
//! and rmcp cancels the handler itself. In the session-based lifecycles a stream may drop
//! and be resumed (`GET` with `Last-Event-ID`), so rmcp keeps the call running. Here, a call
//! whose every stream has been gone for [`GRACE`] is cancelled as if the client had sent
//! `notifications/cancelled`: nobody can read its answer any more, and a ten-minute call
//! would otherwise keep a provider busy and be billed for nothing.
//!
//! rmcp names each request's stream in its event ids (`INDEX/STREAM`): the first event of a
//! call's stream gives the stream, and a resume names it in `Last-Event-ID`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::Value;

/// How long a call may have no stream before it is cancelled: rmcp tells clients to
/// reconnect after 3 s.
pub(super) const GRACE: Duration = Duration::from_secs(5);

type SessionId = Arc<str>;

/// The streams of the session calls in flight.
pub(super) struct Streams {
    calls: Mutex<HashMap<(SessionId, u64), Call>>,
    manager: Arc<LocalSessionManager>,
    grace: Duration,
}

/// One call, and how many of its streams are open.
struct Call {
    request_id: Value,
    open: usize,
}

impl Streams {
    pub(super) fn new(manager: Arc<LocalSessionManager>, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(HashMap::new()),
            manager,
            grace,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(SessionId, u64), Call>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A watch on the response stream of the call `request_id` just posted to `session`.
    pub(super) fn call(self: &Arc<Self>, session: SessionId, request_id: Value) -> Watch {
        Watch {
            streams: self.clone(),
            session,
            request_id,
            stream: None,
            done: false,
        }
    }

    /// A watch on a resumed stream (`Last-Event-ID: INDEX/STREAM`), when it belongs to a call
    /// in flight.
    pub(super) fn resumed(
        self: &Arc<Self>,
        session: SessionId,
        last_event_id: &str,
    ) -> Option<Watch> {
        let stream = stream_of(last_event_id)?;
        let request_id = {
            let mut calls = self.lock();
            let call = calls.get_mut(&(session.clone(), stream))?;
            call.open += 1;
            call.request_id.clone()
        };
        Some(Watch {
            streams: self.clone(),
            session,
            request_id,
            stream: Some(stream),
            done: false,
        })
    }

    /// After the grace period, cancels the call on `stream` if none of its streams came back.
    fn schedule_check(self: &Arc<Self>, session: SessionId, stream: u64) {
        let streams = self.clone();
        spawn(async move {
            tokio::time::sleep(streams.grace).await;
            let abandoned = {
                let mut calls = streams.lock();
                let key = (session.clone(), stream);
                match calls.get(&key) {
                    Some(call) if call.open == 0 => calls.remove(&key).map(|c| c.request_id),
                    _ => None,
                }
            };
            if let Some(request_id) = abandoned {
                streams.cancel(&session, request_id).await;
            }
        });
    }

    async fn cancel(&self, session: &SessionId, request_id: Value) {
        let message = serde_json::json!({
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": request_id, "reason": "the client disconnected"},
        });
        let Ok(message) = serde_json::from_value::<ClientJsonRpcMessage>(message) else {
            return;
        };
        tracing::info!(%session, "a session call lost its client: cancelled");
        // A session that is gone has nothing left to cancel.
        let _ = self.manager.accept_message(session, message).await;
    }
}

/// Spawns on the current runtime; outside one (a drop during runtime shutdown) there is
/// nothing left to cancel.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
    }
}

/// The stream named by an event id `INDEX/STREAM`.
fn stream_of(event_id: &str) -> Option<u64> {
    event_id.trim().split_once('/')?.1.parse().ok()
}

/// The event id in a chunk of an SSE body, when it has one (`id: VALUE` on its own line).
fn event_id_in(chunk: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(chunk).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("id:"))
        .map(str::trim)
}

/// One response stream of a session call: it learns its stream from the first event id,
/// and when it is dropped before its end, the call gets [`GRACE`] to be resumed.
pub(super) struct Watch {
    streams: Arc<Streams>,
    session: SessionId,
    request_id: Value,
    stream: Option<u64>,
    done: bool,
}

impl Watch {
    /// Reads the stream's name from a chunk of the body, until it is known.
    pub(super) fn saw(&mut self, chunk: &[u8]) {
        if self.stream.is_some() {
            return;
        }
        let Some(stream) = event_id_in(chunk).and_then(stream_of) else {
            return;
        };
        self.stream = Some(stream);
        let mut calls = self.streams.lock();
        let call = calls
            .entry((self.session.clone(), stream))
            .or_insert_with(|| Call {
                request_id: self.request_id.clone(),
                open: 0,
            });
        call.open += 1;
    }

    /// The stream ended: the answer went out (or the call was cancelled), so nothing is left
    /// to watch.
    pub(super) fn finished(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(stream) = self.stream {
            self.streams.lock().remove(&(self.session.clone(), stream));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(stream) = self.stream else {
            // Gone before its first event: no event id was seen, so it cannot be resumed.
            let (streams, session) = (self.streams.clone(), self.session.clone());
            let request_id = self.request_id.take();
            spawn(async move { streams.cancel(&session, request_id).await });
            return;
        };
        let unwatched = {
            let mut calls = self.streams.lock();
            match calls.get_mut(&(self.session.clone(), stream)) {
                Some(call) => {
                    call.open = call.open.saturating_sub(1);
                    call.open == 0
                }
                None => false,
            }
        };
        if unwatched {
            self.streams.schedule_check(self.session.clone(), stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_name_their_stream() {
        assert_eq!(event_id_in(b"id: 0/7\nretry: 3000\ndata:\n\n"), Some("0/7"));
        assert_eq!(event_id_in(b"data: {}\nid:12/3\n\n"), Some("12/3"));
        assert_eq!(event_id_in(b"data: {}\n\n"), None);
        assert_eq!(stream_of("0/7"), Some(7));
        assert_eq!(stream_of("4"), None);
        assert_eq!(stream_of("a/b"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_resumed_within_the_grace_keeps_its_call_and_one_left_alone_loses_it() {
        let streams = Streams::new(Arc::default(), Duration::from_secs(5));
        let session: SessionId = "s".into();
        let mut first = streams.call(session.clone(), 1.into());
        first.saw(b"id: 0/4\nretry: 3000\n\n");
        drop(first);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut resumed = streams
            .resumed(session.clone(), "0/4")
            .expect("still in flight");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(streams.lock().contains_key(&(session.clone(), 4)), "kept");
        resumed.saw(b"id: 1/4\n\n");
        drop(resumed);
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(streams.lock().is_empty(), "cancelled and forgotten");
        assert!(streams.resumed(session.clone(), "1/4").is_none());
        // A stream that ends normally leaves nothing behind and cancels nothing.
        let mut done = streams.call(session, 2.into());
        done.saw(b"id: 0/5\n\n");
        done.finished();
        drop(done);
        assert!(streams.lock().is_empty());
    }
}
