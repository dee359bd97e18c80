//! `llm-mcp call`, `llm-mcp smoke` and the client library against the real `llm-mcp-mock`
//! binary, with a cleared environment.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use llm_mcp::client::{
    ChatRequest, ClientError, ClientOptions, CompleteRequest, LlmClient, StderrMode,
};
use llm_mcp::completion::{FinishReason, Message, Record, Role, ToolSpec};
use llm_mcp::error::ErrorKind;
use serde_json::{Value, json};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// `llm-mcp ARGS` with only PATH and HOME in its environment.
fn llm_mcp(args: &[&str]) -> Command {
    let mut command = Command::new(LLM_MCP);
    command.args(args).env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(var) {
            command.env(var, value);
        }
    }
    command
}

fn run(args: &[&str]) -> Output {
    llm_mcp(args).stdin(Stdio::null()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config file in the temp directory, unique to this process and test.
fn config_file(name: &str, content: &Value) -> PathBuf {
    let path = std::env::temp_dir().join(format!("llm-mcp-cli-{}-{name}.json", std::process::id()));
    std::fs::write(&path, content.to_string()).unwrap();
    path
}

#[test]
fn call_prints_the_echoed_output() {
    let out = run(&["call", "hello from the test", "--", MOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello from the test\n");
    // Not a terminal: no progress line, nothing else on stderr.
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn call_json_prints_one_record_line() {
    let out = run(&[
        "call",
        "--json",
        "--max-tokens",
        "2",
        "--model",
        "echo",
        "one two three",
        "--",
        MOCK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    let record: Record = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record.output, "one two");
    assert_eq!(record.model, "mock-echo-1");
    assert_eq!(record.provider, "mock");
    assert_eq!(record.finish_reason, FinishReason::Length);
    assert_eq!(record.tokens_used, Some(5));
}

#[test]
fn call_goes_through_the_supervisor_with_its_config() {
    let config = json!({"mcpServers": {
        "first": {"command": MOCK, "args": ["--name", "first-mock"]},
        "second": {"command": MOCK, "args": ["--name", "second-mock"]}
    }, "default": "first"});
    let path = config_file("call-config", &config);
    let path = path.to_str().unwrap();
    let out = run(&["call", "--json", "--config", path, "hi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    // The supervisor signs the record with its config entry's name, not the child's own.
    assert_eq!(record["provider"], json!("first"));
    let out = run(&[
        "call",
        "--json",
        "--config",
        path,
        "--provider",
        "second",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(record["provider"], json!("second"));
    assert_eq!(record["output"], json!("hi"));
}

#[test]
fn call_reads_the_prompt_from_stdin() {
    let mut child = llm_mcp(&["call", "-", "--", MOCK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped prompt\nsecond line\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "piped prompt\nsecond line\n");
}

/// Regression: a prompt over the 16 MiB line bound made the backend drop the request and the
/// call wait for the 600 s client timeout.
#[test]
fn call_with_a_prompt_over_the_line_bound_fails_at_once() {
    let started = std::time::Instant::now();
    let mut child = llm_mcp(&["call", "-", "--", MOCK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The CLI stops reading past the bound: a write error here is expected.
    let _ = stdin.write_all("word ".repeat(17 * 1024 * 1024 / 5).as_bytes());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("16 MiB"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // Escaping makes a prompt under the bound a request over it: the client says so too.
    let mut child = llm_mcp(&["call", "-", "--", MOCK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all("\"".repeat(9 * 1024 * 1024).as_bytes())
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("as JSON"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("16 MiB"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn call_with_a_server_that_fails_to_start_exits_3_with_a_readable_error() {
    let out = run(&["call", "hi", "--", "/bin/false"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("llm-mcp call: /bin/false did not complete the MCP handshake"),
        "{stderr}"
    );

    let out = run(&["call", "hi", "--", "/no/such/llm-server"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("could not start /no/such/llm-server"));

    // The server's own complaint reaches the user.
    let out = run(&["call", "hi", "--", MOCK, "--base-url", "not a url"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("llm-mcp-mock: base URL \"not a url\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn call_exit_codes_tell_tool_errors_usage_and_timeouts_apart() {
    // A tool error: the supervisor has no fast tier (--tier fast itself is a valid flag).
    let config = config_file("no-tiers", &json!({"mcpServers": {"m": {"command": MOCK}}}));
    let out = run(&[
        "call",
        "--config",
        config.to_str().unwrap(),
        "--tier",
        "fast",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).starts_with("llm-mcp call: [bad_request] llm-mcp: tier fast"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(config).unwrap();

    let out = run(&["call", "   ", "--", MOCK]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the prompt is empty"));
    let out = run(&["call", "--provider", "x", "hi", "--", MOCK]);
    assert_eq!(out.status.code(), Some(2));

    let out = run(&[
        "call",
        "--timeout",
        "0.5",
        "hi",
        "--",
        MOCK,
        "--latency-ms",
        "5000",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("[timeout] mock"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn smoke_of_one_command_passes_with_a_row() {
    let out = run(&["smoke", "--", MOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("SERVER"), "{stdout}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[0], "llm-mcp-mock");
    assert_eq!(row[2], "4", "tools: {stdout}");
    assert_eq!(row.last(), Some(&"ok"));
}

#[test]
fn smoke_of_a_config_reports_which_server_failed() {
    let config = config_file(
        "smoke",
        &json!({"mcpServers": {
            "good": {"command": MOCK, "args": ["--name", "good-mock"]},
            "missing": {"command": "/no/such/llm-server"}
        }}),
    );
    let path = config.to_str().unwrap();
    let out = run(&["smoke", "--config", path]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("good ") && l.ends_with(" ok")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("missing ") && l.contains("start: could not start")),
        "{table}"
    );

    let out = run(&["smoke", "--json", "--config", path]);
    assert_eq!(out.status.code(), Some(1));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let good = &rows[0];
    assert_eq!(good["server"], "good");
    assert_eq!(good["ok"], true);
    assert_eq!(good["status"]["provider"], "good-mock");
    assert_eq!(good["model"], "mock-echo-1");
    let checks: Vec<&str> = good["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["start", "tools/list", "status", "complete"]);
    let missing = &rows[1];
    assert_eq!(missing["ok"], false);
    assert_eq!(missing["failed_check"], "start");
    assert!(missing["error"].as_str().unwrap().contains("No such file"));
    std::fs::remove_file(config).unwrap();
}

#[test]
fn smoke_refuses_an_unusable_config_with_exit_2() {
    let config = config_file("empty", &json!({"mcpServers": {}}));
    let out = run(&["smoke", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("mcpServers is empty"));
    std::fs::remove_file(config).unwrap();
}

fn mock_command(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(MOCK);
    command.args(args).env_clear();
    command
}

#[tokio::test]
async fn the_client_library_completes_and_chats_with_the_mock_binary() {
    let client = LlmClient::spawn(mock_command(&[])).await.unwrap();
    let info = client.server_info().unwrap();
    assert_eq!(info.name, "llm-mcp-mock");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));

    let record = client
        .complete(CompleteRequest::new("ping pong").system("sys"))
        .await
        .unwrap();
    assert_eq!(record.output, "ping pong");
    assert_eq!(record.usage.input_tokens, Some(3));

    let tool = ToolSpec {
        name: "get_time".into(),
        description: Some("The current time.".into()),
        input_schema: json!({"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}),
    };
    let mut messages = vec![Message::user("what time is it? call get_time")];
    let first = client
        .chat(ChatRequest::new(messages.clone()).tool(tool.clone()))
        .await
        .unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    let call = first.tool_calls[0].clone();
    assert_eq!(call.name, "get_time");
    // The record's own assistant turn, as a client appends it.
    assert_eq!(first.message.role, Role::Assistant);
    assert_eq!(first.message.tool_calls, vec![call.clone()]);
    messages.push(first.message.clone());
    messages.push(Message {
        role: Role::Tool,
        content: "12:00".into(),
        tool_call_id: Some(call.id),
        ..Message::default()
    });
    let second = client
        .chat(ChatRequest::new(messages).tool(tool))
        .await
        .unwrap();
    assert_eq!(second.output, "get_time returned: 12:00");
    assert_eq!(second.finish_reason, FinishReason::Stop);

    let err = client
        .complete(CompleteRequest::new("x").temperature(9.0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::BadRequest));
    client.close().await;
}

#[tokio::test]
async fn the_client_library_reports_start_failures_with_the_servers_stderr() {
    let err = LlmClient::spawn(mock_command(&["--base-url", "not a url"]))
        .await
        .unwrap_err();
    match &err {
        ClientError::Handshake { stderr, .. } => {
            assert!(stderr.iter().any(|l| l.contains("base URL")), "{stderr:?}")
        }
        other => panic!("expected a handshake error, got {other:?}"),
    }
    let options = ClientOptions {
        stderr: StderrMode::Null,
        ..ClientOptions::default()
    };
    let err = LlmClient::spawn_with(mock_command(&["--base-url", "not a url"]), options)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Handshake { stderr, .. } if stderr.is_empty()),
        "{err:?}"
    );
}

/// Processes whose command line contains `needle` (read from /proc).
fn processes_with(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|raw| text(&raw).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(needle))
        .collect()
}

#[test]
fn smoke_times_out_a_silent_server_and_leaves_no_process_behind() {
    // A unique argument to find the child by.
    let seconds = format!("{}.{}", 900 + std::process::id() % 100, std::process::id());
    let out = run(&["smoke", "--timeout", "0.5", "--", "sleep", &seconds]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    assert!(
        table.contains("start: no MCP handshake: no answer to initialize"),
        "{table}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        processes_with(&format!("sleep {seconds}")),
        Vec::<String>::new()
    );
}

/// A supervisor config whose default server exits at once and whose fallback is a mock.
fn falling_back_config(name: &str) -> PathBuf {
    config_file(
        name,
        &json!({"mcpServers": {
            "dead": {"command": "/bin/sh", "args": ["-c", "exit 3"]},
            "b": {"command": MOCK}
        }, "default": "dead", "fallback": ["b"], "restart": {"initial_delay_ms": 10000}}),
    )
}

#[test]
fn call_says_which_server_answered_after_a_fallback() {
    let config = falling_back_config("fallback-answer");
    let out = run(&["call", "--json", "--config", config.to_str().unwrap(), "hi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(record["provider"], "b");
    assert_eq!(record["tried"], json!(["dead", "b"]));
    assert!(
        text(&out.stderr).contains("llm-mcp call: answered by b after dead failed"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(config).unwrap();
}

#[test]
fn call_json_failures_are_one_json_object_on_stdout_with_tried() {
    let config = falling_back_config("fallback-fail");
    let path = config.to_str().unwrap();
    let out = run(&[
        "call",
        "--json",
        "--config",
        path,
        "--provider",
        "dead",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["kind"], "unreachable");
    assert_eq!(error["tried"], json!(["dead"]));
    assert_eq!(error["exit_code"], 1);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("[unreachable] dead:")
    );
    // A start failure is an object too, with no kind and nothing tried.
    let out = run(&["call", "--json", "hi", "--", "/no/such/llm-server"]);
    assert_eq!(out.status.code(), Some(3));
    let error: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(error["kind"], Value::Null);
    assert_eq!(error["tried"], json!([]));
    assert!(error["error"].as_str().unwrap().contains("could not start"));
    std::fs::remove_file(config).unwrap();
}

#[test]
fn call_refuses_bad_flags_with_exit_2_before_starting_anything() {
    for flags in [
        ["--tier", "turbo"],
        ["--max-tokens", "0"],
        ["--temperature", "9"],
    ] {
        let out = run(&["call", flags[0], flags[1], "hi", "--", MOCK]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flags:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(flags[0]),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "");
    }
}

#[test]
fn call_takes_a_prompt_that_starts_with_a_dash_and_shows_usage_on_request() {
    let out = run(&["call", "-p", "-v is not a flag here", "--", MOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-v is not a flag here\n");
    let out = run(&["call", "--prompt", "--also", "--", MOCK]);
    assert_eq!(text(&out.stdout), "--also\n", "{}", text(&out.stderr));

    let out = run(&["call", "--usage", "one two three", "--", MOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "one two three\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("llm-mcp call: mock answered with mock-echo-1: ")
            && stderr.contains(" tokens in, ")
            && stderr.contains("$"),
        "{stderr}"
    );
}

#[test]
fn configs_with_misspelt_fields_or_unset_variables_are_refused_by_name() {
    let misspelt = config_file(
        "misspelt",
        &json!({"mcpServers": {"a": {"command": MOCK}}, "fallbacks": ["a"]}),
    );
    let out = run(&["smoke", "--config", misspelt.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("fallbacks: unknown field; did you mean fallback?"),
        "{}",
        text(&out.stderr)
    );
    let unset = config_file(
        "unset-var",
        &json!({"mcpServers": {"local": {"command": MOCK,
            "env": {"OPENAI_BASE_URL": "${LLM_MCP_TEST_NEVER_SET}"}}}}),
    );
    let out = run(&["smoke", "--config", unset.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("mcpServers.local.env.OPENAI_BASE_URL: ${LLM_MCP_TEST_NEVER_SET} is not set"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(misspelt).unwrap();
    std::fs::remove_file(unset).unwrap();
}

/// `llm-mcp smoke --json --no-complete` on `config`, with `env` added: its exit code and rows.
async fn smoke_rows(name: &str, config: &Value, env: &[(&str, &str)]) -> (Option<i32>, Value) {
    let path = config_file(name, config);
    let mut command = tokio::process::Command::from(llm_mcp(&[
        "smoke",
        "--json",
        "--no-complete",
        "--config",
        path.to_str().unwrap(),
    ]));
    command.envs(env.iter().copied());
    let out = command.stdin(Stdio::null()).output().await.unwrap();
    std::fs::remove_file(path).unwrap();
    let rows = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", text(&out.stdout)));
    (out.status.code(), rows)
}

#[tokio::test]
async fn smoke_without_complete_fails_an_unreachable_endpoint_or_a_missing_key() {
    let fake = crate::support::FakeProvider::start().await;
    let models = crate::support::anthropic_api::models(&["claude-test"]);
    fake.fallback("/v1/models", crate::support::Reply::json(200, &models));
    let closed = format!("http://127.0.0.1:{}", crate::support::closed_port());
    let backend = |name: &str, args: &[&str], env: Value| {
        let args: Vec<&str> = ["backend", name]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        json!({"command": LLM_MCP, "args": args, "env": env})
    };
    let at_fake = json!({"ANTHROPIC_BASE_URL": fake.url()});
    let config = json!({"mcpServers": {
        "good": {"command": MOCK},
        "far": backend("ollama", &[], json!({"OLLAMA_HOST": closed})),
        "keyless": backend("anthropic", &[], at_fake.clone()),
        "pasted": backend("anthropic", &["--api-key-env", "PASTED_KEY"],
            json!({"ANTHROPIC_BASE_URL": fake.url(), "PASTED_KEY": "${PASTED_KEY}"})),
    }});
    // What pasting mcp.json.example into a client gives: the placeholder, unexpanded (the
    // supervisor's own config would expand it, so it comes from the environment here, through
    // the entry's `env`: a child inherits no other variable of that kind).
    let pasted = [("PASTED_KEY", "${ANTHROPIC_API_KEY}")];
    let (code, rows) = smoke_rows("no-complete", &config, &pasted).await;
    assert_eq!(code, Some(1), "{rows}");
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["server"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("good")["ok"], true, "{rows}");
    for (name, cause) in [
        (
            "far",
            "unreachable: [unreachable] cannot connect to 127.0.0.1",
        ),
        (
            "keyless",
            "credentials missing: ANTHROPIC_API_KEY is not set",
        ),
        (
            "pasted",
            "credentials unexpanded: PASTED_KEY holds a literal ${...}, not a key",
        ),
    ] {
        let row = row(name);
        assert_eq!(row["ok"], false, "{name}: {row}");
        assert_eq!(row["failed_check"], "status", "{name}: {row}");
        let error = row["error"].as_str().unwrap();
        assert!(error.starts_with(cause), "{name}: {error}");
        // The status itself is kept for the reader.
        assert!(row["status"].is_object(), "{name}: {row}");
    }
    // Both anthropic servers probed the fake, and neither sent the placeholder as a key.
    let probes = fake.requests_to("/v1/models");
    assert_eq!(probes.len(), 2);
    assert!(
        probes
            .iter()
            .all(|r| !r.headers.iter().any(|(k, _)| k == "x-api-key"))
    );
}

#[test]
fn the_smoke_table_shows_a_long_cause_whole_without_the_log_timestamp() {
    let reason = "the configuration names a file that does not exist: ".to_string()
        + &"/a/very/long/path/".repeat(12);
    let script = format!(
        "echo '2026-01-31T12:00:00.123456Z ERROR llm_mcp: {reason}' >&2; echo 'and a second line' >&2; exit 3"
    );
    let out = run(&["smoke", "--", "/bin/sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    assert!(
        table.contains(&format!("ERROR llm_mcp: {reason}")),
        "{table}"
    );
    assert!(!table.contains("2026-01-31T12"), "{table}");
    assert!(
        table.lines().any(|l| l.trim() == "and a second line"),
        "{table}"
    );
}
