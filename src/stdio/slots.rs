//! The in-flight slot of a request whose handler panicked.
//!
//! rmcp runs each request's handler in a task of its own and sends its answer when it
//! returns; a handler that panics sends none, so the client would wait forever and the
//! request would keep one of the [`super::MAX_IN_FLIGHT`] slots for the rest of the session.
//! The transport puts a [`SlotGuard`] in each request's extensions, which rmcp hands to the
//! handler in its context: when the last copy is dropped while the thread unwinds from a
//! panic, the request is reported abandoned, and the transport frees its slot and answers it
//! with an error. A guard dropped any other way (the handler returned: rmcp sends the answer
//! right after) does nothing.

use std::sync::{Arc, Mutex};

use rmcp::model::RequestId;
use tokio::sync::Notify;

/// Requests whose handler panicked, not yet answered by the transport.
pub struct Abandoned {
    requests: Mutex<Vec<(RequestId, u64)>>,
    /// Wakes the transport's `receive`, which may be waiting on stdin or for room.
    wake: Arc<Notify>,
}

impl Abandoned {
    /// None yet; `wake` is told of each.
    pub fn new(wake: Arc<Notify>) -> Self {
        Self {
            requests: Mutex::default(),
            wake,
        }
    }

    /// Takes the abandoned requests: each id with the serial of the slot it held.
    pub fn take(&self) -> Vec<(RequestId, u64)> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, id: RequestId, serial: u64) {
        (self.requests.lock().unwrap_or_else(|e| e.into_inner())).push((id, serial));
        self.wake.notify_one();
    }
}

/// Held by a request's handler (in its context's extensions); see the module documentation.
#[derive(Clone)]
pub struct SlotGuard {
    _slot: Arc<Slot>,
}

impl SlotGuard {
    /// A guard for the slot `serial` of request `id`.
    pub fn new(id: RequestId, serial: u64, abandoned: Arc<Abandoned>) -> Self {
        let slot = Slot {
            id,
            serial,
            abandoned,
        };
        Self {
            _slot: Arc::new(slot),
        }
    }
}

/// The slot itself: the serial tells it from a later request that reuses the id.
pub struct Slot {
    id: RequestId,
    serial: u64,
    abandoned: Arc<Abandoned>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.abandoned.push(self.id.clone(), self.serial);
        }
    }
}
