//! Calls run as MCP tasks (the `io.modelcontextprotocol/tasks` extension), end to end: real
//! binaries over stdio, driven by rmcp's client declaring the extension.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, ClientCapabilities, ClientConfig,
    DetailedTask, Implementation, TaskStatus,
};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

use crate::support::command;
use crate::support::tasks::{self, Client, get, output, result};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("llm-mcp-tasks-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client of `binary args`, declaring the tasks extension when `tasks`.
async fn client(binary: &str, args: &[&str], tasks: bool) -> Client {
    let capabilities = match tasks {
        true => ClientCapabilities::builder().enable_tasks().build(),
        false => ClientCapabilities::default(),
    };
    let info = ClientConfig::new(capabilities, Implementation::new("tasks-test", "1"));
    let transport = TokioChildProcess::new(command(binary, args, &[])).unwrap();
    info.serve(transport).await.unwrap()
}

/// A mock backend keeping its tasks in `dir`, answering after `latency_ms`.
async fn mock(dir: &Path, latency_ms: u64, extra: &[&str]) -> Client {
    let latency = latency_ms.to_string();
    let mut args = vec![
        "--latency-ms",
        &latency,
        "--task-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    client(MOCK, &args, true).await
}

/// Starts `tool` as a task, which is working and kept while it runs; its id.
async fn start(client: &Client, tool: &str, arguments: Value) -> String {
    let created = tasks::start(client, tool, arguments).await;
    assert_eq!(created.task.status, TaskStatus::Working);
    assert_eq!(
        created.task.ttl_ms, None,
        "a working task is kept while it runs"
    );
    created.task.task_id
}

/// Polls `id` until it is terminal (20 s at most).
async fn finished(client: &Client, id: &str) -> DetailedTask {
    tasks::finished(
        client,
        id,
        Duration::from_secs(20),
        Duration::from_millis(50),
    )
    .await
}

#[tokio::test]
async fn a_complete_call_runs_as_a_task_that_is_polled_and_fetched() {
    let dir = temp_dir("poll");
    let server = mock(&dir, 300, &[]).await;
    let info = server.peer_info().unwrap();
    assert!(info.capabilities.supports_tasks(), "{info:?}");
    let started = Instant::now();
    let id = start(&server, "complete", json!({"prompt": "hello tasks"})).await;
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the task answers at once"
    );
    assert_eq!(
        get(&server, &id).await.unwrap().status(),
        TaskStatus::Working
    );
    let task = finished(&server, &id).await;
    assert_eq!(task.status(), TaskStatus::Completed);
    let result = result(&task);
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert!(output(&result).contains("hello tasks"), "{result:?}");
    assert!(
        task.task.ttl_ms.is_some(),
        "a finished task says when it goes"
    );
    // The task is a file in the task directory, and nothing else is left beside it.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec![format!("{id}.json")]);
    server.cancel().await.unwrap();
}

#[tokio::test]
async fn chat_runs_as_a_task_and_unknown_ids_are_refused() {
    let dir = temp_dir("chat");
    let server = mock(&dir, 0, &[]).await;
    let messages = json!([{"role": "user", "content": "a chat turn"}]);
    let id = start(&server, "chat", json!({"messages": messages})).await;
    let task = finished(&server, &id).await;
    assert!(output(&result(&task)).contains("a chat turn"));
    for bad in ["0123456789abcdef0123456789abcdef", "../../etc/passwd"] {
        let err = get(&server, bad).await.unwrap_err().to_string();
        assert!(err.contains("unknown task"), "{err}");
    }
    // Quick tools are never tasks.
    let params = CallToolRequestParams::new("list_models");
    let answer = server.call_tool_once(params).await.unwrap();
    assert!(
        matches!(answer, CallToolResponse::Complete(_)),
        "{answer:?}"
    );
    server.cancel().await.unwrap();
}

#[tokio::test]
async fn a_client_without_the_extension_gets_a_plain_result() {
    let dir = temp_dir("plain");
    let latency = "0";
    let args = ["--latency-ms", latency, "--task-dir", dir.to_str().unwrap()];
    let server = client(MOCK, &args, false).await;
    let params = CallToolRequestParams::new("complete")
        .with_arguments(json!({"prompt": "plain"}).as_object().unwrap().clone());
    let answer = server.call_tool_once(params).await.unwrap();
    assert!(
        matches!(answer, CallToolResponse::Complete(_)),
        "{answer:?}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no task was stored"
    );
    server.cancel().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_task_stops_and_says_cancelled() {
    let dir = temp_dir("cancel");
    let server = mock(&dir, 30_000, &[]).await;
    let id = start(&server, "complete", json!({"prompt": "never answered"})).await;
    let cancel = CancelTaskParams::new(id.clone());
    server.peer().cancel_task(cancel).await.unwrap();
    let started = Instant::now();
    let task = finished(&server, &id).await;
    assert_eq!(task.status(), TaskStatus::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Cancelling a finished task changes nothing.
    let again = CancelTaskParams::new(id.clone());
    server.peer().cancel_task(again).await.unwrap();
    assert_eq!(
        get(&server, &id).await.unwrap().status(),
        TaskStatus::Cancelled
    );
    server.cancel().await.unwrap();
}

#[tokio::test]
async fn a_finished_result_survives_a_restart_of_the_server() {
    let dir = temp_dir("restart");
    let first = mock(&dir, 100, &[]).await;
    let id = start(&first, "complete", json!({"prompt": "kept on disk"})).await;
    let before = result(&finished(&first, &id).await);
    first.cancel().await.unwrap();
    // A new process with the same directory answers for it.
    let second = mock(&dir, 0, &[]).await;
    let task = get(&second, &id).await.unwrap();
    assert_eq!(task.status(), TaskStatus::Completed);
    assert_eq!(output(&result(&task)), output(&before));
    second.cancel().await.unwrap();
}

/// `--task-ttl 1`: a call running three times longer than the TTL is not failed for its age
/// (rmcp's in-memory manager would fail it), and its result is kept for the TTL counted from
/// when it finished, then dropped.
#[tokio::test]
async fn the_ttl_counts_from_completion_so_a_long_call_is_never_failed_by_its_age() {
    let dir = temp_dir("ttl");
    let server = mock(&dir, 3_000, &["--task-ttl", "1"]).await;
    let id = start(&server, "complete", json!({"prompt": "a long call"})).await;
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let task = get(&server, &id).await.unwrap();
    assert_eq!(
        task.status(),
        TaskStatus::Working,
        "two TTLs old and still working"
    );
    let task = finished(&server, &id).await;
    let done = Instant::now();
    assert_eq!(task.status(), TaskStatus::Completed, "{task:?}");
    assert!(output(&result(&task)).contains("a long call"));
    let ttl = task.task.ttl_ms.unwrap();
    assert!(
        ttl >= 3_000 + 1_000,
        "the TTL on the wire covers the run: {ttl}"
    );
    // Within the TTL after completion: still there.
    assert_eq!(
        get(&server, &id).await.unwrap().status(),
        TaskStatus::Completed
    );
    tokio::time::sleep(Duration::from_millis(1_200).saturating_sub(done.elapsed())).await;
    let err = get(&server, &id).await.unwrap_err().to_string();
    assert!(err.contains("unknown task"), "{err}");
    assert!(
        !dir.join(format!("{id}.json")).exists(),
        "the expired task is deleted"
    );
    server.cancel().await.unwrap();
}

#[tokio::test]
async fn a_bad_task_ttl_stops_the_server_at_start() {
    let output = command(MOCK, &["--task-ttl", "0"], &[])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--task-ttl 0"), "{stderr}");
}

#[tokio::test]
async fn the_supervisor_runs_complete_and_compare_as_tasks() {
    let dir = temp_dir("serve");
    let config = json!({"mcpServers": {
        "a": {"command": MOCK, "args": ["--name", "a", "--latency-ms", "200"]},
        "b": {"command": MOCK, "args": ["--name", "b", "--latency-ms", "200"]},
    }});
    let path = dir.join("servers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let tasks = dir.join("tasks");
    let args = [
        "serve",
        "--config",
        path.to_str().unwrap(),
        "--task-dir",
        tasks.to_str().unwrap(),
    ];
    let serve = client(LLM_MCP, &args, true).await;
    let id = start(
        &serve,
        "complete",
        json!({"prompt": "routed", "provider": "b"}),
    )
    .await;
    let record = result(&finished(&serve, &id).await);
    assert_eq!(record.structured_content.as_ref().unwrap()["provider"], "b");
    let id = start(
        &serve,
        "compare",
        json!({"prompt": "both", "providers": ["a", "b"]}),
    )
    .await;
    let compared = result(&finished(&serve, &id).await);
    let text = serde_json::to_string(&compared.structured_content).unwrap();
    assert!(text.contains("\"a\"") && text.contains("\"b\""), "{text}");
    assert_eq!(std::fs::read_dir(&tasks).unwrap().count(), 2);
    serve.cancel().await.unwrap();
}
