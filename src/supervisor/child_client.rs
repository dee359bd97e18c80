//! The MCP client side of one child connection: connecting, listing tools, pinging, how the
//! supervisor introduces itself, the
//! notifications it takes from the child (progress to forward upstream, a changed tool list),
//! and the child's sampling requests (handed to [`super::sampling`]).
//!
//! Progress: a call forwarded to a child carries a child-side progress token chosen by rmcp.
//! [`ProgressRoutes`] maps it back to the upstream client's peer and token while the call is in
//! flight. rmcp handles each notification in its own task, so they can arrive out of order: a
//! route remembers the last value it forwarded and drops anything not larger.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProgressToken,
};
#[allow(deprecated)]
use rmcp::model::{CreateMessageRequestParams, CreateMessageResult};
use rmcp::service::{NotificationContext, RequestContext};
use std::time::Duration;

use rmcp::model::Tool;
use rmcp::service::RunningService;
use rmcp::{ClientHandler, ErrorData, Peer, RoleClient, RoleServer, ServiceExt};

use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::process;

/// Where one in-flight call's progress goes.
struct Route {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    last: f64,
}

/// Child-side progress token to upstream peer and token, for the calls in flight.
#[derive(Default, Clone)]
pub struct ProgressRoutes(Arc<Mutex<HashMap<ProgressToken, Route>>>);

/// Removes its route when the call ends, however it ends.
pub struct RouteGuard {
    routes: ProgressRoutes,
    token: ProgressToken,
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        self.routes.lock().remove(&self.token);
    }
}

impl ProgressRoutes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ProgressToken, Route>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends the child's progress for `child_token` to `peer` under `token` until the guard
    /// drops.
    pub fn add(
        &self,
        child_token: ProgressToken,
        peer: Peer<RoleServer>,
        token: ProgressToken,
    ) -> RouteGuard {
        let route = Route {
            peer,
            token,
            last: f64::NEG_INFINITY,
        };
        self.lock().insert(child_token.clone(), route);
        RouteGuard {
            routes: self.clone(),
            token: child_token,
        }
    }

    /// The rewritten notification and the peer to send it to, or `None` when the call is over
    /// or the value is stale.
    fn rewrite(
        &self,
        mut param: ProgressNotificationParam,
    ) -> Option<(Peer<RoleServer>, ProgressNotificationParam)> {
        let mut routes = self.lock();
        let route = routes.get_mut(&param.progress_token)?;
        if param.progress <= route.last {
            return None;
        }
        route.last = param.progress;
        param.progress_token = route.token.clone();
        Some((route.peer.clone(), param))
    }
}

/// Who answers the children's sampling requests: the hub, through [`super::sampling`]. A child
/// connection knows it only by this trait, so the connection does not depend on the hub that
/// holds it.
#[allow(deprecated)] // Sampling is deprecated by SEP-2577 in rmcp; children still use it.
pub trait SamplingAnswerer: Send + Sync {
    /// Answers the sampling request `params` of the child `child`; `ct` is cancelled when the
    /// child gives up.
    fn answer_sampling(
        &self,
        child: String,
        params: CreateMessageRequestParams,
        ct: CancellationToken,
    ) -> BoxFuture<'_, Result<CreateMessageResult, ErrorData>>;
}

/// The hub, once it exists: children are started while it is built, and their sampling
/// requests need it (weak, so a child's connection does not keep the hub alive).
pub type HubLink = Arc<std::sync::OnceLock<std::sync::Weak<dyn SamplingAnswerer>>>;

/// Where one child's sampling requests go.
#[derive(Clone)]
struct Sampler {
    child: String,
    hub: HubLink,
}

/// The client handler of one child connection.
#[derive(Clone)]
pub struct ChildClient {
    /// Progress routes of this connection's calls in flight.
    pub routes: ProgressRoutes,
    /// Woken when the child says its tool list changed.
    pub tools_changed: Arc<Notify>,
    /// Set when the child is offered sampling ([`super::sampling`]).
    sampler: Option<Sampler>,
}

impl ChildClient {
    /// A handler with no routes yet, offering no sampling.
    pub fn new() -> Self {
        Self {
            routes: ProgressRoutes::default(),
            tools_changed: Arc::new(Notify::new()),
            sampler: None,
        }
    }

    /// The handler of the child `child`, which declares sampling at initialize and answers its
    /// requests through `hub` when `offer` is set (the config's `sampling` is not `refuse`).
    pub fn for_child(child: &str, hub: HubLink, offer: bool) -> Self {
        Self {
            sampler: offer.then(|| Sampler {
                child: child.to_string(),
                hub,
            }),
            ..Self::new()
        }
    }
}

impl Default for ChildClient {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientHandler for ChildClient {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some((peer, param)) = self.routes.rewrite(params)
            && let Err(err) = peer.notify_progress(param).await
        {
            tracing::debug!(%err, "forwarding progress upstream failed");
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tools_changed.notify_one();
    }

    #[allow(deprecated)] // Sampling is deprecated by SEP-2577 in rmcp; children still use it.
    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let hub = (self.sampler.as_ref()).and_then(|s| {
            s.hub
                .get()
                .and_then(std::sync::Weak::upgrade)
                .map(|h| (s, h))
        });
        let Some((sampler, hub)) = hub else {
            return Err(ErrorData::new(
                rmcp::model::ErrorCode(-1),
                "sampling is not offered to this server",
                None,
            ));
        };
        (hub.answer_sampling(sampler.child.clone(), params, context.ct)).await
    }

    #[allow(deprecated)] // Sampling is deprecated by SEP-2577 in rmcp; children still use it.
    fn get_info(&self) -> ClientConfig {
        let capabilities = if self.sampler.is_some() {
            ClientCapabilities::builder().enable_sampling().build()
        } else {
            ClientCapabilities::default()
        };
        ClientConfig::new(
            capabilities,
            Implementation::new("llm-mcp", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// A connected child and the tools it listed.
pub struct Connected {
    /// The running client service.
    pub running: RunningService<RoleClient, ChildClient>,
    /// The tools it listed.
    pub tools: Vec<Tool>,
    /// The way past rmcp to it, for passthrough calls.
    pub bypass: crate::stdio::bypass::Bypass,
}

/// Initializes the child over `pipes` and lists its tools.
pub async fn connect(client: ChildClient, pipes: process::Pipes) -> Result<Connected, String> {
    // An answer over the line bound fails its call at once instead of being dropped.
    let (stdout, stdin) = pipes;
    let pipe = crate::stdio::ServerPipe::new(stdout, stdin);
    let bypass = pipe.bypass();
    let running = client
        .serve(pipe)
        .await
        .map_err(|err| format!("initialize failed: {err}"))?;
    let tools = running
        .peer()
        .list_all_tools()
        .await
        .map_err(|err| format!("tools/list failed: {err}"))?;
    Ok(Connected {
        running,
        tools,
        bypass,
    })
}

/// Lists the child's tools again, at most `limit`.
pub async fn list_tools(peer: &Peer<RoleClient>, limit: Duration) -> Result<Vec<Tool>, String> {
    match tokio::time::timeout(limit, peer.list_all_tools()).await {
        Ok(Ok(tools)) => Ok(tools),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("tools/list timed out".into()),
    }
}

/// Pings every `interval`; returns only when a ping fails or goes unanswered for `timeout`.
pub async fn ping_until_failure(
    peer: &Peer<RoleClient>,
    interval: Duration,
    timeout: Duration,
) -> String {
    use rmcp::model::{ClientRequest, PingRequest};
    use rmcp::service::PeerRequestOptions;
    loop {
        tokio::time::sleep(interval).await;
        let request = ClientRequest::PingRequest(PingRequest::default());
        let sent = peer
            .send_request_with_option(request, PeerRequestOptions::with_timeout(timeout))
            .await;
        let answer = match sent {
            Ok(handle) => handle.await_response().await,
            Err(err) => Err(err),
        };
        if let Err(err) = answer {
            return format!("stopped answering pings ({err})");
        }
    }
}
