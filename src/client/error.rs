//! [`ClientError`]: what can go wrong between an agent and a server, one variant per thing the
//! agent would do differently (fix the command, wait, retry elsewhere, read the provider's
//! error).

use std::time::Duration;

use rmcp::ServiceError;
use rmcp::model::CallToolResult;
use serde_json::Value;

use super::text::result_text;
use crate::error::ErrorKind;

/// A failed client operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's process could not be started (missing program, no permission).
    #[error("could not start {command}: {source}")]
    Spawn {
        /// The command line, as given.
        command: String,
        /// Why the operating system refused.
        #[source]
        source: std::io::Error,
    },
    /// The process started but did not complete the MCP handshake (it exited, wrote something
    /// that is not MCP, or did not answer in time).
    #[error(
        "{command} did not complete the MCP handshake: {reason}{}",
        stderr_suffix(stderr)
    )]
    Handshake {
        /// The command line, as given.
        command: String,
        /// What happened instead.
        reason: String,
        /// The last lines the server wrote on stderr, when they were captured.
        stderr: Vec<String>,
    },
    /// No answer within the timeout; the request was cancelled on the server.
    #[error("no answer to {what} within {}", super::text::seconds(*after))]
    Timeout {
        /// The request that timed out (`tools/call complete`, `tools/list`).
        what: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection ended before the answer came (the server exited or closed stdout).
    #[error(
        "the server closed the connection during {what}{}",
        stderr_suffix(stderr)
    )]
    Closed {
        /// The request that was waiting.
        what: String,
        /// The last lines the server wrote on stderr, when they were captured.
        stderr: Vec<String>,
    },
    /// A JSON-RPC error or an answer of the wrong shape (unknown tool, bad arguments).
    #[error("protocol error during {what}: {message}")]
    Protocol {
        /// The request that failed.
        what: String,
        /// The error as the server or rmcp stated it.
        message: String,
    },
    /// The tool ran and failed (`isError: true`): for our servers, a provider failure whose
    /// message starts with `[kind]`.
    #[error("{message}")]
    Tool {
        /// The error kind, from `_meta.kind` or the `[kind]` prefix; `None` for servers that
        /// give neither.
        kind: Option<ErrorKind>,
        /// The tool's error text.
        message: String,
        /// The servers the supervisor tried, in order (`_meta.tried`); empty for a backend.
        tried: Vec<String>,
    },
    /// The tool succeeded but its result is not a record.
    #[error("{tool} returned a result that is not a record: {reason}")]
    InvalidResult {
        /// The tool called.
        tool: String,
        /// What did not parse.
        reason: String,
    },
}

impl ClientError {
    /// The error kind of a tool error, if it has one.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Tool { kind, .. } => *kind,
            Self::Timeout { .. } => Some(ErrorKind::Timeout),
            _ => None,
        }
    }

    /// Whether sending the same request again (perhaps to a fresh server) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Tool { kind, .. } => kind.is_some_and(ErrorKind::is_retryable),
            Self::Timeout { .. } | Self::Closed { .. } => true,
            _ => false,
        }
    }

    /// The error a `ServiceError` from request `what` stands for.
    pub(crate) fn from_service(what: &str, err: ServiceError, stderr: Vec<String>) -> Self {
        let what = what.to_string();
        match err {
            ServiceError::Timeout { timeout } => Self::Timeout {
                what,
                after: timeout,
            },
            ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
                Self::Closed { what, stderr }
            }
            ServiceError::McpError(data) => Self::Protocol {
                what,
                message: format!("{} (JSON-RPC {})", data.message, data.code.0),
            },
            other => Self::Protocol {
                what,
                message: other.to_string(),
            },
        }
    }

    /// The error a tool result with `isError: true` stands for.
    pub(crate) fn from_tool_result(result: &CallToolResult) -> Self {
        let message = result_text(result);
        let meta = ToolErrorMeta::decode(result);
        let message = if message.is_empty() {
            "the tool failed without a message".to_string()
        } else {
            message
        };
        Self::Tool {
            kind: meta.kind,
            message,
            tried: meta.tried,
        }
    }
}

/// What a tool error says about itself: the inverse of [`crate::error::LlmError::to_tool_result`]
/// (its `_meta` and its `[kind]` text prefix), plus the `tried` list the supervisor adds. The
/// client, the supervisor's router and `compare` all read tool errors through this one type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolErrorMeta {
    /// `_meta.kind`, else the `[kind]` prefix of the text; `None` when neither names a kind.
    pub kind: Option<ErrorKind>,
    /// `_meta.provider`: the name the error was signed with.
    pub provider: Option<String>,
    /// `_meta.status`: the provider's HTTP status.
    pub status: Option<u16>,
    /// `_meta.retryable`: whether the same request may succeed later.
    pub retryable: Option<bool>,
    /// `_meta.retry_after_ms`: how long the provider asked to wait.
    pub retry_after: Option<Duration>,
    /// `_meta.tried`: the servers the supervisor tried, in order.
    pub tried: Vec<String>,
}

impl ToolErrorMeta {
    /// What `result` says about its failure; `None` when it is not an error (`isError` unset).
    pub fn read(result: &CallToolResult) -> Option<Self> {
        (result.is_error == Some(true)).then(|| Self::decode(result))
    }

    fn decode(result: &CallToolResult) -> Self {
        let field = |name: &str| result.meta.as_ref().and_then(|meta| meta.get(name));
        let text = result_text(result);
        let prefix_kind = text
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(kind, _)| ErrorKind::parse(kind));
        let meta_kind = field("kind")
            .and_then(Value::as_str)
            .and_then(ErrorKind::parse);
        Self {
            kind: meta_kind.or(prefix_kind),
            provider: field("provider")
                .and_then(Value::as_str)
                .map(str::to_string),
            status: field("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            retryable: field("retryable").and_then(Value::as_bool),
            retry_after: field("retry_after_ms")
                .and_then(Value::as_u64)
                .map(Duration::from_millis),
            tried: field("tried")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

fn stderr_suffix(lines: &[String]) -> String {
    const SHOWN: usize = 3;
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(SHOWN)..];
    format!(" (server stderr: {})", tail.join(" / "))
}

#[cfg(test)]
mod tests {
    use rmcp::model::{ContentBlock, MetaObject};
    use serde_json::json;

    use super::*;

    #[test]
    fn tool_errors_take_the_kind_from_meta_then_from_the_prefix() {
        let mut meta = MetaObject::new();
        meta.insert("kind".into(), json!("rate_limited"));
        let with_meta =
            CallToolResult::error(vec![ContentBlock::text("[auth] x: y")]).with_meta(Some(meta));
        let err = ClientError::from_tool_result(&with_meta);
        assert_eq!(err.kind(), Some(ErrorKind::RateLimited));
        assert!(err.is_retryable());

        let prefixed = CallToolResult::error(vec![ContentBlock::text("[auth] anthropic: no key")]);
        let err = ClientError::from_tool_result(&prefixed);
        assert_eq!(err.kind(), Some(ErrorKind::Auth));
        assert!(!err.is_retryable());
        assert_eq!(err.to_string(), "[auth] anthropic: no key");

        let plain = CallToolResult::error(vec![ContentBlock::text("[weird] something")]);
        assert_eq!(ClientError::from_tool_result(&plain).kind(), None);
        let empty = CallToolResult::error(vec![]);
        assert!(
            ClientError::from_tool_result(&empty)
                .to_string()
                .contains("without a message")
        );
    }

    #[test]
    fn the_meta_reader_inverts_to_tool_result() {
        use crate::error::LlmError;
        let error = LlmError::new(ErrorKind::RateLimited, "slow down")
            .with_status(429)
            .with_retry_after(Some(Duration::from_millis(1500)));
        let mut result = error.to_tool_result("anthropic");
        result
            .meta
            .as_mut()
            .unwrap()
            .insert("tried".into(), json!(["a", "anthropic"]));
        let meta = ToolErrorMeta::read(&result).unwrap();
        assert_eq!(
            meta,
            ToolErrorMeta {
                kind: Some(ErrorKind::RateLimited),
                provider: Some("anthropic".into()),
                status: Some(429),
                retryable: Some(true),
                retry_after: Some(Duration::from_millis(1500)),
                tried: vec!["a".into(), "anthropic".into()],
            }
        );
        assert_eq!(ToolErrorMeta::read(&CallToolResult::success(vec![])), None);
    }

    #[test]
    fn service_errors_map_to_their_variants() {
        let err = ClientError::from_service(
            "tools/list",
            ServiceError::Timeout {
                timeout: Duration::from_secs(3),
            },
            vec![],
        );
        assert_eq!(err.to_string(), "no answer to tools/list within 3 s");
        let closed = ClientError::from_service(
            "tools/call complete",
            ServiceError::TransportClosed,
            vec!["a".into(), "b".into(), "c".into(), "boom".into()],
        );
        assert_eq!(
            closed.to_string(),
            "the server closed the connection during tools/call complete (server stderr: b / c / boom)"
        );
    }
}
