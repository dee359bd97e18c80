//! The stdio side of `llm-mcp connect`: an MCP server whose tools are the shared
//! supervisor's, each call forwarded to it with its progress and cancellation, and its
//! `tools/list_changed` passed on.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, ServerPeerInfo,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Peer, RoleClient, RoleServer, ServerHandler, ServiceExt};
use tokio::sync::Notify;

use super::start::Upstream;
use crate::supervisor::child_client::ProgressRoutes;
use crate::supervisor::forward::{Caller, Failure, call_peer};

/// A relayed call waits this long at most; the supervisor's own timeouts end it sooner.
const CALL_LIMIT: Duration = Duration::from_secs(3600);

/// The relay's MCP server.
#[derive(Clone)]
struct Relay {
    peer: Peer<RoleClient>,
    routes: ProgressRoutes,
    /// What the supervisor says of itself, shown to this client as it is.
    info: Option<Arc<ServerPeerInfo>>,
}

impl ServerHandler for Relay {
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(crate::misfit::answer(&request))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = (self.peer.list_all_tools().await).map_err(|err| {
            ErrorData::internal_error(format!("the shared llm-mcp serve: {err}"), None)
        })?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let called = call_peer(
            &self.peer,
            &self.routes,
            &name,
            request.arguments,
            CALL_LIMIT,
            &Caller::from(&context),
        )
        .await;
        match called {
            Ok(result) => Ok(result.into()),
            Err(Failure::Protocol(err)) => Err(err),
            Err(failure) => Ok(failure
                .into_error()
                .to_tool_result("llm-mcp connect")
                .into()),
        }
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let mut config = ServerConfig::new(capabilities);
        if let Some(upstream) = self.info.as_deref() {
            if let Some(server) = &upstream.server_info {
                config = config.with_server_info(server.clone());
            }
            if let Some(instructions) = &upstream.instructions {
                config = config.with_instructions(instructions.clone());
            }
        }
        config
    }
}

/// Serves the relay to `upstream` on stdin/stdout until the client closes stdin.
pub(crate) async fn serve(upstream: Upstream) -> Result<(), String> {
    let routes = upstream.service().routes.clone();
    let changed: Arc<Notify> = upstream.service().tools_changed.clone();
    let relay = Relay {
        peer: upstream.peer().clone(),
        routes,
        info: upstream.peer_info(),
    };
    let running = relay
        .serve(crate::stdio::stdio())
        .await
        .map_err(|err| format!("the client did not initialize: {err}"))?;
    let downstream = running.peer().clone();
    let forward = tokio::spawn(async move {
        loop {
            changed.notified().await;
            if downstream.notify_tool_list_changed().await.is_err() {
                return;
            }
        }
    });
    let _ = running.waiting().await;
    forward.abort();
    let _ = upstream.cancel().await;
    Ok(())
}
