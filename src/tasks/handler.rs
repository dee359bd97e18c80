//! The `tasks/*` methods and the task decision, as a server's `ServerHandler` uses them: the
//! backends' `crate::server::LlmServer` and the supervisor share these.

use std::sync::Arc;

use rmcp::model::{
    CancelTaskParams, GetTaskParams, GetTaskResult, ServerCapabilities, UpdateTaskParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::manager::{Tasks, wanted};

/// The tasks to run this call in, when it should run as a task: the server keeps tasks, the
/// tool is one of `tools` (the long ones), and the client declared the extension.
pub fn for_call<'a>(
    tasks: Option<&'a Arc<Tasks>>,
    tool: &str,
    tools: &[&str],
    context: &RequestContext<RoleServer>,
) -> Option<&'a Arc<Tasks>> {
    tasks.filter(|_| tools.contains(&tool) && wanted(context))
}

/// `capabilities` with the tasks extension declared when the server keeps tasks.
pub fn declare(
    mut capabilities: ServerCapabilities,
    tasks: Option<&Arc<Tasks>>,
) -> ServerCapabilities {
    if tasks.is_some() {
        (capabilities.extensions.get_or_insert_default()).insert(
            rmcp::model::TASKS_EXTENSION_ID.to_string(),
            Default::default(),
        );
    }
    capabilities
}

fn none() -> ErrorData {
    ErrorData::method_not_found::<rmcp::model::GetTaskMethod>()
}

/// `tasks/get`.
pub async fn get(
    tasks: Option<&Arc<Tasks>>,
    params: GetTaskParams,
) -> Result<GetTaskResult, ErrorData> {
    tasks.ok_or_else(none)?.get(&params.task_id).await
}

/// `tasks/cancel`.
pub async fn cancel(tasks: Option<&Arc<Tasks>>, params: CancelTaskParams) -> Result<(), ErrorData> {
    tasks.ok_or_else(none)?.cancel(&params.task_id).await
}

/// `tasks/update`: these tasks never ask for input, so there is nothing to deliver; the
/// task must exist (the spec ignores responses to unknown requests, not unknown tasks).
pub async fn update(tasks: Option<&Arc<Tasks>>, params: UpdateTaskParams) -> Result<(), ErrorData> {
    tasks
        .ok_or_else(none)?
        .get(&params.task_id)
        .await
        .map(|_| ())
}
