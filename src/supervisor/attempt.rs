//! One routed call to one child (`complete`'s attempts, each `compare` entry, a judge): asked
//! of the child's breaker first, then forwarded, then measured into its health and breaker.

use rmcp::model::{CallToolResult, JsonObject};
use tokio::time::Instant;

use super::board::Ended;
use super::breaker::Admission;
use super::forward::{Caller, Failure, call_child};
use super::hub::Hub;
use super::router::{self, Miss};
use crate::client::ToolErrorMeta;

/// What became of one attempt.
pub enum Attempt {
    /// The breaker is open: the child was not called, for this reason (and a probe may go
    /// after `retry_in`).
    Skipped {
        /// Why.
        why: String,
        /// When a probe may go, while open.
        retry_in: Option<std::time::Duration>,
    },
    /// The child was called: its result, or why there is none.
    Called(Result<CallToolResult, Failure>),
}

/// Calls `tool` on `name` unless its breaker is open, and records how the call ended.
pub async fn attempt(
    hub: &Hub,
    name: &str,
    tool: &str,
    arguments: JsonObject,
    timeout_s: Option<f64>,
    caller: &Caller,
) -> Attempt {
    let policy = hub.config().routing.breaker;
    let probe = match hub.board().admit(name, &policy) {
        Admission::Skip { why, retry_in } => return Attempt::Skipped { why, retry_in },
        Admission::Probe => true,
        Admission::Pass => false,
    };
    // A probe whose future is dropped (the client went away) must not hold the half-open
    // breaker forever: the guard reports it abandoned unless the call ends normally.
    let mut guard = ProbeGuard {
        hub,
        name,
        armed: probe,
    };
    let started = Instant::now();
    let outcome = call_child(hub, name, tool, arguments, timeout_s, caller).await;
    guard.armed = false;
    if let Some(ended) = ended(name, &outcome) {
        hub.board()
            .record(name, &policy, probe, started.elapsed(), &ended);
    }
    Attempt::Called(outcome)
}

struct ProbeGuard<'a> {
    hub: &'a Hub,
    name: &'a str,
    armed: bool,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let policy = self.hub.config().routing.breaker;
            let zero = std::time::Duration::ZERO;
            (self.hub.board()).record(self.name, &policy, true, zero, &Ended::Abandoned);
        }
    }
}

/// What the fallback rule sees of a call: `None` when it answered, or when it failed in a way
/// the rule does not know (a protocol error, a name not configured, a cancellation).
pub fn miss(outcome: &Result<CallToolResult, Failure>) -> Option<Miss> {
    match outcome {
        Ok(result) => ToolErrorMeta::read(result).and_then(|meta| meta.kind.map(Miss::Failed)),
        Err(Failure::Crashed(_)) => Some(Miss::Crashed),
        Err(Failure::Unavailable(err)) => Some(Miss::Failed(err.kind)),
        Err(_) => None,
    }
}

/// How a call ended, for health and the breaker; `None` for a name that is not configured
/// (nothing was called).
fn ended(name: &str, outcome: &Result<CallToolResult, Failure>) -> Option<Ended> {
    let provider_failure = miss(outcome).is_some_and(router::moves_on);
    let (kind, message) = match outcome {
        Err(Failure::NotConfigured(_)) => return None,
        Err(Failure::Cancelled) => return Some(Ended::Abandoned),
        Ok(result) => match ToolErrorMeta::read(result) {
            None => return Some(Ended::Answered),
            Some(meta) => {
                let text = result.content.iter().find_map(|c| c.as_text());
                (meta.kind, text.map_or_else(String::new, |t| t.text.clone()))
            }
        },
        Err(Failure::Crashed(err) | Failure::Unavailable(err)) => {
            (Some(err.kind), err.render(name))
        }
        Err(Failure::Protocol(err)) => (None, format!("protocol error: {}", err.message)),
    };
    Some(Ended::Failed {
        kind,
        message,
        provider_failure,
    })
}
