//! Calls under a progress token, and checks of the `notifications/progress` they bring.
//!
//! The order is read from the server's stdout as written, not from the notification queue:
//! a note that arrives after its response can then never pass as one that came before it.

use std::time::Duration;

use serde_json::{Value, json};

use super::mcp::McpProcess;

/// How long to keep watching for a stray note after a response.
const LATE_NOTE_WAIT: Duration = Duration::from_millis(150);

/// A `tools/call` of `tool` with `arguments` under progress token `token`: every notification
/// the server wrote after the request and before its response, and the response. Panics if a
/// progress notification for `token` comes after the response.
pub async fn call_with_progress(
    server: &mut McpProcess,
    tool: &str,
    arguments: Value,
    token: &str,
) -> (Vec<Value>, Value) {
    let params = json!({"name": tool, "arguments": arguments, "_meta": {"progressToken": token}});
    let start = server.stdout_lines().len();
    let (id, rx) = server.start_request("tools/call", params).await;
    let response = server.wait_response(id, rx).await;
    // Empty the queue so a later wait starts clean, and give a late note time to show up.
    while server.next_notification(LATE_NOTE_WAIT).await.is_some() {}
    let (before, after) = split_at_response(&server.stdout_lines()[start..], id, token);
    assert!(
        after.is_empty(),
        "progress for {token} came after its response {response}: {after:?}"
    );
    (before, response)
}

/// Splits stdout `lines` at the response to `id`: the notifications before it (any method,
/// any token, so checks can refuse strangers), and the progress notifications for `token`
/// after it.
pub fn split_at_response(lines: &[String], id: i64, token: &str) -> (Vec<Value>, Vec<Value>) {
    let messages: Vec<Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let is_response = |m: &Value| m.get("method").is_none() && m.get("id").is_some();
    let at = messages
        .iter()
        .position(|m| is_response(m) && m["id"] == json!(id))
        .unwrap_or_else(|| panic!("no response to {id} on stdout"));
    let before = messages[..at]
        .iter()
        .filter(|m| !is_response(m))
        .cloned()
        .collect();
    let after = messages[at + 1..]
        .iter()
        .filter(|m| {
            m["method"] == json!("notifications/progress")
                && m["params"]["progressToken"] == json!(token)
        })
        .cloned()
        .collect();
    (before, after)
}

/// Whether a progress notification is a heartbeat rather than new text.
pub fn is_heartbeat(note: &Value) -> bool {
    note["params"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("waiting for the provider"))
}

/// Asserts there is at least one note, every note is a progress notification for `token`, and
/// the values strictly increase.
pub fn assert_strictly_increasing(notes: &[Value], token: &str) {
    assert!(!notes.is_empty(), "no progress notification for {token}");
    let mut last = f64::MIN;
    for note in notes {
        assert_eq!(note["method"], json!("notifications/progress"), "{note}");
        assert_eq!(note["params"]["progressToken"], json!(token), "{note}");
        let value = note["params"]["progress"].as_f64().expect("a number");
        assert!(value > last, "progress must increase: {last} then {value}");
        last = value;
    }
}

/// The text the non-heartbeat notes carry, concatenated.
pub fn streamed_text(notes: &[Value]) -> String {
    notes
        .iter()
        .filter(|n| !is_heartbeat(n))
        .filter_map(|n| n["params"]["message"].as_str())
        .collect()
}
