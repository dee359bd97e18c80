//! Requests written to a server's stdin past rmcp, each answered by the line the server
//! wrote: the supervisor's `NAME__tool` passthrough calls, which need neither rmcp's task per
//! request nor its typed parse of the answer (docs/performance.md).
//!
//! Their ids are strings `"bypass-N"`; rmcp numbers its own requests, so the two never meet.
//! Each call has a deadline, kept by one timer task per server that sleeps until the earliest
//! and is woken only when a call comes due sooner than that (with one timeout for every call,
//! once per timeout at most). What waits is bounded by the callers' own bound on requests in
//! flight ([`super::MAX_IN_FLIGHT`]).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::plain_answer::PlainAnswer;

/// What became of a call.
pub enum Outcome<'a> {
    /// The server answered plainly: a tool result or an error to pass on as it is.
    Plain(PlainAnswer<'a>),
    /// The server answered otherwise: its whole line, newline excluded.
    Answered(&'a [u8]),
    /// No answer came within the call's timeout (the server was told to cancel it).
    TimedOut(Duration),
    /// The server's output ended first: it stopped.
    Gone,
}

/// Who is told what became of a call; told once, unless the call is cancelled first.
pub trait Waiter: Send {
    /// Takes the outcome (called with no lock held).
    fn done(self: Box<Self>, outcome: Outcome<'_>);
}

/// A call sent, for cancelling it.
pub struct Ticket {
    bypass: Weak<Inner>,
    call: u64,
}

impl Ticket {
    /// Forgets the call and tells the server to cancel it; its waiter is never told.
    pub fn cancel(&self, reason: &str) {
        if let Some(inner) = self.bypass.upgrade() {
            inner.forget(self.call);
            let _ = inner.lines.try_send(cancel_line(self.call, reason));
        }
    }
}

/// One server's calls past rmcp: the way to its stdin, and the calls waiting for answers.
#[derive(Clone)]
pub struct Bypass {
    inner: Arc<Inner>,
}

struct Inner {
    /// Lines for the server's stdin (the same queue rmcp's messages take).
    lines: mpsc::Sender<Vec<u8>>,
    calls: Mutex<Calls>,
    /// Wakes the timer: a call came due before the time it sleeps until, or the server went.
    rearm: Arc<Notify>,
}

#[derive(Default)]
struct Calls {
    waiting: HashMap<u64, Call>,
    deadlines: BTreeSet<(Instant, u64)>,
    /// When the timer wakes next (`None`: it waits to be woken).
    armed: Option<Instant>,
    next: u64,
    /// The server's output ended: no call is taken any more.
    gone: bool,
}

struct Call {
    deadline: Instant,
    timeout: Duration,
    waiter: Box<dyn Waiter>,
}

impl Bypass {
    /// Calls whose lines go to `lines` (must be called inside the runtime: it starts the
    /// timer task).
    pub fn new(lines: mpsc::Sender<Vec<u8>>) -> Self {
        let rearm = Arc::new(Notify::new());
        let inner = Arc::new(Inner {
            lines,
            calls: Mutex::default(),
            rearm: Arc::clone(&rearm),
        });
        tokio::spawn(keep_time(Arc::downgrade(&inner), rearm));
        Self { inner }
    }

    /// Sends the request `line(id)` makes for a fresh id (a JSON string), to be answered
    /// within `timeout`; `None`, with nothing sent, when the server is gone or its stdin's
    /// queue is full (the caller then takes rmcp's way, which waits for room).
    pub fn send(
        &self,
        line: impl FnOnce(&str) -> Vec<u8>,
        timeout: Duration,
        waiter: Box<dyn Waiter>,
    ) -> Option<Ticket> {
        let permit = self.inner.lines.try_reserve().ok()?;
        let deadline = Instant::now() + timeout;
        let call = {
            let mut calls = self.inner.calls.lock().expect("calls lock");
            if calls.gone {
                return None;
            }
            let call = calls.next;
            calls.next += 1;
            calls.waiting.insert(
                call,
                Call {
                    deadline,
                    timeout,
                    waiter,
                },
            );
            calls.deadlines.insert((deadline, call));
            if calls.armed.is_none_or(|armed| deadline < armed) {
                calls.armed = Some(deadline);
                self.inner.rearm.notify_one();
            }
            call
        };
        permit.send(line(&format!("\"bypass-{call}\"")));
        Some(Ticket {
            bypass: Arc::downgrade(&self.inner),
            call,
        })
    }

    /// Takes `line` if it answers one of these calls (telling its waiter); `false` for any
    /// other line, which is rmcp's. A plain answer is parsed once, here.
    pub fn claim(&self, line: &[u8]) -> bool {
        let plain = PlainAnswer::read(line);
        let Some(id) = plain
            .as_ref()
            .map(PlainAnswer::id)
            .or_else(|| answer_id(line))
        else {
            return false;
        };
        let Some(call) = call_of(id) else {
            return false;
        };
        let call = self.inner.forget(call);
        if let Some(call) = call {
            call.waiter.done(match plain {
                Some(plain) => Outcome::Plain(plain),
                None => Outcome::Answered(line),
            });
        }
        // An answer to a call cancelled or timed out is dropped, as rmcp drops one.
        true
    }

    /// The server's output ended: every call waiting is told, and none is taken any more.
    pub fn gone(&self) {
        let waiting = {
            let mut calls = self.inner.calls.lock().expect("calls lock");
            calls.gone = true;
            calls.deadlines.clear();
            std::mem::take(&mut calls.waiting)
        };
        self.inner.rearm.notify_one();
        for (_, call) in waiting {
            call.waiter.done(Outcome::Gone);
        }
    }
}

impl Inner {
    /// Removes a call, if it still waits.
    fn forget(&self, call: u64) -> Option<Call> {
        let mut calls = self.calls.lock().expect("calls lock");
        let removed = calls.waiting.remove(&call)?;
        calls.deadlines.remove(&(removed.deadline, call));
        Some(removed)
    }

    /// Removes the calls due by `now`; when the timer should wake next.
    fn expire(&self, now: Instant) -> (Vec<(u64, Call)>, Option<Instant>) {
        let mut calls = self.calls.lock().expect("calls lock");
        let mut expired = Vec::new();
        while let Some(&(deadline, call)) = calls.deadlines.first() {
            if deadline > now {
                break;
            }
            calls.deadlines.pop_first();
            if let Some(entry) = calls.waiting.remove(&call) {
                expired.push((call, entry));
            }
        }
        let next = calls.deadlines.first().map(|&(deadline, _)| deadline);
        calls.armed = next;
        (expired, next)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The timer holds only a weak reference: wake it so that it sees this and ends.
        self.rearm.notify_one();
    }
}

/// The timer: tells each call that comes due, and the server to cancel it.
async fn keep_time(inner: Weak<Inner>, rearm: Arc<Notify>) {
    loop {
        let woken = rearm.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let next = {
            let Some(inner) = inner.upgrade() else { return };
            let (expired, next) = inner.expire(Instant::now());
            for (call, entry) in expired {
                let _ = inner.lines.try_send(cancel_line(call, "request timeout"));
                entry.waiter.done(Outcome::TimedOut(entry.timeout));
            }
            next
        };
        match next {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = woken => {}
                }
            }
            None => woken.await,
        }
    }
}

/// The call an id names, if it is one of ours.
/// The id of `line` if it is an answer (a message with an id and no method).
fn answer_id(line: &[u8]) -> Option<&RawValue> {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
        method: Option<IgnoredAny>,
    }
    let head = serde_json::from_slice::<Head>(line).ok()?;
    head.method.is_none().then_some(head.id).flatten()
}

fn call_of(id: &RawValue) -> Option<u64> {
    let id: Cow<str> = serde_json::from_str(id.get()).ok()?;
    let digits = id.strip_prefix("bypass-")?;
    let call: u64 = digits.parse().ok()?;
    // Only the spelling this side wrote ("bypass-07" or "bypass-+7" is someone else's).
    (call.to_string() == digits).then_some(call)
}

/// The notification cancelling `call`.
fn cancel_line(call: u64, reason: &str) -> Vec<u8> {
    let note = serde_json::json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": format!("bypass-{call}"), "reason": reason},
    });
    let mut line = note.to_string().into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests;
