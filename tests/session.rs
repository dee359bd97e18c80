//! The stdio session against the real binaries: a client that stops reading stdout holds the
//! server back (bounded memory, no new requests taken, said on stderr); a closed stdout ends
//! the session and the calls in flight; stdin EOF cancels the calls in flight at once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};

use crate::support::openai_api as api;
use crate::support::raw::rss_kib;
use crate::support::{self, FakeProvider, Reply};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");
const OPENAI: &str = env!("CARGO_BIN_EXE_llm-mcp-openai");
const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

fn line(message: serde_json::Value) -> Vec<u8> {
    let mut bytes = message.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

fn initialize() -> Vec<u8> {
    let mut bytes = line(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "session-tests", "version": "0"}}}),
    );
    bytes.extend(line(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ));
    bytes
}

fn call(id: usize, tool: &str, prompt: &str) -> Vec<u8> {
    line(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": {"prompt": prompt}}}))
}

fn spawn(mut command: tokio::process::Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command.spawn().expect("spawn the server")
}

/// Resident memory of `pid` and all its descendants, in KiB.
fn tree_rss_kib(pid: u32) -> u64 {
    let mut total = rss_kib(pid).unwrap_or(0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
    {
        let Ok(task) = task else { continue };
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            total += tree_rss_kib(child);
        }
    }
    total
}

/// Writes echo calls of `prompt_bytes` for `duration` to a server nobody reads, until the
/// server stops taking them; returns how many went in and the peak memory of its tree.
async fn flood_unread(child: &mut Child, tool: &str, duration: Duration) -> (usize, u64) {
    let pid = child.id().unwrap();
    let stdin: &mut ChildStdin = child.stdin.as_mut().unwrap();
    stdin.write_all(&initialize()).await.unwrap();
    let prompt = "word ".repeat(64 * 1024 / 5);
    let started = Instant::now();
    let mut sent = 0;
    let mut peak = 0;
    while started.elapsed() < duration {
        let message = call(sent + 1, tool, &prompt);
        let write = stdin.write_all(&message);
        match tokio::time::timeout(Duration::from_secs(2), write).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(err)) => panic!("stdin closed after {sent} calls: {err}"),
            // The server stopped reading: backpressure reached the client.
            Err(_) => break,
        }
        if sent % 16 == 0 {
            peak = peak.max(tree_rss_kib(pid));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    (sent, peak.max(tree_rss_kib(pid)))
}

async fn stderr_of(mut child: Child) -> String {
    let _ = child.start_kill();
    let mut text = String::new();
    let mut stderr = child.stderr.take().unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), stderr.read_to_string(&mut text)).await;
    text
}

/// The bound the docs state: 8 MiB queued, 256 requests (64 MiB of lines) in flight, each
/// holding its answer; far below what an unbounded server reached (1.8 GB in 20 s).
const TREE_BOUND_KIB: u64 = 300 * 1024;

#[tokio::test]
async fn a_backend_whose_client_stops_reading_stdout_stops_reading_requests() {
    let mut child = spawn(support::command(MOCK, &[], &[]));
    let (sent, peak) = flood_unread(&mut child, "complete", Duration::from_secs(10)).await;
    assert!(peak < TREE_BOUND_KIB, "{peak} KiB after {sent} calls");
    assert!(sent < 2000, "{sent} calls of 64 KiB were all taken");
    let stderr = stderr_of(child).await;
    assert!(stderr.contains("not reading new requests"), "{stderr}");
}

#[tokio::test]
async fn serve_whose_client_stops_reading_stdout_stops_reading_requests() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    let config = json!({"mcpServers": {"a": {"command": MOCK, "args": ["--name", "a"]}}});
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_str().unwrap();
    let mut child = spawn(support::command(LLM_MCP, &["serve", "--config", path], &[]));
    let (sent, peak) = flood_unread(&mut child, "a__complete", Duration::from_secs(10)).await;
    assert!(peak < TREE_BOUND_KIB, "{peak} KiB after {sent} calls");
    assert!(sent < 2000, "{sent} calls of 64 KiB were all taken");
    let stderr = stderr_of(child).await;
    assert!(stderr.contains("not reading new requests"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A fake OpenAI that answers every call after `delay`.
async fn slow_openai(delay: Duration) -> FakeProvider {
    let fake = FakeProvider::start().await;
    let usage = api::Usage {
        prompt: 1,
        completion: 1,
        cached: 0,
        reasoning: 0,
    };
    let body = api::text("gpt-4o-mini", "late", usage);
    fake.fallback(api::CHAT, Reply::json(200, &body).delay(delay));
    fake
}

#[tokio::test]
async fn a_closed_stdout_ends_the_session_and_sends_no_more_calls() {
    let fake = slow_openai(Duration::from_millis(0)).await;
    let base = format!("{}/v1", fake.url());
    let env = [("OPENAI_API_KEY", "sk-session-key")];
    let mut child = spawn(support::command(OPENAI, &["--base-url", &base], &env));
    drop(child.stdout.take());
    let stdin = child.stdin.as_mut().unwrap();
    // The answer to initialize fails to be written: the session is over.
    stdin.write_all(&initialize()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in 1..=20 {
        if stdin
            .write_all(&call(id, "complete", "hello"))
            .await
            .is_err()
        {
            break;
        }
    }
    let exited = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    assert!(exited.is_ok(), "still running with stdout closed");
    assert_eq!(fake.received(), 0, "calls went to the provider after EPIPE");
}

#[tokio::test]
async fn stdin_eof_cancels_the_calls_in_flight_at_once() {
    let fake = slow_openai(Duration::from_secs(30)).await;
    let base = format!("{}/v1", fake.url());
    let env = [("OPENAI_API_KEY", "sk-session-key")];
    let mut child = spawn(support::command(OPENAI, &["--base-url", &base], &env));
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(&initialize()).await.unwrap();
    for id in 1..=3 {
        stdin
            .write_all(&call(id, "complete", "hello"))
            .await
            .unwrap();
    }
    assert!(fake.wait_requests(3, Duration::from_secs(10)).await);
    let started = Instant::now();
    drop(child.stdin.take());
    let exited = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    assert!(exited.is_ok(), "still running after stdin EOF");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "exit took {:?}",
        started.elapsed()
    );
    assert!(
        fake.wait_disconnects(3, Duration::from_secs(2)).await,
        "calls not cancelled"
    );
}

/// Regression: a child's answer over the 16 MiB line bound (a 3 MiB prompt of `"`, escaped
/// twice in the echo) was dropped by `serve`, and the call waited 660 s.
#[tokio::test]
async fn serve_fails_a_call_whose_child_answer_is_over_the_line_bound_at_once() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-session-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    let config = json!({"mcpServers": {"a": {"command": MOCK, "args": ["--name", "a"]}}});
    std::fs::write(&path, config.to_string()).unwrap();
    let command = support::command(LLM_MCP, &["serve", "--config", path.to_str().unwrap()], &[]);
    let mut server = crate::support::raw::RawServer::spawn(command);
    server.initialize().await;
    let prompt = "\"".repeat(3 * 1024 * 1024);
    let started = Instant::now();
    let params = json!({"name": "a__complete", "arguments": {"prompt": prompt}});
    let answer = server.request("tools/call", params).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let text = answer.to_string();
    assert!(
        text.contains("answer is over 16 MiB"),
        "{}",
        &text[..text.len().min(2000)]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Regression: every child inherited every key in the supervisor's environment. A child from
/// the file gets what it needs to run and what its entry's `env` names, nothing else.
#[tokio::test]
async fn a_child_gets_only_what_its_entry_names_and_what_it_needs_to_run() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-session-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seen = dir.join("env.txt");
    let script = format!("env > '{}'; exec \"$0\" --name a", seen.display());
    let config = json!({"mcpServers": {"a": {"command": "/bin/sh", "args": ["-c", script, MOCK],
        "env": {"NAMED": "${NAMED_SOURCE}"}}}});
    let path = dir.join("servers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let env = [
        ("OPENAI_API_KEY", "sk-not-for-children"),
        ("NAMED_SOURCE", "named-value"),
        ("LC_ALL", "C"),
    ];
    let command = support::command(
        LLM_MCP,
        &["serve", "--config", path.to_str().unwrap()],
        &env,
    );
    let mut server = crate::support::raw::RawServer::spawn(command);
    server.initialize().await;
    let text = std::fs::read_to_string(&seen).unwrap();
    let names: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
    assert!(!text.contains("sk-not-for-children"), "{text}");
    assert!(!names.contains(&"NAMED_SOURCE"), "{text}");
    assert!(text.contains("NAMED=named-value"), "{text}");
    for needed in ["PATH", "HOME", "LC_ALL", "LLM_MCP_KEYCHAIN"] {
        assert!(names.contains(&needed), "{needed} missing: {text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Regression: `serve` made every child stream (rmcp gives each request a progress token), so
/// a `200 text/html` answer became a retryable `[upstream] … cut off mid-answer`. A client
/// that asks for no progress now gets the backend's whole-answer verdict.
#[tokio::test]
async fn serve_does_not_stream_when_its_client_asked_for_no_progress() {
    let fake = FakeProvider::start().await;
    fake.fallback(
        api::CHAT,
        Reply::raw(200, "text/html", "<html>a login page</html>"),
    );
    let dir = std::env::temp_dir().join(format!("llm-mcp-session-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    let base = format!("{}/v1", fake.url());
    let config = json!({"mcpServers": {"o": {"command": LLM_MCP,
        "args": ["backend", "openai", "--base-url", base],
        "env": {"OPENAI_API_KEY": "sk-session-key"}}}});
    std::fs::write(&path, config.to_string()).unwrap();
    let command = support::command(LLM_MCP, &["serve", "--config", path.to_str().unwrap()], &[]);
    let mut server = crate::support::raw::RawServer::spawn(command);
    server.initialize().await;
    let params = json!({"name": "complete", "arguments": {"prompt": "hi"}});
    let answer = server.request("tools/call", params).await;
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("[invalid_response]"), "{answer}");
    let requests = fake.requests_to(api::CHAT);
    assert!(!requests.is_empty());
    for request in requests {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_ne!(body["stream"], json!(true), "streamed: {body}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
