//! Streamable HTTP (`--listen`) end to end: real binaries listening on 127.0.0.1 (or on every
//! address, reached through loopback), spoken to by rmcp's own HTTP client in both lifecycles
//! and by raw requests for what a well-behaved client never sends.

use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use serde_json::{Value, json};

use crate::support::listener::{
    Listener, Progress, call_body, connect, initialize_body, post, raw_session, sse_messages,
    stateless_call,
};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");
const TOKEN: &str = "test-token-0123456789abcdef";
/// How long a test waits for a call it started to be in flight on the server: generous, since
/// a loaded 2-core machine can take a second to carry a request over loopback.
const IN_FLIGHT: Duration = Duration::from_secs(2);

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// The mock listening on a free loopback port, with `flags`.
async fn mock_listening(flags: &[&str]) -> Listener {
    let args: Vec<&str> = ["--listen", "127.0.0.1:0"]
        .iter()
        .chain(flags)
        .copied()
        .collect();
    Listener::start(MOCK, &args, &[]).await
}

/// Calls `tool` and returns its structured result (or the error text).
async fn call(client: &RunningService<RoleClient, Progress>, tool: &str, args: Value) -> Value {
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments(args)))
        .await
        .unwrap();
    match result.structured_content {
        Some(value) => value,
        None => serde_json::to_value(&result.content).unwrap(),
    }
}

/// The mock's call counters, read through a fresh stateless client.
async fn counters(url: &str) -> (u64, u64) {
    let client = connect(url, None, true).await.unwrap();
    let status = call(&client, "status", json!({})).await;
    (
        status["calls"].as_u64().unwrap(),
        status["errors"].as_u64().unwrap(),
    )
}

/// Waits until the counters read `want`, at most `limit`; the time it took.
async fn counters_reach(url: &str, want: (u64, u64), limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let now = counters(url).await;
        if now == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "counters {now:?}, wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn both_lifecycles_call_and_get_progress_on_their_stream() {
    let server = mock_listening(&["--latency-ms", "300"]).await;
    for stateless in [false, true] {
        let client = connect(&server.url, None, stateless).await.unwrap();
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "complete"), "{tools:?}");
        let record = call(&client, "complete", json!({"prompt": "alpha beta gamma"})).await;
        assert_eq!(
            record["output"], "alpha beta gamma",
            "stateless {stateless}"
        );
        let progress = client.service().0.lock().unwrap().clone();
        let words: Vec<String> = progress.iter().filter_map(|p| p.message.clone()).collect();
        assert!(
            words.join(" ").contains("alpha") && words.join(" ").contains("gamma"),
            "stateless {stateless}: {progress:?}"
        );
        client.cancel().await.unwrap();
    }
    // The session lifecycle hands out a session; the stateless one does not.
    let http = reqwest::Client::new();
    let session = post(&http, &server.url, &initialize_body(1))
        .send()
        .await
        .unwrap();
    assert!(session.headers().contains_key("mcp-session-id"));
    let stateless = stateless_call(&http, &server.url, 2, "complete", json!({"prompt": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stateless.status(), 200);
    assert!(!stateless.headers().contains_key("mcp-session-id"));
    let messages = sse_messages(&stateless.text().await.unwrap());
    let response = messages
        .iter()
        .find(|m| m["id"] == 2)
        .expect("the response");
    assert_eq!(response["result"]["structuredContent"]["output"], "hi");
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/progress"),
        "progress on the response stream: {messages:?}"
    );
}

#[tokio::test]
async fn off_loopback_a_bearer_token_is_required_and_checked() {
    // No token: refused at start, before anything listens.
    let output = crate::support::command(MOCK, &["--listen", "0.0.0.0:0"], &[])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--auth-token-env"), "{stderr}");

    let args = ["--listen", "0.0.0.0:0", "--auth-token-env", "LISTEN_TOKEN"];
    let server = Listener::start(MOCK, &args, &[("LISTEN_TOKEN", TOKEN)]).await;
    let http = reqwest::Client::new();
    for auth in [None, Some("Bearer wrong-token-0123456789abcd"), Some(TOKEN)] {
        let mut request = post(&http, &server.url, &initialize_body(1));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{auth:?}");
        assert!(response.headers().contains_key("www-authenticate"));
    }
    assert!(connect(&server.url, None, false).await.is_err());
    for stateless in [false, true] {
        let client = connect(&server.url, Some(TOKEN), stateless).await.unwrap();
        let record = call(&client, "complete", json!({"prompt": "let me in"})).await;
        assert_eq!(record["output"], "let me in");
        client.cancel().await.unwrap();
    }
    assert!(!server.stderr().contains(TOKEN), "{}", server.stderr());
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_local_or_allowed_ones_pass() {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--allow-origin",
        "https://app.example.com:443",
    ];
    let server = Listener::start(MOCK, &args, &[]).await;
    let http = reqwest::Client::new();
    for (origin, status) in [
        ("http://evil.example", 403),
        ("http://127.0.0.1.evil.example:8080", 403),
        ("https://app.example.com:8443", 403),
        ("http://localhost:6274", 200),
        ("https://app.example.com", 200),
    ] {
        let response = post(&http, &server.url, &initialize_body(1))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{origin}");
    }
    // A page on a rebound DNS name reaches 127.0.0.1 with its own name as Host.
    let response = post(&http, &server.url, &initialize_body(1))
        .header("host", "rebound.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn bodies_are_bounded_and_only_mcp_is_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = mock_listening(&[]).await;
    // A body announced over the limit is refused before it is sent (the answer comes at
    // once; a client still writing would see its connection closed, so raw TCP here).
    let authority = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n{{",
        17 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let http = reqwest::Client::new();
    let elsewhere = server.url.replace("/mcp", "/other");
    let response = post(&http, &elsewhere, &initialize_body(1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_stateless_call_whose_client_disconnects_is_cancelled_at_once() {
    let server = mock_listening(&["--latency-ms", "60000"]).await;
    let http = reqwest::Client::new();
    let mut response = stateless_call(&http, &server.url, 5, "complete", json!({"prompt": "slow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The call is running (its stream is open); then the client goes away.
    let _ = tokio::time::timeout(Duration::from_millis(500), response.chunk()).await;
    assert_eq!(counters(&server.url).await, (0, 0));
    drop(response);
    let took = counters_reach(&server.url, (1, 1), Duration::from_secs(3)).await;
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_session_call_whose_client_disconnects_is_cancelled_after_the_resume_grace() {
    let server = mock_listening(&["--latency-ms", "60000"]).await;
    let http = reqwest::Client::new();
    let session = raw_session(&http, &server.url).await;
    let mut response = post(
        &http,
        &server.url,
        &call_body(7, "complete", json!({"prompt": "slow"})),
    )
    .header("mcp-session-id", &session)
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    // The first event names the stream (rmcp's priming event): read it, then go away.
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("id:"), "{first:?}");
    drop(response);
    let dropped = Instant::now();
    // Within the grace the call keeps running, in case the client resumes its stream.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(counters(&server.url).await, (0, 0));
    counters_reach(&server.url, (1, 1), Duration::from_secs(10)).await;
    assert!(
        dropped.elapsed() >= Duration::from_secs(5),
        "{:?}",
        dropped.elapsed()
    );
}

#[tokio::test]
async fn shutdown_lets_calls_in_flight_finish_within_the_drain_bound() {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--latency-ms",
        "6000",
        "--drain-timeout",
        "20",
    ];
    let mut server = Listener::start(MOCK, &args, &[]).await;
    let client = connect(&server.url, None, false).await.unwrap();
    let finishing =
        tokio::spawn(
            async move { call(&client, "complete", json!({"prompt": "finish me"})).await },
        );
    // Long enough for the call to be in flight on a loaded machine, well inside its latency.
    tokio::time::sleep(IN_FLIGHT).await;
    let terminated = Instant::now();
    server.terminate();
    let record = finishing.await.unwrap();
    assert_eq!(record["output"], "finish me");
    assert!(server.exited_within(Duration::from_secs(10)).await);
    assert!(terminated.elapsed() < Duration::from_secs(10));
    // New connections are refused once it has stopped listening.
    let http = reqwest::Client::new();
    assert!(
        post(&http, &server.url, &initialize_body(1))
            .send()
            .await
            .is_err()
    );

    // A call longer than the bound is cut at the bound.
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--latency-ms",
        "60000",
        "--drain-timeout",
        "1",
    ];
    let mut server = Listener::start(MOCK, &args, &[]).await;
    let client = connect(&server.url, None, false).await.unwrap();
    tokio::spawn(async move {
        let _ = call(&client, "complete", json!({"prompt": "too slow"})).await;
    });
    tokio::time::sleep(IN_FLIGHT).await;
    let terminated = Instant::now();
    server.terminate();
    assert!(
        server.exited_within(Duration::from_secs(8)).await,
        "{}",
        server.stderr()
    );
    let took = terminated.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(
        server.stderr().contains("still running"),
        "{}",
        server.stderr()
    );
}

#[tokio::test]
async fn the_supervisor_serves_many_clients_over_http() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-remote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    let config = json!({"mcpServers": {"m": {"command": MOCK, "args": ["--name", "m"]}}});
    std::fs::write(&path, config.to_string()).unwrap();
    let args = [
        "serve",
        "--config",
        path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ];
    let server = Listener::start(LLM_MCP, &args, &[]).await;
    let session = connect(&server.url, None, false).await.unwrap();
    let stateless = connect(&server.url, None, true).await.unwrap();
    for (client, prompt) in [(&session, "from a session"), (&stateless, "stateless")] {
        let record = call(client, "complete", json!({"prompt": prompt})).await;
        assert_eq!(record["output"], prompt, "{record}");
        assert_eq!(record["provider"], "m");
    }
    let providers = call(&session, "providers", json!({})).await;
    assert_eq!(providers["providers"][0]["restarts"], 0, "{providers}");
    session.cancel().await.unwrap();
    stateless.cancel().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_token_below_the_minimum_is_refused_at_start_without_being_shown() {
    let output = crate::support::command(
        LLM_MCP,
        &["serve", "--listen", "127.0.0.1:0", "--auth-token-env", "T"],
        &[("T", "short-secret")],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 16"), "{stderr}");
    assert!(!stderr.contains("short-secret"), "{stderr}");
}

/// A call without a progress token gets its answer alone on its stream.
#[tokio::test]
async fn a_raw_session_call_answers_on_its_own_stream() {
    let server = mock_listening(&[]).await;
    let http = reqwest::Client::new();
    let session = raw_session(&http, &server.url).await;
    let mut body = call_body(9, "complete", json!({"prompt": "raw"}));
    body["params"]["_meta"] = json!({});
    let response = post(&http, &server.url, &body)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    let messages = sse_messages(&response.text().await.unwrap());
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["result"]["structuredContent"]["output"], "raw");
}
