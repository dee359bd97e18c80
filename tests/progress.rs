//! Progress notifications: a request carrying a `progressToken` gets `notifications/progress`
//! with increasing values while the call runs, all before its response; one without gets none.

use std::time::Duration;

use serde_json::{Value, json};

use crate::providers::KEY;
use crate::support::anthropic_api::{self as api, Usage};
use crate::support::{self, FakeProvider, McpProcess, Reply};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// Sends `complete` with `prompt` under progress token `token`; returns the notifications that
/// arrived before the response, and the response.
async fn call_with_progress(
    server: &mut McpProcess,
    token: &str,
    prompt: &str,
) -> (Vec<Value>, Value) {
    let params = json!({
        "name": "complete",
        "arguments": {"prompt": prompt},
        "_meta": {"progressToken": token}
    });
    let (id, rx) = server.start_request("tools/call", params).await;
    let response = server.wait_response(id, rx).await;
    let mut notes = Vec::new();
    // Notifications are written before the response; give the router a moment to pass them on.
    while let Some(note) = server.next_notification(Duration::from_millis(200)).await {
        notes.push(note);
    }
    (notes, response)
}

fn assert_increasing(notes: &[Value], token: &str) {
    let mut last = f64::MIN;
    for note in notes {
        assert_eq!(note["method"], json!("notifications/progress"), "{note}");
        assert_eq!(note["params"]["progressToken"], json!(token), "{note}");
        let value = note["params"]["progress"].as_f64().unwrap();
        assert!(value > last, "progress must increase: {last} then {value}");
        last = value;
    }
}

#[tokio::test]
async fn mock_streams_its_words_as_progress() {
    let mut server = support::start(MOCK, &["--latency-ms", "300"], &[]).await;
    let (notes, response) =
        call_with_progress(&mut server, "tok-1", "alpha beta gamma delta").await;
    let record = &response["result"]["structuredContent"];
    assert_eq!(record["output"], json!("alpha beta gamma delta"));
    assert!(
        notes.len() >= 4,
        "one notification per word at least: {notes:?}"
    );
    assert_increasing(&notes, "tok-1");
    let text: String = notes
        .iter()
        .filter_map(|n| n["params"]["message"].as_str())
        .filter(|m| !m.starts_with("waiting for"))
        .collect();
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        ["alpha", "beta", "gamma", "delta"]
    );
    // Without a token, no notification at all.
    server
        .call("complete", json!({"prompt": "quiet please"}))
        .await
        .record();
    assert!(
        server
            .next_notification(Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_slow_provider_gets_heartbeats() {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        input: 3,
        output: 2,
        cache_read: 0,
        cache_creation: 0,
    };
    let body = api::text("claude-sonnet-4-5-20250929", "slow answer", usage);
    fake.push(
        api::MESSAGES,
        Reply::json(200, &body).delay(Duration::from_millis(2600)),
    );
    let binary = env!("CARGO_BIN_EXE_llm-mcp-anthropic");
    let env = [("ANTHROPIC_API_KEY", KEY)];
    let mut server = support::start(binary, &["--base-url", &fake.url()], &env).await;
    let (notes, response) = call_with_progress(&mut server, "tok-slow", "take your time").await;
    assert_eq!(
        response["result"]["structuredContent"]["output"],
        json!("slow answer"),
        "{response}"
    );
    assert!(
        !notes.is_empty(),
        "a 2.6 s wait gets at least one heartbeat"
    );
    assert_increasing(&notes, "tok-slow");
}
