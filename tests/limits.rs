//! Rate limits (`--rate-limit RPM[,TPM]` on a backend, `rate_limit` on a supervisor child):
//! calls within the limit go at once; one over it waits its turn with heartbeats, or fails at
//! once `[rate_limited]` with a retry-after when its turn comes after its deadline.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{self, McpProcess};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");
const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

/// Two calls a minute: the third gets no turn for 30 s.
async fn over_two_a_minute(server: &mut McpProcess) {
    for n in 0..2 {
        let prompt = format!("call {n}");
        let result = server.call("complete", json!({"prompt": prompt})).await;
        assert_eq!(result.record()["output"], json!(prompt));
    }
    let started = Instant::now();
    let result = server
        .call("complete", json!({"prompt": "third", "timeout_s": 5}))
        .await;
    let text = result.expect_error("rate_limited");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it failed at once, without waiting out its 5 s: {:?}",
        started.elapsed()
    );
    assert!(text.contains("2 requests per minute"), "{text}");
    let retry_after = result.meta()["retry_after_ms"].as_u64().unwrap();
    assert!(
        (25_000..=30_000).contains(&retry_after),
        "the next turn is about 30 s away: {retry_after} ms"
    );
    assert_eq!(result.meta()["retryable"], json!(true));
}

/// A call that may wait long enough waits, with heartbeats, until it is cancelled.
async fn waits_with_heartbeats(server: &mut McpProcess) {
    let params = json!({
        "name": "complete",
        "arguments": {"prompt": "patient", "timeout_s": 60},
        "_meta": {"progressToken": "wait-1"},
    });
    let (id, response) = server.start_request("tools/call", params).await;
    let note = server
        .next_notification(Duration::from_secs(5))
        .await
        .expect("a heartbeat while it waits its turn");
    assert_eq!(note["method"], json!("notifications/progress"), "{note}");
    assert_eq!(note["params"]["progressToken"], json!("wait-1"));
    server
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "test"}),
        )
        .await;
    // Cancelled, it is never answered (MCP: no response to a cancelled request) or answered
    // as cancelled; either way it does not go through.
    if let Ok(Ok(answer)) = tokio::time::timeout(Duration::from_secs(3), response).await {
        assert!(
            !answer.to_string().contains("\"output\""),
            "a cancelled call was sent: {answer}"
        );
    }
}

#[tokio::test]
async fn a_backend_over_its_rate_limit_waits_or_fails_by_its_deadline() {
    let mut server = support::start(MOCK, &["--rate-limit", "2"], &[]).await;
    over_two_a_minute(&mut server).await;
    waits_with_heartbeats(&mut server).await;
}

#[tokio::test]
async fn tokens_used_hold_the_next_call() {
    let mut server = support::start(MOCK, &["--rate-limit", "100,10"], &[]).await;
    // The mock counts words: six in, six out, twelve of the ten a minute.
    let result = server
        .call("complete", json!({"prompt": "one two three four five six"}))
        .await;
    assert_eq!(result.record()["tokens_used"], json!(12));
    let result = server
        .call("complete", json!({"prompt": "more", "timeout_s": 5}))
        .await;
    let text = result.expect_error("rate_limited");
    assert!(text.contains("10 tokens per minute"), "{text}");
    // 2 tokens in debt plus one needed, at 10 a minute: 18 s.
    let retry_after = result.meta()["retry_after_ms"].as_u64().unwrap();
    assert!((15_000..=18_000).contains(&retry_after), "{retry_after} ms");
}

#[tokio::test]
async fn a_bad_rate_limit_stops_the_backend_at_start() {
    let output = tokio::process::Command::new(MOCK)
        .args(["--rate-limit", "fast"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--rate-limit \"fast\""), "{stderr}");
}

#[tokio::test]
async fn a_supervisor_child_over_its_rate_limit_waits_or_fails_by_its_deadline() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("llm-mcp.json");
    let config = json!({
        "mcpServers": {"m": {"command": MOCK, "args": ["--name", "m"], "rate_limit": "2"}},
        "default": "m",
    });
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_string_lossy().into_owned();
    let mut server = support::start(LLM_MCP, &["serve", "--config", &path], &[]).await;
    over_two_a_minute(&mut server).await;
    // The passthrough tool shares the child's limit.
    let result = server
        .call("m__complete", json!({"prompt": "direct", "timeout_s": 5}))
        .await;
    assert!(
        result
            .expect_error("rate_limited")
            .starts_with("[rate_limited] m: over the rate_limit of mcpServers.m"),
        "{}",
        result.0
    );
    waits_with_heartbeats(&mut server).await;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
