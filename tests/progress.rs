//! Progress notifications: a request carrying a `progressToken` gets `notifications/progress`
//! with increasing values while the call runs, all before its response; one without gets none.

use std::time::Duration;

use serde_json::json;

use crate::providers::KEY;
use crate::support::anthropic_api::{self as api, Usage};
use crate::support::progress::{
    assert_strictly_increasing, call_with_progress, is_heartbeat, split_at_response,
};
use crate::support::{self, FakeProvider, Reply};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

#[tokio::test]
async fn mock_streams_its_words_as_progress() {
    let mut server = support::start(MOCK, &["--latency-ms", "300"], &[]).await;
    let (notes, response) = call_with_progress(
        &mut server,
        "complete",
        json!({"prompt": "alpha beta gamma delta"}),
        "tok-1",
    )
    .await;
    let record = &response["result"]["structuredContent"];
    assert_eq!(record["output"], json!("alpha beta gamma delta"));
    assert!(
        notes.len() >= 4,
        "one notification per word at least: {notes:?}"
    );
    assert_strictly_increasing(&notes, "tok-1");
    let text: String = notes
        .iter()
        .filter(|n| !is_heartbeat(n))
        .filter_map(|n| n["params"]["message"].as_str())
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
    let (notes, response) = call_with_progress(
        &mut server,
        "complete",
        json!({"prompt": "take your time"}),
        "tok-slow",
    )
    .await;
    assert_eq!(
        response["result"]["structuredContent"]["output"],
        json!("slow answer"),
        "{response}"
    );
    assert!(
        !notes.is_empty(),
        "a 2.6 s wait gets at least one heartbeat"
    );
    assert_strictly_increasing(&notes, "tok-slow");
}

/// The order check itself: notes are split at the response as stdout carried them.
#[test]
fn notes_are_split_at_the_response_as_written() {
    let note = |token: &str, value: u32| {
        json!({"jsonrpc": "2.0", "method": "notifications/progress",
               "params": {"progressToken": token, "progress": value}})
        .to_string()
    };
    let response = json!({"jsonrpc": "2.0", "id": 7, "result": {}}).to_string();
    let other = json!({"jsonrpc": "2.0", "id": 6, "result": {}}).to_string();
    let lines = [
        note("t", 1),
        other,
        note("t", 2),
        response,
        note("u", 3),
        note("t", 4),
    ];
    let (before, after) = split_at_response(&lines, 7, "t");
    let values = |notes: &[serde_json::Value]| -> Vec<u64> {
        notes
            .iter()
            .map(|n| n["params"]["progress"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        values(&before),
        [1, 2],
        "another call's response is not a note"
    );
    assert_eq!(
        values(&after),
        [4],
        "only the token's late notes count against it"
    );
}
