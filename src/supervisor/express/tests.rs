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

#[test]
fn a_plain_tool_result_is_passed_on_as_written_under_the_clients_id() {
    let result = raw(
        r#"{"content":[{"type":"text","text":"hi"}],"structuredContent":{"output":"hi","tokens_used":3},"isError":false}"#,
    );
    let Some(plain) = plain(Some(&result), None) else {
        panic!("a plain tool result");
    };
    let line = raw_line(&RequestId::String("a\"b".into()), plain);
    let answer: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(answer["id"], "a\"b");
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["result"]["structuredContent"]["tokens_used"], 3);
    let typed: rmcp::service::TxJsonRpcMessage<RoleServer> = serde_json::from_slice(&line).unwrap();
    assert!(matches!(
        typed,
        JsonRpcMessage::Response(rmcp::model::JsonRpcResponse {
            result: ServerResult::CallToolResult(_),
            ..
        })
    ));
}

#[test]
fn anything_but_a_plain_result_or_error_takes_the_typed_way() {
    let plain_results = [
        r#"{"content":[]}"#,
        r#"{"isError":true,"content":[{"type":"text","text":"[timeout] x"}]}"#,
        r#"{"structuredContent":{},"resultType":"complete","_meta":{"k":1}}"#,
    ];
    for result in plain_results {
        assert!(is_plain_result(&raw(result)), "{result}");
    }
    let typed_results = [
        // Another kind of result, or none the typed way would call a tool result.
        r#"{}"#,
        r#"{"tools":[]}"#,
        r#"{"content":[],"resultType":"task"}"#,
        // Blocks that are not plain text, or text that is not a string.
        r#"{"content":[{"type":"image","data":"AA==","mimeType":"image/png"}]}"#,
        r#"{"content":[{"type":"text","text":"hi","annotations":{}}]}"#,
        r#"{"content":[{"type":"text","text":5}]}"#,
        r#"{"content":{}}"#,
        r#"{"content":[],"isError":"yes"}"#,
        r#"{"content":[],"_meta":[1]}"#,
        r#"[]"#,
    ];
    for result in typed_results {
        assert!(!is_plain_result(&raw(result)), "{result}");
    }
    assert!(is_plain_error(&raw(
        r#"{"code":-32602,"message":"unknown tool"}"#
    )));
    assert!(is_plain_error(&raw(
        r#"{"code":1,"message":"m","data":{"x":[1]}}"#
    )));
    for error in [
        r#"{"code":"x","message":"m"}"#,
        r#"{"code":1}"#,
        r#"{"code":1,"message":"m","extra":1}"#,
        r#"{"code":1.5,"message":"m"}"#,
    ] {
        assert!(!is_plain_error(&raw(error)), "{error}");
    }
    // Both members, or neither: the typed way.
    let (result, error) = (raw(r#"{"content":[]}"#), raw(r#"{"code":1,"message":"m"}"#));
    assert!(plain(Some(&result), Some(&error)).is_none());
    assert!(plain(None, None).is_none());
}
