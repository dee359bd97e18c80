//! Sending one `tools/call` to a child on behalf of the upstream client: found by name among
//! the hub's children, under a timeout, with the client's progress routed back under its own
//! token, and the client's cancellation passed on to the child under the child-side request id.
//! `NAME__tool` passthrough, `complete` and `compare` all forward through [`call_child`].

use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotificationParam,
    ClientRequest, JsonObject, ProgressToken, ServerResult,
};
use rmcp::service::{PeerRequestOptions, RequestContext, ServiceError};
use rmcp::{ErrorData, Peer, RoleClient, RoleServer};
use tokio_util::sync::CancellationToken;

use tokio::time::Instant;

use super::child::Live;
use super::child_client::ProgressRoutes;
use super::hub::Hub;
use crate::error::{ErrorKind, LlmError};
use crate::limits::RateLimiter;
use crate::progress::HEARTBEAT;

/// Why a forwarded call produced no tool result.
#[derive(Debug)]
pub enum Failure {
    /// The child answered a JSON-RPC error (unknown tool, bad arguments): a protocol fault to
    /// pass on as it is.
    Protocol(ErrorData),
    /// The child could not answer: not ready, too slow, or it answered something that is
    /// not a tool result.
    Unavailable(LlmError),
    /// The child process stopped during the call (it is being restarted).
    Crashed(LlmError),
    /// No child has the name asked for: the caller has to fix the call.
    NotConfigured(LlmError),
    /// The upstream client cancelled the call.
    Cancelled,
}

impl Failure {
    /// The failure as an `LlmError`, for callers that need a tool error (rendered with the
    /// child's name).
    pub fn into_error(self) -> LlmError {
        match self {
            Self::Protocol(err) => LlmError::new(
                ErrorKind::BadRequest,
                format!("the server refused the call: {}", err.message),
            ),
            Self::Unavailable(err) | Self::Crashed(err) | Self::NotConfigured(err) => err,
            Self::Cancelled => LlmError::new(ErrorKind::Cancelled, "the call was cancelled"),
        }
    }
}

/// Who a forwarded call is made for: where its progress goes (the upstream client's peer and
/// token, if it asked for progress) and the token that cancels it. An upstream `tools/call`
/// gives both; a child's sampling request answered by the supervisor has only its own
/// cancellation.
#[derive(Clone)]
pub struct Caller {
    /// The upstream peer and its progress token.
    pub progress: Option<(Peer<RoleServer>, ProgressToken)>,
    /// Cancelled when the caller gives up.
    pub ct: CancellationToken,
}

impl From<&RequestContext<RoleServer>> for Caller {
    fn from(ctx: &RequestContext<RoleServer>) -> Self {
        Self {
            progress: (ctx.meta.get_progress_token()).map(|token| (ctx.peer.clone(), token)),
            ct: ctx.ct.clone(),
        }
    }
}

impl From<&Caller> for Caller {
    fn from(caller: &Caller) -> Self {
        caller.clone()
    }
}

/// An `[unreachable]` error for a child that is not ready.
fn not_ready(state: &str) -> Failure {
    Failure::Unavailable(LlmError::new(
        ErrorKind::Unreachable,
        format!("the server is not ready (state {state}); see the providers tool"),
    ))
}

/// Calls `tool` on the child `name`, or says why it cannot: a `[bad_request]` for a name
/// that is not configured (the caller has to fix it), `[unreachable]` for a child that is not
/// ready. `timeout_s` is the call's own limit, capped by the health policy.
pub async fn call_child(
    hub: &Hub,
    name: &str,
    tool: &str,
    arguments: JsonObject,
    timeout_s: Option<f64>,
    ctx: impl Into<Caller>,
) -> Result<CallToolResult, Failure> {
    let ctx = &ctx.into();
    let Some(status) = hub.status(name) else {
        let configured: Vec<String> = hub.statuses().into_iter().map(|(n, _)| n).collect();
        return Err(Failure::NotConfigured(LlmError::new(
            ErrorKind::BadRequest,
            format!(
                "no server is named {name:?}; configured: {}",
                configured.join(", ")
            ),
        )));
    };
    let Some(live) = status.live else {
        let state = serde_json::to_value(status.state).unwrap_or_default();
        return Err(not_ready(state.as_str().unwrap_or("unknown")));
    };
    let timeout = hub.config().health.call_timeout(timeout_s);
    let Some(limiter) = hub.rate_limiter(name) else {
        return call(&live, tool, Some(arguments), timeout, ctx).await;
    };
    let deadline = Instant::now() + timeout;
    wait_turn(&limiter, deadline, ctx)
        .await
        .map_err(|err| match err.kind {
            ErrorKind::Cancelled => Failure::Cancelled,
            _ => Failure::Unavailable(err.with_provider(name)),
        })?;
    let left = deadline.saturating_duration_since(Instant::now());
    let result = call(&live, tool, Some(arguments), left, ctx).await;
    if let Ok(result) = &result {
        limiter.charge(tokens_used(result)).await;
    }
    result
}

/// Waits the call's turn under the child's `rate_limit`, with heartbeats to a client that
/// asked for progress, and gives up when the client cancels.
async fn wait_turn(limiter: &RateLimiter, deadline: Instant, ctx: &Caller) -> Result<(), LlmError> {
    let started = Instant::now();
    let mut progress =
        (ctx.progress.clone()).map(|(peer, token)| crate::progress::Progress::new(peer, token));
    let admitted = limiter.admit(deadline);
    tokio::pin!(admitted);
    let mut heartbeat = tokio::time::interval_at(started + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            admitted = &mut admitted => return admitted,
            _ = ctx.ct.cancelled() => {
                return Err(LlmError::new(ErrorKind::Cancelled, "the call was cancelled"));
            }
            _ = heartbeat.tick() => {
                if let Some(progress) = &mut progress {
                    progress.heartbeat(started.elapsed()).await;
                }
            }
        }
    }
}

/// The tokens a child's record says the call used (none for an error or another tool).
fn tokens_used(result: &CallToolResult) -> u64 {
    (result.structured_content.as_ref())
        .and_then(|record| record.get("tokens_used"))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// Calls `tool` on the child connected as `live` with `arguments`, waiting at most
/// `timeout`.
async fn call(
    live: &Live,
    tool: &str,
    arguments: Option<JsonObject>,
    timeout: Duration,
    ctx: &Caller,
) -> Result<CallToolResult, Failure> {
    call_peer(&live.peer, &live.routes, tool, arguments, timeout, ctx).await
}

/// Calls `tool` with `arguments` on the server behind `peer` (a child, or the shared
/// supervisor `llm-mcp connect` relays to), waiting at most `timeout`, with the client's
/// progress routed back through `routes` and its cancellation passed on.
pub(crate) async fn call_peer(
    peer: &Peer<RoleClient>,
    routes: &ProgressRoutes,
    tool: &str,
    arguments: Option<JsonObject>,
    timeout: Duration,
    ctx: &Caller,
) -> Result<CallToolResult, Failure> {
    let mut params = CallToolRequestParams::new(tool.to_string());
    params.arguments = arguments;
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    let mut options = PeerRequestOptions::with_timeout(timeout);
    if ctx.progress.is_none() {
        // The child would stream for rmcp's own token: say there is no one to tell.
        let mut meta = rmcp::model::RequestMetaObject::default();
        meta.insert(crate::progress::NO_PROGRESS_META.into(), true.into());
        options.meta = Some(meta);
    }
    let handle = peer
        .send_request_with_option(request, options)
        .await
        .map_err(|err| gone(&err.to_string()))?;
    let _route = ctx
        .progress
        .clone()
        .map(|(upstream, token)| routes.add(handle.progress_token.clone(), upstream, token));
    let (id, peer) = (handle.id.clone(), handle.peer.clone());
    tokio::select! {
        answer = handle.await_response() => match answer {
            Ok(result) => tool_result(result),
            Err(ServiceError::McpError(err)) => Err(Failure::Protocol(err)),
            Err(ServiceError::Timeout { timeout }) => Err(timed_out(timeout)),
            Err(err) => Err(gone(&err.to_string())),
        },
        _ = ctx.ct.cancelled() => {
            let notice = CancelledNotificationParam::new(
                Some(id),
                Some("cancelled by the client".into()),
            );
            let _ = peer.notify_cancelled(notice).await;
            Err(Failure::Cancelled)
        }
    }
}

/// A child's answer to `tools/call`: a tool result, or an `[invalid_response]`.
pub fn tool_result(answer: ServerResult) -> Result<CallToolResult, Failure> {
    match answer {
        ServerResult::CallToolResult(result) => Ok(result),
        _ => Err(not_a_tool_result()),
    }
}

/// An `[invalid_response]`: the child answered `tools/call` with something else.
pub fn not_a_tool_result() -> Failure {
    Failure::Unavailable(LlmError::new(
        ErrorKind::InvalidResponse,
        "the server answered tools/call with something other than a tool result",
    ))
}

/// No answer within `timeout`.
pub fn timed_out(timeout: Duration) -> Failure {
    Failure::Unavailable(LlmError::new(
        ErrorKind::Timeout,
        format!(
            "the server did not answer within {:.0} s",
            timeout.as_secs_f64()
        ),
    ))
}

/// The child went away before answering (`why`: how that showed).
pub fn gone(why: &str) -> Failure {
    Failure::Crashed(LlmError::new(
        ErrorKind::Upstream,
        format!("the server stopped during the call ({why}); it is being restarted"),
    ))
}

/// What a `NAME__tool` passthrough answers its client for `outcome` from the child `child`:
/// the child's own result or protocol error, else a tool error naming the child.
pub fn passthrough_answer(
    outcome: Result<CallToolResult, Failure>,
    child: &str,
) -> Result<CallToolResult, ErrorData> {
    match outcome {
        Ok(result) => Ok(result),
        Err(Failure::Protocol(err)) => Err(err),
        Err(failure) => Ok(failure.into_error().to_tool_result(child)),
    }
}
