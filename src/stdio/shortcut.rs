//! A way past rmcp for some of a client's requests: a [`Shortcut`] (the supervisor's
//! passthrough, src/supervisor/express.rs) takes a `tools/call` line that asks for no
//! progress, sends it on itself, and hands back the answer as the line to write.
//!
//! The transport keeps such a request in flight as it keeps rmcp's (the same bounds, the same
//! duplicate-id check), writes its answer through the same bounded queue, and cancels it when
//! the client does or the session ends. Everything else, and whatever the shortcut declines,
//! takes rmcp's way.

use std::borrow::Cow;

use rmcp::model::{CallToolRequestMethod, JsonRpcVersion2_0, RequestId};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub use super::bypass::Ticket;

/// Takes some requests before rmcp sees them.
pub trait Shortcut: Send + Sync {
    /// Takes `call` if it can (sending its answer through `reply` later, exactly once
    /// unless the ticket is cancelled); `None` leaves it to rmcp.
    fn take(&self, call: &CallLine<'_>, reply: Reply) -> Option<Ticket>;
}

/// A `tools/call` request that asks for no progress and holds nothing but its name, its
/// arguments (an object) and a `_meta` without a progress token.
pub struct CallLine<'a> {
    /// The request's id.
    pub id: RequestId,
    /// The tool's name.
    pub name: Cow<'a, str>,
    /// Its arguments as written, if any.
    pub arguments: Option<&'a RawValue>,
    /// The arguments' `timeout_s`, when it is a number.
    pub timeout_s: Option<f64>,
}

impl<'a> CallLine<'a> {
    /// `line` (without its newline) read as such a request; `None` for any other line.
    pub fn read(line: &'a [u8]) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Request<'a> {
            #[serde(rename = "jsonrpc")]
            _jsonrpc: JsonRpcVersion2_0,
            id: RequestId,
            #[serde(rename = "method")]
            _method: CallToolRequestMethod,
            #[serde(borrow)]
            params: Params<'a>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Params<'a> {
            #[serde(borrow)]
            name: Cow<'a, str>,
            #[serde(borrow, default)]
            arguments: Option<&'a RawValue>,
            #[serde(rename = "_meta", default)]
            meta: Option<Meta>,
        }
        #[derive(Deserialize)]
        struct Meta {
            #[serde(rename = "progressToken")]
            progress_token: Option<IgnoredAny>,
        }
        #[derive(Deserialize)]
        struct Arguments<'a> {
            #[serde(borrow)]
            timeout_s: Option<&'a RawValue>,
        }
        // UTF-8 checked once, whole (cheaper than `from_slice`'s checks string by string).
        let request: Request = serde_json::from_str(std::str::from_utf8(line).ok()?).ok()?;
        // The arguments go to the server as written: they must decode.
        if !super::surrogates::strings_decode(line) {
            return None;
        }
        let params = request.params;
        if params
            .meta
            .is_some_and(|meta| meta.progress_token.is_some())
        {
            return None;
        }
        let arguments = match params.arguments {
            Some(raw) if raw.get() == "null" => None,
            Some(raw) if !raw.get().starts_with('{') => return None,
            other => other,
        };
        let timeout_s = match arguments {
            // Read a second time only when `timeout_s` may be there: spelled out, or with
            // `\u` escapes, which could spell it.
            Some(raw) if raw.get().contains("timeout_s") || raw.get().contains("\\u") => {
                (serde_json::from_str::<Arguments>(raw.get()).ok()?.timeout_s)
                    .and_then(|t| serde_json::from_str::<f64>(t.get()).ok())
            }
            _ => None,
        };
        Some(Self {
            id: request.id,
            name: params.name,
            arguments,
            timeout_s,
        })
    }
}

/// Where a taken request's answer goes.
pub struct Reply {
    id: RequestId,
    serial: u64,
    relays: Arc<Relays>,
}

/// Answers on their way back to the transport: at most one per request in flight, so
/// bounded by [`super::MAX_IN_FLIGHT`].
pub(super) struct Relays {
    answers: Mutex<Vec<Relayed>>,
    /// Wakes the transport's reader.
    wake: Arc<Notify>,
}

/// One answer.
pub(super) struct Relayed {
    pub id: RequestId,
    pub serial: u64,
    pub line: Vec<u8>,
}

impl Relays {
    /// None yet; `wake` is told of each.
    pub fn new(wake: Arc<Notify>) -> Self {
        Self {
            answers: Mutex::default(),
            wake,
        }
    }

    /// The answers that came back since the last call.
    pub fn take(&self) -> Vec<Relayed> {
        std::mem::take(&mut *self.answers.lock().expect("relays lock"))
    }
}

impl Reply {
    /// A reply to the request `id`, in flight as `serial`.
    pub(super) fn new(id: RequestId, serial: u64, relays: Arc<Relays>) -> Self {
        Self { id, serial, relays }
    }

    /// The request's id (the answer must carry it).
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// Sends the answer: one JSON-RPC message, newline included.
    pub fn send(self, line: Vec<u8>) {
        let relayed = Relayed {
            id: self.id,
            serial: self.serial,
            line,
        };
        self.relays
            .answers
            .lock()
            .expect("relays lock")
            .push(relayed);
        self.relays.wake.notify_one();
    }
}

#[cfg(test)]
mod tests;
