//! `llm-mcp-mock` over stdio: the protocol, the tool list, the record, argument checks and
//! concurrency, against the offline backend (no network at all).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, EXIT_GRACE, McpProcess};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

async fn mock(args: &[&str]) -> McpProcess {
    support::start(MOCK, args, &[]).await
}

#[tokio::test]
async fn initialize_echoes_supported_versions_and_answers_unknown_ones_with_a_supported_one() {
    let supported = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    for version in supported {
        let mut server = McpProcess::spawn(support::command(MOCK, &[], &[]));
        let result = server.initialize_with(version).await;
        assert_eq!(result["protocolVersion"], json!(version));
        assert_eq!(result["serverInfo"]["name"], json!("llm-mcp-mock"));
        assert_eq!(
            result["serverInfo"]["version"],
            json!(env!("CARGO_PKG_VERSION"))
        );
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
    }
    let mut server = McpProcess::spawn(support::command(MOCK, &[], &[]));
    let result = server.initialize_with("1999-01-01").await;
    let answered = result["protocolVersion"].as_str().unwrap();
    assert!(supported.contains(&answered), "answered {answered}");
    // The session works at the version the server chose.
    assert_eq!(server.list_tools().await.len(), 4);
}

fn tool<'a>(tools: &'a [Value], name: &str) -> &'a Value {
    tools
        .iter()
        .find(|t| t["name"] == json!(name))
        .unwrap_or_else(|| panic!("no tool {name}"))
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn tools_list_declares_the_four_tools_with_their_schemas() {
    let mut server = mock(&[]).await;
    let tools = server.list_tools().await;
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["chat", "complete", "list_models", "status"]);
    for t in &tools {
        assert_eq!(t["inputSchema"]["type"], json!("object"), "{t}");
        assert!(!t["description"].as_str().unwrap_or("").is_empty(), "{t}");
    }
    let complete = tool(&tools, "complete");
    assert_eq!(required(&complete["inputSchema"]), ["prompt"]);
    let props = &complete["inputSchema"]["properties"];
    for field in [
        "prompt",
        "system",
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "stop",
        "timeout_s",
    ] {
        assert!(
            props.get(field).is_some(),
            "complete lacks {field}: {props}"
        );
    }
    let chat = tool(&tools, "chat");
    assert!(required(&chat["inputSchema"]).contains(&"messages"));
    for field in ["messages", "tools", "tool_choice"] {
        assert!(
            chat["inputSchema"]["properties"].get(field).is_some(),
            "chat lacks {field}"
        );
    }
    for name in ["complete", "chat"] {
        let output = &tool(&tools, name)["outputSchema"];
        assert_eq!(output["type"], json!("object"), "{name}: {output}");
        let record_fields = [
            "attempts",
            "cost_usd",
            "finish_reason",
            "latency_ms",
            "model",
            "output",
            "provider",
            "tokens_used",
            "warnings",
            "message",
            "tool_calls",
            "usage",
        ];
        for field in record_fields {
            assert!(
                output["properties"].get(field).is_some(),
                "{name} outputSchema lacks {field}"
            );
        }
    }
}

#[tokio::test]
async fn complete_returns_the_record_field_by_field() {
    let price = "mock-echo-1=1000000/2000000";
    let mut server = mock(&["--name", "local-mock", "--price", price]).await;
    let args = json!({"prompt": "the quick brown fox", "system": "be very brief"});
    let result = server.call("complete", args).await;
    let record = result.record();
    assert_eq!(record["output"], json!("the quick brown fox"));
    assert_eq!(record["model"], json!("mock-echo-1"));
    assert_eq!(record["provider"], json!("local-mock"));
    let usage = &record["usage"];
    assert_eq!(
        usage["input_tokens"],
        json!(7),
        "3 system words + 4 prompt words"
    );
    assert_eq!(usage["output_tokens"], json!(4));
    assert_eq!(usage["cache_read_tokens"], json!(0));
    assert_eq!(usage["cache_write_tokens"], json!(0));
    assert_eq!(record["tokens_used"], json!(11));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert!(
        record["latency_ms"].as_u64().is_some_and(|ms| ms < 5_000),
        "{record}"
    );
    assert_eq!(record["attempts"], json!(1));
    // 7 input tokens at 1 USD each plus 4 output tokens at 2 USD each.
    let cost = record["cost_usd"].as_f64().unwrap();
    assert!((cost - 15.0).abs() < 1e-9, "cost {cost}");
    assert_eq!(record["tool_calls"], json!([]));
    assert_eq!(record["warnings"], json!([]), "nothing was adapted");
    assert_eq!(record["message"]["role"], json!("assistant"));
    assert_eq!(record["message"]["content"], json!("the quick brown fox"));
    let keys: Vec<&String> = record.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 12, "unexpected fields: {keys:?}");
}

#[tokio::test]
async fn max_tokens_cuts_the_output_with_finish_reason_length() {
    let mut server = mock(&[]).await;
    let result = server
        .call(
            "complete",
            json!({"prompt": "one two three four five", "max_tokens": 2}),
        )
        .await;
    let record = result.record();
    assert_eq!(record["output"], json!("one two"));
    assert_eq!(record["finish_reason"], json!("length"));
    assert_eq!(record["usage"]["output_tokens"], json!(2));
    assert_eq!(record["tokens_used"], json!(7));
    // The server's --max-tokens is the default when a call names none.
    let mut server = mock(&["--max-tokens", "1"]).await;
    let record = server
        .call("complete", json!({"prompt": "alpha beta"}))
        .await
        .record()
        .clone();
    assert_eq!(record["output"], json!("alpha"));
    assert_eq!(record["finish_reason"], json!("length"));
}

#[tokio::test]
async fn aliases_resolve_to_model_ids() {
    let mut server = mock(&["--alias", "tiny=mock-tiny-2"]).await;
    let record = server
        .call("complete", json!({"prompt": "hi", "model": "echo"}))
        .await
        .record()
        .clone();
    assert_eq!(record["model"], json!("mock-echo-1"));
    let record = server
        .call("complete", json!({"prompt": "hi", "model": "tiny"}))
        .await
        .record()
        .clone();
    assert_eq!(record["model"], json!("mock-tiny-2"));
    let models = server.call("list_models", json!({})).await;
    let listing = models.structured();
    assert_eq!(listing["default_model"], json!("mock-echo-1"));
    assert_eq!(listing["aliases"]["tiny"], json!("mock-tiny-2"));
    assert_eq!(listing["aliases"]["echo"], json!("mock-echo-1"));
    assert_eq!(listing["models"], json!(["mock-echo-1"]));
}

#[tokio::test]
async fn chat_round_trips_a_tool_call() {
    let mut server = mock(&[]).await;
    let tools = json!([{
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"]
        }
    }]);
    let prompt = "please call get_weather for Paris";
    let mut messages = vec![json!({"role": "user", "content": prompt})];
    let first = server
        .call("chat", json!({"messages": messages, "tools": tools}))
        .await;
    let record = first.record().clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    let calls = record["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["name"], json!("get_weather"));
    assert_eq!(calls[0]["arguments"], json!({"city": prompt, "days": 0}));
    let id = calls[0]["id"].as_str().unwrap().to_string();
    assert!(!id.is_empty());
    messages.push(json!({"role": "assistant", "content": "", "tool_calls": calls}));
    messages.push(json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": id}));
    let second = server
        .call("chat", json!({"messages": messages, "tools": tools}))
        .await;
    let record = second.record();
    assert_eq!(record["output"], json!("get_weather returned: sunny, 21 C"));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["tool_calls"], json!([]));
}

#[tokio::test]
async fn an_unknown_tool_is_a_json_rpc_error() {
    let mut server = mock(&[]).await;
    let response = server.call_raw("no_such_tool", json!({})).await;
    assert!(response.get("result").is_none(), "{response}");
    assert_eq!(response["error"]["code"], json!(-32602), "{response}");
    // An unknown method too.
    let response = server.request("no/such/method", json!({})).await;
    assert_eq!(response["error"]["code"], json!(-32601), "{response}");
}

#[tokio::test]
async fn a_wrong_argument_type_is_a_tool_error() {
    let mut server = mock(&[]).await;
    let cases = [
        ("complete", json!({"prompt": 5}), "prompt: invalid type"),
        (
            "complete",
            json!({"prompt": "hi", "max_tokens": "many"}),
            "max_tokens: invalid type",
        ),
        (
            "chat",
            json!({"messages": "hello"}),
            "messages: invalid type",
        ),
        ("complete", json!({}), "missing field `prompt`"),
    ];
    for (tool, arguments, named) in cases {
        let result = server.call(tool, arguments).await;
        let text = result.error_text();
        assert!(
            text.starts_with("[bad_request] mock: invalid arguments: "),
            "{text}"
        );
        assert!(text.contains(named), "{text}");
        let meta = &result.0["_meta"];
        assert_eq!(meta["kind"], json!("bad_request"), "{:?}", result.0);
    }
}

#[tokio::test]
async fn values_out_of_range_are_bad_request_tool_errors() {
    let mut server = mock(&[]).await;
    let cases = [
        ("complete", json!({"prompt": ""}), "prompt is empty"),
        ("complete", json!({"prompt": "   "}), "prompt is empty"),
        (
            "complete",
            json!({"prompt": "hi", "temperature": 5}),
            "temperature",
        ),
        (
            "complete",
            json!({"prompt": "hi", "temperature": -0.5}),
            "temperature",
        ),
        ("complete", json!({"prompt": "hi", "top_p": 1.5}), "top_p"),
        (
            "complete",
            json!({"prompt": "hi", "max_tokens": 0}),
            "max_tokens",
        ),
        (
            "complete",
            json!({"prompt": "hi", "timeout_s": -1}),
            "timeout_s",
        ),
        ("chat", json!({"messages": []}), "messages is empty"),
        (
            "chat",
            json!({"messages": [{"role": "tool", "content": "x"}]}),
            "tool_call_id",
        ),
        (
            "chat",
            json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": "ghost"}),
            "ghost",
        ),
    ];
    for (tool, args, needle) in cases {
        let result = server.call(tool, args.clone()).await;
        let text = result.expect_error("bad_request");
        assert!(text.contains(needle), "{args}: {text}");
        assert!(text.starts_with("[bad_request] mock: "), "{text}");
        assert_eq!(result.meta()["retryable"], json!(false));
        assert!(
            result.0.get("structuredContent").is_none(),
            "errors carry no record"
        );
    }
}

#[tokio::test]
async fn a_malformed_line_does_not_stop_the_server() {
    let mut server = mock(&[]).await;
    server.send_line("this is not json").await;
    server
        .send_line("{\"jsonrpc\": \"2.0\", \"id\": 99, \"method\":")
        .await;
    server.send_line("[1, 2, 3]").await;
    let record = server
        .call("complete", json!({"prompt": "still here"}))
        .await;
    assert_eq!(record.record()["output"], json!("still here"));
    let transcript = server.shutdown(EXIT_GRACE).await;
    assert_eq!(
        transcript.exit_code,
        Some(0),
        "stderr: {}",
        transcript.stderr
    );
}

#[tokio::test]
async fn fifty_calls_in_flight_finish_in_about_one_delay() {
    let mut server = mock(&["--latency-ms", "400"]).await;
    let started = Instant::now();
    let mut waiting = Vec::new();
    for i in 0..50 {
        let args = json!({"name": "complete", "arguments": {"prompt": format!("call number {i}")}});
        waiting.push(server.start_request("tools/call", args).await);
    }
    let mut outputs = Vec::new();
    for (id, rx) in waiting {
        let response = server.wait_response(id, rx).await;
        outputs.push(response["result"]["structuredContent"]["output"].clone());
    }
    let elapsed = started.elapsed();
    // Serialized calls would take 50 x 400 ms = 20 s.
    assert!(
        elapsed < Duration::from_secs(5),
        "50 calls took {elapsed:?}"
    );
    for (i, output) in outputs.iter().enumerate() {
        assert_eq!(output, &json!(format!("call number {i}")));
    }
}

#[tokio::test]
async fn cancelling_a_call_stops_it_and_counts_it_as_failed() {
    let mut server = mock(&["--latency-ms", "10000"]).await;
    let args = json!({"name": "complete", "arguments": {"prompt": "slow"}});
    let (id, rx) = server.start_request("tools/call", args).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "test"}),
        )
        .await;
    // The handler ends at once (well before the 10 s latency) and is counted as an error.
    let started = Instant::now();
    loop {
        let status = server.call("status", json!({})).await;
        if status.structured()["errors"] == json!(1) {
            assert_eq!(status.structured()["calls"], json!(1));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the cancelled call still runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(rx);
}

#[tokio::test]
async fn status_reports_configuration_and_counters_without_spending() {
    let mut server = mock(&["--model", "echo"]).await;
    let status = server.call("status", json!({})).await;
    let status = status.structured().clone();
    assert_eq!(status["provider"], json!("mock"));
    assert_eq!(status["backend"], json!("mock"));
    assert_eq!(status["model"], json!("mock-echo-1"));
    assert_eq!(status["reachable"], json!(true));
    assert_eq!(status["version"], json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(status["calls"], json!(0));
    server
        .call("complete", json!({"prompt": "a b c"}))
        .await
        .record();
    server
        .call("complete", json!({"prompt": ""}))
        .await
        .expect_error("bad_request");
    let status = server.call("status", json!({})).await.structured().clone();
    assert_eq!(status["calls"], json!(2));
    assert_eq!(status["errors"], json!(1));
    assert_eq!(status["tokens"], json!(6));
}

#[tokio::test]
async fn stdout_carries_only_json_rpc_even_with_verbose_logs() {
    let env = [("RUST_LOG", "trace")];
    let mut server = support::start(MOCK, &["--latency-ms", "10"], &env).await;
    server.list_tools().await;
    server
        .call("complete", json!({"prompt": "hello"}))
        .await
        .record();
    server
        .call("complete", json!({"prompt": ""}))
        .await
        .expect_error("bad_request");
    server.call_raw("missing", json!({})).await;
    server.send_line("garbage").await;
    server.call("status", json!({})).await;
    let transcript = server.shutdown(EXIT_GRACE).await;
    assert_eq!(
        transcript.exit_code,
        Some(0),
        "stderr: {}",
        transcript.stderr
    );
    assert!(transcript.stdout_lines.len() >= 6);
    for line in &transcript.stdout_lines {
        let message: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        assert_eq!(message["jsonrpc"], json!("2.0"), "{line}");
    }
    assert!(!transcript.stderr.is_empty(), "trace logs go to stderr");
}

#[tokio::test]
async fn a_bad_flag_exits_with_a_message_on_stderr() {
    let mut command = support::command(MOCK, &["--timeout", "0"], &[]);
    command.stdin(std::process::Stdio::null());
    let output = command.output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--timeout"));
}

#[tokio::test]
async fn a_tools_call_with_misfit_params_is_invalid_params_not_method_not_found() {
    let mut server = mock(&[]).await;
    let response = server.request("tools/call", json!({"name": 5})).await;
    assert_eq!(response["error"]["code"], json!(-32602), "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid params for tools/call"),
        "{message}"
    );
    let response = server.request("tools/call", json!({"arguments": {}})).await;
    assert_eq!(response["error"]["code"], json!(-32602), "{response}");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("name")
    );
    // The server keeps serving.
    let record = server
        .call("complete", json!({"prompt": "still here"}))
        .await;
    assert_eq!(record.record()["output"], json!("still here"));
}

#[tokio::test]
async fn response_format_gives_the_parsed_json_or_an_invalid_response_naming_the_path() {
    let mut server = mock(&[]).await;
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"]
    });
    let format = json!({"type": "json_schema", "schema": schema, "name": "person"});
    // The mock echoes the prompt, so the prompt is the answer to check.
    let args = json!({"prompt": r#"{"name": "Ada", "age": 36}"#, "response_format": format});
    let result = server.call("complete", args).await;
    let record = result.record();
    assert_eq!(record["json"], json!({"name": "Ada", "age": 36}));
    let warnings = record["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("system prompt")),
        "the mock has no JSON control, so the format is asked in the prompt: {record}"
    );
    let args = json!({"prompt": r#"{"name": "Ada", "age": "old"}"#, "response_format": format});
    let result = server.call("complete", args).await;
    assert!(result.is_error());
    let text = result.text();
    assert!(text.starts_with("[invalid_response]"), "{text}");
    assert!(text.contains("/age"), "{text}");
    let broken = json!({"type": "json_schema", "schema": {"type": "no-such-type"}});
    let result = server
        .call(
            "complete",
            json!({"prompt": "{}", "response_format": broken}),
        )
        .await;
    assert!(
        result.text().starts_with("[bad_request]"),
        "{}",
        result.text()
    );
}
