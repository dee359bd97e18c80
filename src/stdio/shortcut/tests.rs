use super::*;

fn call(arguments: &str) -> Option<CallLine<'static>> {
    let line = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"m__complete","arguments":{arguments}}}}}"#
    );
    CallLine::read(Box::leak(line.into_boxed_str()).as_bytes())
}

#[test]
fn the_timeout_is_read_however_its_name_is_spelled() {
    let timeout = |arguments: &str| call(arguments).expect("a call").timeout_s;
    assert_eq!(timeout(r#"{"prompt":"hi","timeout_s":2.5}"#), Some(2.5));
    assert_eq!(timeout(r#"{"prompt":"hi","timeout\u005fs":7}"#), Some(7.0));
    assert_eq!(timeout(r#"{"prompt":"timeout_s"}"#), None);
    assert_eq!(timeout(r#"{"prompt":"h\u00e9"}"#), None);
    assert_eq!(timeout(r#"{"prompt":"hi","timeout_s":"soon"}"#), None);
    assert_eq!(timeout("{}"), None);
    assert_eq!(timeout("null"), None);
    let read = call(r#"{"prompt":"hi"}"#).expect("a call");
    assert_eq!(read.name, "m__complete");
    assert_eq!(
        read.arguments.map(RawValue::get),
        Some(r#"{"prompt":"hi"}"#)
    );
}

#[test]
fn a_call_asking_for_progress_or_with_odd_arguments_is_not_taken() {
    assert!(call("[1]").is_none());
    // Arguments that would not decode at the server are not passed on as written.
    assert!(call(r#"{"prompt":"\ud800"}"#).is_none());
    assert!(call(r#"{"prompt":"\ud83d\ude00"}"#).is_some());
    // `timeout_s` twice is no arguments rmcp would read either.
    assert!(call(r#"{"timeout_s":1,"timeout_s":2}"#).is_none());
    let progress = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":3}}}"#;
    assert!(CallLine::read(progress).is_none());
    let extra =
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","task":{}}}"#;
    assert!(CallLine::read(extra).is_none());
}
