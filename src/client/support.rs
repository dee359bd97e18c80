//! The mechanics under [`super::LlmClient`]: naming a command, cancelling an abandoned
//! request, reading a record, explaining a failed handshake.

use rmcp::model::{CallToolResult, RequestId};
use rmcp::{Peer, RoleClient};

use super::ClientError;
use super::error::result_text;
use crate::completion::Record;

/// Seconds for messages: `30 s`, `0.5 s`.
pub(crate) fn seconds(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// A command line for messages: the program and its arguments (never its environment, which
/// may hold keys).
pub fn command_line(command: &tokio::process::Command) -> String {
    let std = command.as_std();
    std::iter::once(std.get_program())
        .chain(std.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends `notifications/cancelled` for a request whose caller stopped waiting (its future was
/// dropped), so the server stops spending tokens on an answer nobody will read.
pub(crate) struct CancelOnDrop {
    pub(crate) peer: Peer<RoleClient>,
    pub(crate) id: Option<RequestId>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let peer = self.peer.clone();
        runtime.spawn(async move {
            let param = rmcp::model::CancelledNotificationParam::new(
                Some(id),
                Some("the caller stopped waiting".into()),
            );
            let _ = peer.notify_cancelled(param).await;
        });
    }
}

/// Why the handshake failed, in words: a server that exits early shows up as a broken pipe or
/// a closed connection, which says less than "it exited".
pub(crate) fn handshake_reason(err: rmcp::service::ClientInitializeError) -> String {
    use rmcp::service::ClientInitializeError as E;
    match err {
        E::ConnectionClosed(_) | E::TransportError { .. } => {
            "it exited or closed its stdout before answering initialize".into()
        }
        E::JsonRpcError(data) => format!("initialize was refused: {}", data.message),
        other => other.to_string(),
    }
}

/// The record in a tool result: `structuredContent`, else the JSON text content.
pub(crate) fn parse_record(tool: &str, result: &CallToolResult) -> Result<Record, ClientError> {
    let invalid = |reason: String| ClientError::InvalidResult {
        tool: tool.to_string(),
        reason,
    };
    match &result.structured_content {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string())),
        None => {
            let text = result_text(result);
            serde_json::from_str(&text).map_err(|e| invalid(format!("{e} in {:.80}", text)))
        }
    }
}
