//! Protocol fuzzing of a real server binary: thousands of random, mutated and hostile lines on
//! stdin (wrong types, odd ids, invalid UTF-8, deep nesting, lines of 8 and 17 MB, batches,
//! stray responses). The server must stay up, write only JSON-RPC 2.0 objects on stdout, never
//! answer one request twice, and still serve valid calls afterwards.
//!
//! Each run picks a seed (printed; replay with `LLM_MCP_FUZZ_SEED=N`).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::fuzz_gen::{self as fuzz, Rng};
use crate::support::openai_api::{self as api, Usage};
use crate::support::raw::{RawServer, excerpt, id_key};
use crate::support::{self, EXIT_GRACE, FakeProvider, Reply};

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");
const OPENAI: &str = env!("CARGO_BIN_EXE_llm-mcp-openai");

/// How many requests each id was sent in, counted the way a server parses the lines.
#[derive(Default)]
struct Ledger {
    sent: HashMap<String, usize>,
}

impl Ledger {
    fn note(&mut self, line: &[u8]) {
        let Ok(parsed) = serde_json::from_slice::<Value>(line) else {
            // The server reads the id of a request it cannot parse (a `1e400`, nesting too
            // deep) to say so: count it too.
            if let Some(id) = unparsed_request_id(line) {
                *self.sent.entry(id).or_default() += 1;
            }
            return;
        };
        let messages = match parsed {
            Value::Array(items) => items,
            one => vec![one],
        };
        for message in messages {
            if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
                *self.sent.entry(id_key(id)).or_default() += 1;
            }
        }
    }
}

/// The top-level `"id"` (as [`id_key`] text) of an object line serde_json rejects, when the
/// line also has a top-level `"method"`: a walk that tracks strings and nesting only.
fn unparsed_request_id(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut id, mut method) = (0usize, 0usize, None, false);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let key = text.get(start..=i).unwrap_or("");
                let rest = text.get(i + 1..).unwrap_or("").trim_start();
                if depth == 1 && rest.starts_with(':') {
                    let value = rest.get(1..).unwrap_or("").trim_start();
                    if key == "\"id\"" {
                        // The one JSON value that starts there (a string id may hold a `,`
                        // or a `}`).
                        let mut values =
                            serde_json::Deserializer::from_str(value).into_iter::<Value>();
                        id = values.next().and_then(Result::ok);
                    } else if key == "\"method\"" {
                        method = true;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    let id = id.filter(|id| id.is_string() || id.is_number())?;
    method.then(|| id_key(&id))
}

/// Writes one line, checking the server still reads its stdin.
async fn send(server: &mut RawServer, ledger: &mut Ledger, seed: u64, line: &[u8]) {
    ledger.note(line);
    let mut bytes = line.to_vec();
    bytes.push(b'\n');
    assert!(
        server.write_raw(&bytes).await,
        "seed {seed}: the server stopped reading after {}; stderr: {}",
        excerpt(line),
        server.stderr_tail()
    );
}

/// The big lines: an ~8 MB valid call, ~8 MB of garbage, and a 17 MB line rmcp must drop.
async fn send_big_lines(server: &mut RawServer, ledger: &mut Ledger, seed: u64) {
    let prompt = "word ".repeat(8 * 1024 * 1024 / 5);
    let call = json!({"jsonrpc": "2.0", "id": "big-8mb", "method": "tools/call",
        "params": {"name": "complete", "arguments": {"prompt": prompt}}});
    send(server, ledger, seed, call.to_string().as_bytes()).await;
    let garbage = vec![b'{'; 8 * 1024 * 1024];
    send(server, ledger, seed, &garbage).await;
    let padding = "x".repeat(17 * 1024 * 1024);
    let huge =
        json!({"jsonrpc": "2.0", "id": "big-17mb", "method": "ping", "params": {"pad": padding}});
    send(server, ledger, seed, huge.to_string().as_bytes()).await;
}

/// `count` generated lines, the big lines in the middle; checks the process every 100 lines.
async fn fuzz_lines(server: &mut RawServer, ledger: &mut Ledger, seed: u64, count: u64) {
    let mut rng = Rng::new(seed);
    for n in 0..count {
        if n == count / 2 {
            send_big_lines(server, ledger, seed).await;
        }
        let line = fuzz::line(&mut rng, n);
        send(server, ledger, seed, &line).await;
        if n % 100 == 0 {
            assert!(server.alive(), "seed {seed}: exited after line {n}");
        }
    }
}

/// After the fuzz: still alive, a valid tools/list and complete work, stdout was clean and no
/// id got more answers than requests carried it.
async fn check_after(server: &mut RawServer, ledger: &Ledger, seed: u64, expected_output: &str) {
    let ping = server.request("ping", json!({})).await;
    assert_eq!(ping["result"], json!({}), "seed {seed}: {ping}");
    let tools = server.request("tools/list", json!({})).await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("seed {seed}: tools/list: {tools}"))
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names.len(), 4, "seed {seed}: {names:?}");
    for name in ["complete", "chat", "list_models", "status"] {
        assert!(names.contains(&name), "seed {seed}: {name} missing");
    }
    let params = json!({"name": "complete", "arguments": {"prompt": "still here"}});
    let call = server.request("tools/call", params).await;
    let record = &call["result"]["structuredContent"];
    assert_eq!(
        record["output"],
        json!(expected_output),
        "seed {seed}: {call}"
    );
    let big = usize::from(ledger.sent.contains_key(&id_key(&json!("big-17mb"))));
    assert_eq!(
        server.answers_to("big-17mb"),
        big,
        "seed {seed}: a line over 16 MiB gets one error, with its id"
    );
    if ledger.sent.contains_key(&id_key(&json!("big-8mb"))) {
        for _ in 0..100 {
            if server.answers_to("big-8mb") > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            server.answers_to("big-8mb"),
            1,
            "seed {seed}: the 8 MB call"
        );
    }
    eprintln!(
        "{} stdout lines, {} ids answered, {} ids sent",
        server.line_count(),
        server.answered().len(),
        ledger.sent.len()
    );
    assert!(server.alive(), "seed {seed}: exited");
    let violations = server.violations();
    assert!(violations.is_empty(), "seed {seed}: {violations:#?}");
    for (id, answers) in server.answered() {
        let sent = ledger.sent.get(&id).copied().unwrap_or(0);
        let own = id.starts_with("\"drv-");
        assert!(
            answers <= sent.max(usize::from(own)),
            "seed {seed}: id {id} answered {answers} times, sent in {sent} requests"
        );
    }
}

trait Answers {
    fn answers_to(&self, id: &str) -> usize;
}

impl Answers for RawServer {
    fn answers_to(&self, id: &str) -> usize {
        let key = id_key(&json!(id));
        self.answered().get(&key).copied().unwrap_or(0)
    }
}

/// Closes stdin and expects a clean exit.
async fn finish(server: RawServer, seed: u64) {
    let code = server.shutdown(EXIT_GRACE).await;
    assert_eq!(code, Some(0), "seed {seed}: exit after stdin closed");
}

fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> RawServer {
    RawServer::spawn(support::command(binary, args, env))
}

#[tokio::test]
async fn mock_survives_thousands_of_hostile_lines() {
    let seed = fuzz::seed();
    eprintln!("fuzz seed {seed} (replay with LLM_MCP_FUZZ_SEED={seed})");
    let mut server = start(MOCK, &[], &[]);
    let mut ledger = Ledger::default();
    server.initialize().await;
    fuzz_lines(&mut server, &mut ledger, seed, 3000).await;
    // Let the big echo and the last calls drain before checking.
    check_after(&mut server, &ledger, seed, "still here").await;
    finish(server, seed).await;
}

#[tokio::test]
async fn openai_against_the_fake_survives_hostile_lines() {
    let seed = fuzz::seed() ^ 0x5eed;
    eprintln!("fuzz seed {seed} (replay with LLM_MCP_FUZZ_SEED={seed})");
    let fake = FakeProvider::start().await;
    let usage = Usage {
        prompt: 3,
        completion: 2,
        cached: 0,
        reasoning: 0,
    };
    let body = api::text("gpt-4o-mini", "still here", usage);
    fake.fallback(api::CHAT, Reply::json(200, &body));
    fake.fallback(
        api::MODELS,
        Reply::json(200, &api::models(&["gpt-4o-mini"])),
    );
    let base = format!("{}/v1", fake.url());
    let env = [("OPENAI_API_KEY", "sk-fuzz-key")];
    let mut server = start(OPENAI, &["--base-url", &base], &env);
    let mut ledger = Ledger::default();
    server.initialize().await;
    fuzz_lines(&mut server, &mut ledger, seed, 1500).await;
    check_after(&mut server, &ledger, seed, "still here").await;
    finish(server, seed).await;
}

/// Before `initialize`, nothing (requests, notifications, responses, garbage) may end the
/// server.
#[tokio::test]
async fn hostile_requests_before_initialize_are_survived() {
    let seed = fuzz::seed();
    eprintln!("fuzz seed {seed} (replay with LLM_MCP_FUZZ_SEED={seed})");
    let mut rng = Rng::new(seed);
    let mut server = start(MOCK, &[], &[]);
    let mut ledger = Ledger::default();
    for n in 0..500u64 {
        let line = fuzz::line(&mut rng, n);
        send(&mut server, &mut ledger, seed, &line).await;
    }
    send(&mut server, &mut ledger, seed, &fuzz::deep(5000, false, 0)).await;
    server.initialize().await;
    check_after(&mut server, &ledger, seed, "still here").await;
    finish(server, seed).await;
}

/// Regression: rmcp 3.9 ends the session (exit 1, "expect initialized request") when the first
/// message is a notification or a response, e.g. a client that sends
/// `notifications/initialized` too early; `llm_mcp::run::stdio` drops those until the first
/// request.
#[tokio::test]
async fn a_notification_before_initialize_does_not_end_the_server() {
    let mut server = start(MOCK, &[], &[]);
    let early = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    server.send(&early).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.alive(), "stderr: {}", server.stderr_tail());
    server.initialize().await;
}

/// Regression: rmcp 3.9 answers a request whose `params` do not fit its method (`tools/list`
/// with `"params": 5`, `ping` with a string) with `-32600 Invalid request` and no `id`, so the
/// client cannot tell which request failed; the stdio reader answers it with the id.
#[tokio::test]
async fn a_request_with_malformed_params_is_answered_with_its_id() {
    let mut server = start(MOCK, &[], &[]);
    server.initialize().await;
    let bad = json!({"jsonrpc": "2.0", "id": "bad-params", "method": "tools/list", "params": 5});
    server.send(&bad).await;
    server.request("ping", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.answers_to("bad-params"),
        1,
        "no answer carried the id"
    );
}
