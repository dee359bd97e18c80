//! `--redis URL`: replicas of a backend hold one rate limit, their buckets in a real
//! redis-server on 127.0.0.1.
//!
//! The server is `$LLM_MCP_TEST_REDIS_URL` when set (.ci/run starts one), else one this test
//! starts when `redis-server` is on PATH (Debian package `redis-server`). Without either the
//! tests say why and pass, unless `LLM_MCP_TEST_REDIS=required` (as .ci/run sets), where a
//! skip is a failure.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{self, McpProcess, closed_port};

pub(crate) const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// A Redis for one test: the one given, or one started here (killed on drop).
pub(crate) struct Redis {
    /// `redis://127.0.0.1:PORT`.
    pub url: String,
    _own: Option<tokio::process::Child>,
}

impl Redis {
    /// Stops a redis-server this test started (and waits until it has exited).
    pub async fn stop(&mut self) {
        let mut own = self._own.take().expect("a redis-server of the test's own");
        own.kill().await.unwrap();
    }
}

pub(crate) async fn redis() -> Option<Redis> {
    if let Ok(url) = std::env::var("LLM_MCP_TEST_REDIS_URL") {
        return Some(Redis { url, _own: None });
    }
    own_redis(None).await
}

/// A redis-server of this test's own (to be stopped mid-test), requiring `password` when
/// given, when `redis-server` is on PATH; without it the test says why and passes, unless a
/// Redis is required.
pub(crate) async fn own_redis(password: Option<&str>) -> Option<Redis> {
    let required = std::env::var("LLM_MCP_TEST_REDIS").is_ok_and(|v| v == "required");
    let port = closed_port();
    let started = tokio::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no"])
        .args(password.map(|p| ["--requirepass", p]).into_iter().flatten())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match started {
        Ok(child) => child,
        Err(err) => {
            let why = format!(
                "redis test skipped: no redis-server to start ({err}); \
                 install the Debian package redis-server, or run .ci/run"
            );
            assert!(!required, "{why}");
            eprintln!("{why}");
            return None;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "redis-server never listened on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let auth = password.map(|p| format!(":{p}@")).unwrap_or_default();
    Some(Redis {
        url: format!("redis://{auth}127.0.0.1:{port}"),
        _own: Some(child),
    })
}

/// A unique limit name per test run, so an old bucket in a shared Redis never counts.
pub(crate) fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

async fn replica(name: &str, limit: &str, url: &str) -> McpProcess {
    support::start(
        MOCK,
        &["--name", name, "--rate-limit", limit, "--redis", url],
        &[],
    )
    .await
}

#[tokio::test]
async fn two_replicas_hold_one_shared_limit() {
    let Some(redis) = redis().await else { return };
    let name = unique("shared");
    let mut first = replica(&name, "2", &redis.url).await;
    let mut second = replica(&name, "2", &redis.url).await;
    for n in 0..2 {
        let prompt = format!("first replica, call {n}");
        let result = first.call("complete", json!({"prompt": prompt})).await;
        assert_eq!(result.record()["output"], json!(prompt));
    }
    // The second replica made no call, yet the budget of both is spent.
    let started = Instant::now();
    let result = second
        .call(
            "complete",
            json!({"prompt": "second replica", "timeout_s": 5}),
        )
        .await;
    let text = result.expect_error("rate_limited");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it failed at once"
    );
    assert!(text.contains("2 requests per minute"), "{text}");
    let retry_after = result.meta()["retry_after_ms"].as_u64().unwrap();
    assert!(
        (25_000..=30_000).contains(&retry_after),
        "the shared bucket's next turn is about 30 s away: {retry_after} ms"
    );
    // Another name is another limit.
    let mut other = replica(&unique("other"), "2", &redis.url).await;
    let result = other
        .call("complete", json!({"prompt": "own budget"}))
        .await;
    assert_eq!(result.record()["output"], json!("own budget"));
    for server in [first, second, other] {
        server.shutdown(support::EXIT_GRACE).await;
    }
}

#[tokio::test]
async fn a_call_that_may_wait_waits_for_the_shared_turn() {
    let Some(redis) = redis().await else { return };
    let name = unique("wait");
    // 60 a minute: after a burst of 60 on the first replica, the second waits about 1 s.
    let mut first = replica(&name, "60", &redis.url).await;
    let mut second = replica(&name, "60", &redis.url).await;
    for n in 0..60 {
        let result = first
            .call("complete", json!({"prompt": format!("{n}")}))
            .await;
        assert!(!result.is_error(), "call {n}: {}", result.text());
    }
    let started = Instant::now();
    let result = second
        .call("complete", json!({"prompt": "in line", "timeout_s": 10}))
        .await;
    assert_eq!(result.record()["output"], json!("in line"));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "it waited for the shared bucket to refill: {waited:?}"
    );
    for server in [first, second] {
        server.shutdown(support::EXIT_GRACE).await;
    }
}

#[tokio::test]
async fn an_unreachable_redis_stops_the_backend_at_start_without_its_password() {
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}", closed_port());
    let output = support::command(MOCK, &["--rate-limit", "2", "--redis", &url], &[])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
}

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

/// A supervisor config in a fresh directory: one mock child `name` with `rate_limit`.
fn serve_config(name: &str, rate_limit: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique("llm-mcp-redis-serve"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = json!({
        "mcpServers": {name: {"command": MOCK, "args": ["--name", name], "rate_limit": rate_limit}},
        "default": name,
    });
    let path = dir.join("llm-mcp.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// `llm-mcp serve --redis URL` on stdio with the config at `path`, its tasks in a directory
/// of its own (so only Redis is shared between replicas).
async fn serve_replica(path: &std::path::Path, url: &str) -> McpProcess {
    let path = path.to_str().unwrap();
    support::start(LLM_MCP, &["serve", "--config", path, "--redis", url], &[]).await
}

#[tokio::test]
async fn two_serve_replicas_hold_one_child_rate_limit() {
    let Some(redis) = redis().await else { return };
    let name = unique("m").replace('-', "_");
    let path = serve_config(&name, "2");
    let mut first = serve_replica(&path, &redis.url).await;
    let mut second = serve_replica(&path, &redis.url).await;
    for n in 0..2 {
        let prompt = format!("first replica, call {n}");
        let result = first.call("complete", json!({"prompt": prompt})).await;
        assert_eq!(result.record()["output"], json!(prompt), "{}", result.0);
    }
    // Each replica has its own child, but the child's limit is one: spent by the first.
    let started = Instant::now();
    for tool in ["complete", &format!("{name}__complete")] {
        let result = second
            .call(tool, json!({"prompt": "second replica", "timeout_s": 5}))
            .await;
        let text = result.expect_error("rate_limited");
        let expected = format!("over the rate_limit of mcpServers.{name} of 2 requests per minute");
        assert!(text.contains(&expected), "{tool}: {text}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "it failed at once"
    );
    // A backend's own --rate-limit of the same name is another bucket.
    let mut backend = replica(&name, "2", &redis.url).await;
    let result = backend.call("complete", json!({"prompt": "own"})).await;
    assert_eq!(result.record()["output"], json!("own"));
    for server in [first, second, backend] {
        server.shutdown(support::EXIT_GRACE).await;
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn serve_stops_at_start_when_redis_cannot_be_reached_without_its_password() {
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}", closed_port());
    let path = serve_config("m", "2");
    let args = ["serve", "--config", path.to_str().unwrap(), "--redis", &url];
    let output = support::command(LLM_MCP, &args, &[])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--redis redis://:***@127.0.0.1"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
    // Nor does --help show it when it comes from the environment.
    for (binary, args) in [(LLM_MCP, &["serve", "--help"][..]), (MOCK, &["--help"][..])] {
        let output = support::command(binary, args, &[("LLM_MCP_REDIS", &url)])
            .output()
            .await
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("--redis"), "{args:?}: {help}");
        assert!(
            !help.contains("hunter2"),
            "{args:?}: the password leaked: {help}"
        );
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
