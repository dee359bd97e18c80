use rmcp::model::GetMeta;
use serde_json::json;

use super::*;

/// rmcp's own reading of `line`.
fn generic(line: &str) -> serde_json::Result<RxJsonRpcMessage<RoleServer>> {
    serde_json::from_str(line)
}

fn is_tool_call(message: &RxJsonRpcMessage<RoleServer>) -> bool {
    matches!(
        message,
        JsonRpcMessage::Request(JsonRpcRequest {
            request: ClientRequest::CallToolRequest(_),
            ..
        })
    )
}

/// The fast path and rmcp's parse give the same message: the same kind, the same JSON, and
/// the same `_meta` in the request's extensions.
fn same_as_rmcp(line: &str) -> RxJsonRpcMessage<RoleServer> {
    let (ours, theirs) = (read(line.as_bytes()).unwrap(), generic(line).unwrap());
    assert_eq!(is_tool_call(&ours), is_tool_call(&theirs), "{line}");
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        serde_json::to_value(&theirs).unwrap(),
        "{line}"
    );
    if let (JsonRpcMessage::Request(ours), JsonRpcMessage::Request(theirs)) = (&ours, &theirs) {
        let meta = |request: &ClientRequest| serde_json::to_value(request.get_meta()).unwrap();
        assert_eq!(meta(&ours.request), meta(&theirs.request), "{line}");
    }
    ours
}

#[test]
fn a_tool_call_is_read_directly_and_as_rmcp_reads_it() {
    let lines = [
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "openai__complete", "arguments": {"prompt": "hi", "n": 1.5,
                "big": 18446744073709551615u64, "neg": -3, "nested": [{"a": null}]}}}),
        json!({"jsonrpc": "2.0", "id": "a-1", "method": "tools/call",
            "params": {"name": "complete", "arguments": {"prompt": "x"},
                "_meta": {"progressToken": 3, "other": {"k": "v"}}}}),
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "status"}}),
        json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": {"name": "complete", "arguments": null, "_meta": null}}),
        // A field rmcp does not know inside params is ignored by both.
        json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call",
            "params": {"name": "complete", "surprise": true}}),
    ];
    for line in lines {
        let line = line.to_string();
        assert!(tool_call(line.as_bytes()).is_some(), "{line}");
        assert!(is_tool_call(&same_as_rmcp(&line)));
    }
    // The `_meta` is in the request's extensions, where rmcp finds the progress token.
    let line = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "complete", "_meta": {"progressToken": 3}}});
    let Some(JsonRpcMessage::Request(call)) = tool_call(line.to_string().as_bytes()) else {
        panic!("not read directly");
    };
    let token = call.request.get_meta().get_progress_token();
    assert_eq!(
        token,
        Some(rmcp::model::ProgressToken(RequestId::Number(3)))
    );
}

#[test]
fn any_other_line_takes_rmcp_s_way_with_the_same_outcome() {
    let others = [
        // Other requests, a notification, a response.
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 1}}),
        json!({"jsonrpc": "2.0", "id": 3, "result": {}}),
        // A stray field beside the call, a call without a name, with bad arguments, without
        // params, with a result beside it.
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "x"},
            "extra": 1}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {}}),
        json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
            "params": {"name": "x", "arguments": [1]}}),
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call"}),
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "x"},
            "result": {}}),
        json!({"jsonrpc": "1.0", "id": 9, "method": "tools/call", "params": {"name": "x"}}),
    ];
    let mut compared = 0;
    for line in others {
        let line = line.to_string();
        assert!(tool_call(line.as_bytes()).is_none(), "{line}");
        match generic(&line) {
            Ok(_) => {
                same_as_rmcp(&line);
                compared += 1;
            }
            Err(theirs) => {
                let ours = read(line.as_bytes()).unwrap_err();
                assert_eq!(ours.to_string(), theirs.to_string(), "{line}");
            }
        }
    }
    assert!(compared >= 5, "only {compared} lines read by rmcp");
}

#[test]
fn a_line_twice_keyed_is_refused_here_and_read_by_rmcp() {
    let line = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}"#;
    assert!(tool_call(line.as_bytes()).is_none());
    match generic(line) {
        Ok(_) => drop(same_as_rmcp(line)),
        Err(theirs) => assert_eq!(
            read(line.as_bytes()).unwrap_err().to_string(),
            theirs.to_string()
        ),
    }
}
