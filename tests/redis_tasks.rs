//! `llm-mcp serve --listen --redis URL`: tasks kept in a real redis-server, so any replica
//! answers for a task another started: polled, fetched and cancelled through another one,
//! over real HTTP on 127.0.0.1. (Without Redis the tests say why and pass, as in redis.rs.)

use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{
    CancelTaskParams, ClientCapabilities, ClientConfig, DetailedTask, Implementation, TaskStatus,
};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};

use crate::redis::{redis, unique};
use crate::support::listener::Listener;
use crate::support::tasks::{self, Client, get};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// A client of the replica at `url` declaring the tasks extension (session lifecycle).
async fn client(url: &str) -> Client {
    let capabilities = ClientCapabilities::builder().enable_tasks().build();
    let info = ClientConfig::new(capabilities, Implementation::new("replica-test", "1"));
    let transport = StreamableHttpClientTransport::from_uri(url.to_string());
    info.serve(transport).await.unwrap()
}

/// A replica of `serve --listen` with children `fast` (answering after `fast_ms`) and `slow`
/// (never within a test), its tasks in `redis_url`, kept `ttl` seconds after they finish.
async fn replica(dir: &std::path::Path, redis_url: &str, fast_ms: u64, ttl: &str) -> Listener {
    let config = json!({"mcpServers": {
        "fast": {"command": MOCK, "args": ["--name", "fast", "--latency-ms", fast_ms.to_string()]},
        "slow": {"command": MOCK, "args": ["--name", "slow", "--latency-ms", "600000"]},
    }, "default": "fast"});
    let path = dir.join("llm-mcp.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        path.to_str().unwrap(),
        "--redis",
        redis_url,
        "--task-ttl",
        ttl,
    ];
    // A state directory of its own: nothing may be shared through a disk here.
    let state = dir.join(format!("state-{}", unique("r")));
    Listener::start(
        LLM_MCP,
        &args,
        &[("XDG_STATE_HOME", state.to_str().unwrap())],
    )
    .await
}

/// Starts `complete` as a task; its id.
async fn start(client: &Client, arguments: Value) -> String {
    tasks::start(client, "complete", arguments)
        .await
        .task
        .task_id
}

/// Polls `id` on `client` until it is terminal, at most `limit`.
async fn finished(client: &Client, id: &str, limit: Duration) -> DetailedTask {
    tasks::finished(client, id, limit, Duration::from_millis(100)).await
}

/// The record's output of a completed task.
fn output(task: &DetailedTask) -> String {
    tasks::output(&tasks::result(task))
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique("llm-mcp-redis-tasks"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_task_started_on_one_replica_is_polled_fetched_and_cancelled_on_another() {
    let Some(redis) = redis().await else { return };
    let dir = temp_dir();
    let a = replica(&dir, &redis.url, 1_500, "3600").await;
    let b = replica(&dir, &redis.url, 1_500, "3600").await;
    let (on_a, on_b) = (client(&a.url).await, client(&b.url).await);
    let id = start(&on_a, json!({"prompt": "started on A", "provider": "fast"})).await;
    // B knows the task while A runs it, then has its result.
    assert_eq!(get(&on_b, &id).await.unwrap().status(), TaskStatus::Working);
    let task = finished(&on_b, &id, Duration::from_secs(30)).await;
    assert_eq!(task.status(), TaskStatus::Completed, "{task:?}");
    assert!(output(&task).contains("started on A"), "{task:?}");
    assert_eq!(output(&get(&on_a, &id).await.unwrap()), output(&task));
    // Cancelled from B, a task A runs stops: A's runner sees the request at its next
    // heartbeat (2 s) and records the cancellation, which B then reads.
    let id = start(
        &on_a,
        json!({"prompt": "never answered", "provider": "slow"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(&on_b, &id).await.unwrap().status(), TaskStatus::Working);
    on_b.peer()
        .cancel_task(CancelTaskParams::new(id.clone()))
        .await
        .unwrap();
    let asked = Instant::now();
    let task = finished(&on_b, &id, Duration::from_secs(20)).await;
    assert_eq!(task.status(), TaskStatus::Cancelled, "{task:?}");
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(15), "noticed after {took:?}");
    assert_eq!(
        get(&on_a, &id).await.unwrap().status(),
        TaskStatus::Cancelled
    );
    // An id neither replica made is unknown to both.
    for client in [&on_a, &on_b] {
        let err = get(client, "0123456789abcdef0123456789abcdef")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown task"), "{err}");
    }
    on_a.cancel().await.unwrap();
    on_b.cancel().await.unwrap();
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--task-ttl 2`: a call running longer than the TTL is not failed for its age on either
/// replica, and its result is kept for the TTL counted from completion, in Redis with a
/// TTL of its own (nothing under the tasks' prefix lives forever).
#[tokio::test]
async fn a_shared_result_is_kept_its_ttl_from_completion() {
    let Some(redis) = redis().await else { return };
    let dir = temp_dir();
    let a = replica(&dir, &redis.url, 3_000, "2").await;
    let b = replica(&dir, &redis.url, 3_000, "2").await;
    let (on_a, on_b) = (client(&a.url).await, client(&b.url).await);
    let id = start(&on_a, json!({"prompt": "a long call"})).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        get(&on_b, &id).await.unwrap().status(),
        TaskStatus::Working,
        "older than its TTL and still working"
    );
    let task = finished(&on_b, &id, Duration::from_secs(30)).await;
    let done = Instant::now();
    assert!(output(&task).contains("a long call"), "{task:?}");
    let ttl = task.task.ttl_ms.unwrap();
    assert!(
        ttl >= 3_000 + 2_000,
        "the TTL on the wire covers the run: {ttl}"
    );
    let connection = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut connection = connection.get_multiplexed_async_connection().await.unwrap();
    let key = format!("llm-mcp:task:llm-mcp-serve:{id}");
    let left: i64 = ::redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        (1..=2_000).contains(&left),
        "the key lives its TTL: {left} ms"
    );
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("llm-mcp:task:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    for key in keys {
        let left: i64 = ::redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(left > 0, "{key} has no TTL ({left})");
    }
    assert_eq!(
        get(&on_a, &id).await.unwrap().status(),
        TaskStatus::Completed
    );
    tokio::time::sleep(Duration::from_millis(2_300).saturating_sub(done.elapsed())).await;
    for client in [&on_a, &on_b] {
        let err = get(client, &id).await.unwrap_err().to_string();
        assert!(err.contains("unknown task"), "{err}");
    }
    on_a.cancel().await.unwrap();
    on_b.cancel().await.unwrap();
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_task_dir_beside_redis_is_refused_at_start() {
    let Some(redis) = redis().await else { return };
    let args = ["serve", "--redis", &redis.url, "--task-dir", "/tmp/x"];
    let output = crate::support::command(LLM_MCP, &args, &[])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--task-dir /tmp/x and --redis"), "{stderr}");
}
