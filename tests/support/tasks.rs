//! Driving MCP tasks from a test client: start a call as a task, poll it, read its result.

use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientConfig, CreateTaskResult,
    DetailedTask, GetTaskParams, TaskPayload,
};
use rmcp::service::{RunningService, ServiceError};
use serde_json::Value;

/// A client that declared the tasks extension.
pub type Client = RunningService<RoleClient, ClientConfig>;

/// Calls `tool` with `arguments`, which must start a task; what the server answered.
pub async fn start(client: &Client, tool: &str, arguments: Value) -> CreateTaskResult {
    let params = CallToolRequestParams::new(tool.to_string())
        .with_arguments(arguments.as_object().unwrap().clone());
    match client.call_tool_once(params).await.unwrap() {
        CallToolResponse::Task(created) => created,
        other => panic!("expected a task, got {other:?}"),
    }
}

/// The task `id` as `client`'s server reports it.
pub async fn get(client: &Client, id: &str) -> Result<DetailedTask, ServiceError> {
    let got = client.peer().get_task(GetTaskParams::new(id.to_string()));
    Ok(got.await?.task)
}

/// Polls `id` every `every` until it is terminal, at most `limit`.
pub async fn finished(client: &Client, id: &str, limit: Duration, every: Duration) -> DetailedTask {
    let deadline = Instant::now() + limit;
    loop {
        let task = get(client, id).await.unwrap();
        if task.status().is_terminal() {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "task {id} still {:?}",
            task.status()
        );
        tokio::time::sleep(every).await;
    }
}

/// The tool result a completed task holds.
pub fn result(task: &DetailedTask) -> CallToolResult {
    match &task.payload {
        TaskPayload::Completed { result } => {
            serde_json::from_value(Value::Object(result.clone())).unwrap()
        }
        other => panic!("expected a completed task, got {other:?}"),
    }
}

/// The `output` of the record a tool result holds.
pub fn output(result: &CallToolResult) -> String {
    let record = result.structured_content.as_ref().expect("a record");
    record["output"].as_str().unwrap().to_string()
}
