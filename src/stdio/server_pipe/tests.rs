use serde_json::json;

use super::*;

/// rmcp's own reading of `line`.
fn generic(line: &str) -> RxJsonRpcMessage<RoleClient> {
    serde_json::from_str(line).unwrap()
}

fn message(line: &str) -> RxJsonRpcMessage<RoleClient> {
    match read_message(line.as_bytes()) {
        Read::Message(message) => *message,
        Read::Skip => panic!("skipped {line}"),
        Read::Invalid => panic!("invalid {line}"),
    }
}

fn is_tool_result(message: &RxJsonRpcMessage<RoleClient>) -> bool {
    matches!(
        message,
        JsonRpcMessage::Response(JsonRpcResponse {
            result: ServerResult::CallToolResult(_),
            ..
        })
    )
}

/// The fast path and rmcp's parse give the same message: the same kind and the same JSON.
fn same_as_rmcp(line: &str) -> RxJsonRpcMessage<RoleClient> {
    let (ours, theirs) = (message(line), generic(line));
    assert_eq!(is_tool_result(&ours), is_tool_result(&theirs), "{line}");
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        serde_json::to_value(&theirs).unwrap(),
        "{line}"
    );
    ours
}

fn record_answer(id: u64) -> String {
    let record = json!({"output": "hi", "model": "m", "tokens_used": 3, "provider": "mock"});
    json!({"jsonrpc": "2.0", "id": id, "result": {
        "content": [{"type": "text", "text": record.to_string()}],
        "structuredContent": record, "isError": false, "resultType": "complete"}})
    .to_string()
}

#[test]
fn a_tool_result_is_read_directly_and_as_rmcp_reads_it() {
    let line = record_answer(7);
    assert!(tool_answer(line.as_bytes()).is_some());
    assert!(is_tool_result(&same_as_rmcp(&line)));
    let error = json!({"jsonrpc": "2.0", "id": "a", "result": {
        "content": [{"type": "text", "text": "[auth] x"}], "isError": true,
        "_meta": {"kind": "auth"}}});
    assert!(tool_answer(error.to_string().as_bytes()).is_some());
    same_as_rmcp(&error.to_string());
    let null = json!({"jsonrpc": "2.0", "id": 1, "result": {"structuredContent": null}});
    same_as_rmcp(&null.to_string());
    // Keys in any order, several blocks, an empty text.
    let line = r#"{"id":2,"result":{"isError":false,"content":[{"text":"a","type":"text"},{"type":"text","text":""}]},"jsonrpc":"2.0"}"#;
    assert!(tool_answer(line.as_bytes()).is_some());
    same_as_rmcp(line);
}

#[test]
fn any_other_line_takes_rmcp_s_way_with_the_same_outcome() {
    let others = [
        // Other results.
        json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
        json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": []}}),
        json!({"jsonrpc": "2.0", "id": 3, "result": {"content": [], "task": {"taskId": "t",
            "status": "working", "createdAt": "2026-12-02T00:00:00Z",
            "lastUpdatedAt": "2026-12-02T00:00:00Z"}}}),
        json!({"jsonrpc": "2.0", "id": 4, "result": {"content": [], "resultType": "input_required",
            "inputRequests": {}}}),
        json!({"jsonrpc": "2.0", "id": 5, "result": {"content": [], "extra": 1}}),
        // Blocks other than plain text: an image, annotations, a block's own `_meta`, a
        // text block twice keyed.
        json!({"jsonrpc": "2.0", "id": 9, "result": {"content": [
            {"type": "text", "text": "a"},
            {"type": "image", "data": "aGk=", "mimeType": "image/png"}]}}),
        json!({"jsonrpc": "2.0", "id": 10, "result": {"content": [
            {"type": "text", "text": "a", "annotations": {"priority": 0.5}}]}}),
        json!({"jsonrpc": "2.0", "id": 11, "result": {"content": [
            {"type": "text", "text": "a", "_meta": {"k": 1}}]}}),
        // A stray field beside the result.
        json!({"jsonrpc": "2.0", "id": 6, "result": {"content": []}, "x": 1}),
        // An error, a notification, a request.
        json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32603, "message": "no"}}),
        json!({"jsonrpc": "2.0", "method": "notifications/progress",
            "params": {"progressToken": 1, "progress": 1.0}}),
        json!({"jsonrpc": "2.0", "id": 8, "method": "ping"}),
    ];
    let mut compared = 0;
    for line in others {
        let line = line.to_string();
        assert!(tool_answer(line.as_bytes()).is_none(), "{line}");
        // A line rmcp refuses is refused here too (read_message takes rmcp's way for it).
        if serde_json::from_str::<RxJsonRpcMessage<RoleClient>>(&line).is_ok() {
            same_as_rmcp(&line);
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} lines read by rmcp");
}

#[test]
fn blank_lines_and_non_json_are_skipped_and_json_of_the_wrong_shape_is_invalid() {
    assert!(matches!(read_message(b"\n"), Read::Skip));
    assert!(matches!(read_message(b"  \r\n"), Read::Skip));
    assert!(matches!(read_message(b"not json\n"), Read::Skip));
    assert!(matches!(read_message(b"[1, 2]\n"), Read::Invalid));
    // A CR, a BOM: the line is read all the same.
    let line = format!("\u{feff}{}\r\n", record_answer(9));
    assert!(matches!(read_message(line.as_bytes()), Read::Message(m) if is_tool_result(&m)));
}

#[tokio::test]
async fn the_transport_reads_lines_in_order_and_ends_at_eof() {
    let input = format!(
        "{}\n\nnot json\n{}\n",
        record_answer(1),
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
    let mut pipe = ServerPipe::new(input.as_bytes(), tokio::io::sink());
    let first = pipe.receive().await.unwrap();
    assert!(is_tool_result(&first));
    let second = pipe.receive().await.unwrap();
    assert!(matches!(second, JsonRpcMessage::Response(r) if r.id == RequestId::Number(2)));
    assert!(pipe.receive().await.is_none());
}

#[test]
#[ignore = "a measurement, run by hand: cargo test --release --lib server_pipe -- --ignored --nocapture"]
fn measure_the_two_parses() {
    let line = record_answer(7);
    let n = 20_000;
    let started = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(generic(&line));
    }
    let theirs = started.elapsed() / n;
    let started = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(message(&line));
    }
    let ours = started.elapsed() / n;
    eprintln!(
        "rmcp's parse {theirs:?}, the fast path {ours:?} per line of {} bytes",
        line.len()
    );
}
