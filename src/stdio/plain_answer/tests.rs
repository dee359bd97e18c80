use rmcp::RoleServer;
use rmcp::model::{JsonRpcMessage, ServerResult};
use serde_json::Value;

use super::*;

fn answer(member: &str, value: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":"bypass-3","{member}":{value}}}"#)
}

fn is_plain(line: &str) -> bool {
    PlainAnswer::read(line.as_bytes()).is_some()
}

#[test]
fn a_plain_tool_result_is_the_same_line_under_the_clients_id() {
    let line = r#"{"id" : "bypass-3", "jsonrpc":"2.0","result":{"content":[{"type":"text","text":"h\"i"}],"structuredContent":{"output":"hi","tokens_used":3},"isError":false}}"#;
    let plain = PlainAnswer::read(line.as_bytes()).expect("a plain tool result");
    assert_eq!(plain.id().get(), r#""bypass-3""#);
    let relayed = plain.with_id(r#""a\"b""#);
    assert_eq!(relayed.last(), Some(&b'\n'));
    assert_eq!(
        String::from_utf8(relayed.clone()).unwrap(),
        line.replace(r#""bypass-3""#, r#""a\"b""#) + "\n"
    );
    let answer: Value = serde_json::from_slice(&relayed).unwrap();
    assert_eq!(answer["id"], "a\"b");
    assert_eq!(answer["result"]["structuredContent"]["tokens_used"], 3);
    // What rmcp's way reads it as: a tool result.
    let typed: rmcp::service::TxJsonRpcMessage<RoleServer> =
        serde_json::from_slice(&relayed).unwrap();
    assert!(matches!(
        typed,
        JsonRpcMessage::Response(rmcp::model::JsonRpcResponse {
            result: ServerResult::CallToolResult(_),
            ..
        })
    ));
    let numbered =
        PlainAnswer::read(br#"{"jsonrpc":"2.0","id":17,"error":{"code":1,"message":"m"}}"#)
            .expect("a plain error");
    assert_eq!(
        numbered.with_id("4"),
        b"{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":1,\"message\":\"m\"}}\n"
    );
}

#[test]
fn anything_but_a_plain_result_or_error_takes_the_typed_way() {
    let plain_results = [
        r#"{"content":[]}"#,
        r#"{"isError":true,"content":[{"type":"text","text":"[timeout] x"}]}"#,
        r#"{"structuredContent":{},"resultType":"complete","_meta":{"k":1}}"#,
        r#"{"structuredContent":null}"#,
    ];
    for result in plain_results {
        assert!(is_plain(&answer("result", result)), "{result}");
    }
    let typed_results = [
        // Another kind of result, or none the typed way would call a tool result.
        r#"{}"#,
        r#"null"#,
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
        assert!(!is_plain(&answer("result", result)), "{result}");
    }
    for error in [
        r#"{"code":-32602,"message":"unknown tool"}"#,
        r#"{"code":1,"message":"m","data":{"x":[1]}}"#,
    ] {
        assert!(is_plain(&answer("error", error)), "{error}");
    }
    for error in [
        r#"{"code":"x","message":"m"}"#,
        r#"{"code":1}"#,
        r#"{"code":1,"message":"m","extra":1}"#,
        r#"{"code":1.5,"message":"m"}"#,
    ] {
        assert!(!is_plain(&answer("error", error)), "{error}");
    }
    // Both members or neither, other members, another version, a request: the typed way.
    for line in [
        r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]},"error":{"code":1,"message":"m"}}"#,
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]},"extra":true}"#,
        r#"{"jsonrpc":"1.0","id":1,"result":{"content":[]}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","result":{"content":[]}}"#,
        "not json",
    ] {
        assert!(!is_plain(line), "{line}");
    }
}

#[test]
fn a_lone_surrogate_anywhere_takes_the_typed_way_and_a_pair_does_not() {
    let text = |text: &str| {
        answer(
            "result",
            &format!(r#"{{"content":[{{"type":"text","text":"{text}"}}]}}"#),
        )
    };
    assert!(!is_plain(&text(r"a\ud800b")));
    assert!(!is_plain(&text(r"\uDFFF")));
    assert!(!is_plain(&answer(
        "result",
        r#"{"structuredContent":{"k":"\udc00"}}"#
    )));
    assert!(!is_plain(&answer(
        "error",
        r#"{"code":1,"message":"\ud800"}"#
    )));
    assert!(is_plain(&text(r"\ud83d\ude00 \u00e9")));
    // An escaped backslash before `ud800` is text, not an escape.
    assert!(is_plain(&text(r"\\ud800")));
}
