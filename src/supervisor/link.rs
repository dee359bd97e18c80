//! The MCP client side of one child connection: how the supervisor introduces itself, and the
//! notifications it takes from the child (progress to forward upstream, a changed tool list).
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
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, Peer, RoleClient, RoleServer};
use tokio::sync::Notify;

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

/// The client handler of one child connection.
#[derive(Clone)]
pub struct ChildClient {
    /// Progress routes of this connection's calls in flight.
    pub routes: ProgressRoutes,
    /// Woken when the child says its tool list changed.
    pub tools_changed: Arc<Notify>,
}

impl ChildClient {
    /// A handler with no routes yet.
    pub fn new() -> Self {
        Self {
            routes: ProgressRoutes::default(),
            tools_changed: Arc::new(Notify::new()),
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

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("llm-mcp", env!("CARGO_PKG_VERSION")),
        )
    }
}
