//! [`Supervisor`]: the MCP server `llm-mcp serve` speaks to its client. Its tools change as
//! children come and go, so `list_tools` and `call_tool` are written by hand rather than with
//! rmcp's tool macros.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CustomRequest, CustomResult,
    GetTaskParams, GetTaskResult, Implementation, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::child::Status;
use super::compare;
use super::forward::{self, call_child};
use super::hub::Hub;
use super::llm_tools;
use super::tool_defs::{self, ProviderInfo, ProviderList, RestartArgs};
use super::tool_index;
use crate::error::{ErrorKind, LlmError};
use crate::tasks::{Tasks, handler as tasks};
use crate::tool_result::json_result;

/// How long `restart` waits for the child to come back before answering with its state.
const RESTART_WAIT: Duration = Duration::from_secs(15);

/// The supervisor's MCP server.
#[derive(Clone)]
pub struct Supervisor {
    hub: Arc<Hub>,
    /// Where `complete` and `compare` run when a client asks for tasks.
    tasks: Option<Arc<Tasks>>,
}

/// The own tools that run as tasks for a client that declared the extension: the ones that
/// call models.
const TASK_TOOLS: &[&str] = &["complete", "compare"];

impl Supervisor {
    /// A server over `hub`'s children, keeping tasks in `tasks`.
    pub fn new(hub: Arc<Hub>, tasks: Option<Arc<Tasks>>) -> Self {
        Self { hub, tasks }
    }

    fn providers(&self) -> ProviderList {
        let providers = self
            .hub
            .statuses()
            .into_iter()
            .map(|(name, status)| info(&self.hub, name, &status))
            .collect();
        ProviderList { providers }
    }

    async fn restart(&self, arguments: rmcp::model::JsonObject) -> rmcp::model::CallToolResult {
        let args: RestartArgs = match serde_json::from_value(arguments.into()) {
            Ok(args) => args,
            Err(err) => {
                return LlmError::new(ErrorKind::BadRequest, format!("invalid arguments: {err}"))
                    .to_tool_result("llm-mcp");
            }
        };
        match self.hub.restart(&args.name, RESTART_WAIT).await {
            Some(status) => json_result(&info(&self.hub, args.name, &status)),
            None => LlmError::new(
                ErrorKind::BadRequest,
                format!("no server is named {:?}; see the providers tool", args.name),
            )
            .to_tool_result("llm-mcp"),
        }
    }

    /// `NAME__tool`: forwarded as it is; the child's own result or protocol error comes back.
    async fn passthrough(
        &self,
        name: &str,
        arguments: rmcp::model::JsonObject,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CallToolResult, ErrorData> {
        let config = self.hub.config();
        let Some((child, tool)) = tool_index::resolve(&self.hub.statuses(), &config, name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}; see tools/list"),
                None,
            ));
        };
        let timeout_s = arguments.get("timeout_s").and_then(|t| t.as_f64());
        let outcome = call_child(&self.hub, &child, &tool, arguments, timeout_s, ctx).await;
        forward::passthrough_answer(outcome, &child)
    }
}

/// One child as `providers` shows it: its health and breaker, and the tools its policy allows
/// only.
fn info(hub: &Hub, name: String, status: &Status) -> ProviderInfo {
    let (health, breaker) = hub.board().view(&name);
    let config = hub.config();
    let tools = status
        .live
        .as_ref()
        .map(|live| {
            tool_index::allowed(&config, &name, &live.tools)
                .map(|t| t.name.to_string())
                .collect()
        })
        .unwrap_or_default();
    ProviderInfo {
        name,
        state: status.state,
        pid: status.pid,
        restarts: status.restarts,
        last_exit: status.last_exit.clone(),
        tools,
        health,
        breaker,
    }
}

impl ServerHandler for Supervisor {
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
        Ok(ListToolsResult::with_all_items(self.hub.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Every branch that awaits is boxed. rmcp spawns a task per request holding this future,
        // and a task copies its future in and out by value: inline, `complete` and `compare`
        // (routing, fallback, judges) made every call, a passthrough too, copy that whole state
        // machine, a third of the supervisor's instructions per call (docs/performance.md).
        let arguments = request.arguments.unwrap_or_default();
        if let Some(tasks) =
            tasks::for_call(self.tasks.as_ref(), &request.name, TASK_TOOLS, &context)
        {
            let hub = self.hub.clone();
            let compare = request.name == "compare";
            return Box::pin(tasks.run(context, move |detached| async move {
                let result = match compare {
                    true => Box::pin(compare::compare(&hub, arguments, &detached)).await,
                    false => Box::pin(llm_tools::complete(&hub, arguments, &detached)).await,
                };
                Ok(result.into())
            }))
            .await;
        }
        let result = match request.name.as_ref() {
            "complete" => Box::pin(llm_tools::complete(&self.hub, arguments, &context)).await,
            "compare" => Box::pin(compare::compare(&self.hub, arguments, &context)).await,
            "providers" => json_result(&self.providers()),
            "restart" => Box::pin(self.restart(arguments)).await,
            "status" => {
                let config = self.hub.config();
                let budgets = self.hub.budgets().report(&config.budgets);
                let health = (self.hub.statuses().into_iter())
                    .map(|(name, _)| {
                        let (health, breaker) = self.hub.board().view(&name);
                        tool_defs::ChildHealth {
                            name,
                            health,
                            breaker,
                        }
                    })
                    .collect();
                json_result(&tool_defs::SupervisorStatus { budgets, health })
            }
            name => Box::pin(self.passthrough(name, arguments, &context)).await?,
        };
        Ok(result.into())
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        tasks::get(self.tasks.as_ref(), request).await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        tasks::cancel(self.tasks.as_ref(), request).await
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        tasks::update(self.tasks.as_ref(), request).await
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.hub.add_upstream(context.peer);
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(tasks::declare(capabilities, self.tasks.as_ref()))
            .with_server_info(Implementation::new("llm-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "LLM providers behind one server. Own tools: {}. Child tools the config exposes appear as NAME__tool.",
                tool_defs::OWN_TOOLS.join(", ")
            ))
    }
}
