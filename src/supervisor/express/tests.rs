use serde_json::{Value, json};

use super::*;

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_string()).unwrap()
}

#[test]
fn the_request_to_the_child_carries_its_tool_the_arguments_as_written_and_no_progress() {
    let arguments = raw(r#"{"prompt": "h\u00e9", "timeout_s": 3}"#);
    let line = request_line("\"bypass-7\"", "complete", Some(&arguments));
    assert_eq!(line.last(), Some(&b'\n'));
    let request: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(
        request,
        json!({
            "jsonrpc": "2.0",
            "id": "bypass-7",
            "method": "tools/call",
            "params": {
                "name": "complete",
                "arguments": {"prompt": "hé", "timeout_s": 3},
                "_meta": {NO_PROGRESS_META: true},
            },
        })
    );
    // rmcp reads it as the request the typed way would have sent.
    let typed: rmcp::service::RxJsonRpcMessage<rmcp::RoleServer> =
        serde_json::from_slice(&line).unwrap();
    assert!(matches!(typed, JsonRpcMessage::Request(_)));
    let bare: Value = serde_json::from_slice(&request_line("1", "list_models", None)).unwrap();
    assert_eq!(bare["params"].get("arguments"), None);
}
