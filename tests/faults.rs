//! A fault matrix against fake Anthropic and OpenAI providers: every documented error status
//! with its documented body, broken 200 bodies, slow and broken connections. Each fault must
//! give its documented kind, and the same server process must serve the next call.
//!
//! API DOC: https://docs.claude.com/en/api/errors (Anthropic statuses and error types);
//! https://platform.openai.com/docs/guides/error-codes (OpenAI statuses, bodies and the Python
//! library's status classes: 400, 401, 403, 404, 409, 422, 429, >=500).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::{ANTHROPIC, Backend, OPENAI};
use crate::support::{Ending, FakeProvider, McpProcess, Reply, anthropic_api, openai_api};

/// One fault and what it must become.
struct Fault {
    what: &'static str,
    reply: Reply,
    kind: &'static str,
    status: Option<u16>,
    retryable: bool,
}

fn fault(what: &'static str, reply: Reply, kind: &'static str, status: Option<u16>) -> Fault {
    let retryable = matches!(
        kind,
        "rate_limited" | "overloaded" | "timeout" | "unreachable" | "upstream"
    );
    Fault {
        what,
        reply,
        kind,
        status,
        retryable,
    }
}

/// Sends each fault as the answer to one `complete`, checks the tool error, then checks the
/// same process serves a good answer.
async fn run(backend: Backend, fake: &FakeProvider, server: &mut McpProcess, faults: Vec<Fault>) {
    for fault in faults {
        let before = fake.requests_to(backend.path).len();
        fake.push(backend.path, fault.reply);
        let result = server.call("complete", json!({"prompt": "hi"})).await;
        let context = format!("{} {}: {}", backend.name, fault.what, result.0);
        assert!(result.is_error(), "{context}");
        let text = result.text();
        let prefix = format!("[{}] {}: ", fault.kind, backend.name);
        assert!(text.starts_with(&prefix), "{context}");
        let meta = result.meta();
        assert_eq!(meta["kind"], json!(fault.kind), "{context}");
        assert_eq!(meta["status"], json!(fault.status), "{context}");
        assert_eq!(meta["retryable"], json!(fault.retryable), "{context}");
        assert!(!text.contains(crate::support::backends::KEY), "{context}");
        let sent = fake.requests_to(backend.path).len() - before;
        assert_eq!(sent, 1, "{context}: --max-retries 0 sends once");
        backend.assert_serves(server, fake, "fine again").await;
    }
}

// One fault a line reads as the table it is.
#[rustfmt::skip]
fn anthropic_statuses() -> Vec<Fault> {
    let e = anthropic_api::error_reply;
    vec![
        fault("400", e(400, "invalid_request_error", "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row"), "bad_request", Some(400)),
        fault("400 too long", e(400, "invalid_request_error", "prompt is too long: 208656 tokens > 200000 maximum"), "context_length", Some(400)),
        fault("401", e(401, "authentication_error", "invalid x-api-key"), "auth", Some(401)),
        fault("403", e(403, "permission_error", "Your API key does not have permission to use the specified resource."), "auth", Some(403)),
        fault("404", e(404, "not_found_error", "model: claude-nonexistent-1"), "model_not_found", Some(404)),
        fault("413", e(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."), "context_length", Some(413)),
        // The 413 comes from Cloudflare, before the API: it may not be the API's JSON.
        fault("413 html", Reply::raw(413, "text/html", "<html><head><title>413 Request Entity Too Large</title></head></html>"), "context_length", Some(413)),
        fault("429", e(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "rate_limited", Some(429)),
        fault("429 spend", anthropic_api::spend_limit(), "quota_exceeded", Some(429)),
        fault("500", e(500, "api_error", "Internal server error"), "upstream", Some(500)),
        fault("529", e(529, "overloaded_error", "Overloaded"), "overloaded", Some(529)),
    ]
}

#[rustfmt::skip]
fn openai_statuses() -> Vec<Fault> {
    let e = |status: u16, message: &str, kind: &str, code: Option<&str>| {
        Reply::json(status, &openai_api::error(message, kind, code))
    };
    vec![
        fault("400", e(400, "Invalid value for 'temperature': expected a number between 0 and 2.", "invalid_request_error", Some("invalid_value")), "bad_request", Some(400)),
        fault("400 context", e(400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.", "invalid_request_error", Some("context_length_exceeded")), "context_length", Some(400)),
        fault("401", openai_api::unauthorized(), "auth", Some(401)),
        fault("401 org", e(401, "You must be a member of an organization to use the API.", "invalid_request_error", Some("no_organization")), "auth", Some(401)),
        fault("403", e(403, "Country, region, or territory not supported", "request_forbidden", Some("unsupported_country_region_territory")), "auth", Some(403)),
        fault("404", openai_api::model_not_found("gpt-9-nope"), "model_not_found", Some(404)),
        fault("409", e(409, "The resource was updated by another request.", "invalid_request_error", Some("conflict")), "bad_request", Some(409)),
        fault("422", e(422, "Unprocessable Entity", "invalid_request_error", None), "bad_request", Some(422)),
        fault("429", openai_api::rate_limited(), "rate_limited", Some(429)),
        fault("429 quota", openai_api::insufficient_quota(), "quota_exceeded", Some(429)),
        fault("500", openai_api::server_error(), "upstream", Some(500)),
        fault("503", e(503, "The engine is currently overloaded, please try again later.", "server_error", None), "overloaded", Some(503)),
        fault("503 slow down", e(503, "Slow Down", "server_error", None), "overloaded", Some(503)),
    ]
}

async fn statuses(backend: Backend, faults: Vec<Fault>) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    run(backend, &fake, &mut server, faults).await;
}

#[tokio::test]
async fn every_documented_status_has_its_kind() {
    tokio::join!(
        statuses(ANTHROPIC, anthropic_statuses()),
        statuses(OPENAI, openai_statuses())
    );
}

/// 200 answers whose body is not a completion: empty, not JSON, cut JSON, the wrong shape.
fn broken_bodies(backend: Backend) -> Vec<Fault> {
    let good = (backend.whole)(&backend.answer(&["a complete answer"])).to_string();
    let half = good[..good.len() / 2].to_string();
    let invalid = |what, reply| fault(what, reply, "invalid_response", None);
    let json = |value: Value| Reply::json(200, &value);
    let mut faults = vec![
        invalid("empty", Reply::raw(200, "application/json", "")),
        invalid(
            "html",
            Reply::raw(
                200,
                "text/html",
                "<html><body>502 Bad Gateway</body></html>",
            ),
        ),
        invalid("cut json", Reply::raw(200, "application/json", half)),
        invalid("array", json(json!([1, 2, 3]))),
        invalid("a listing", json(json!({"object": "list", "data": []}))),
    ];
    if backend.name == "anthropic" {
        let text_content = json!({"type": "message", "model": backend.model, "content": "hello"});
        faults.push(invalid("content not blocks", json(text_content)));
    } else {
        faults.push(invalid(
            "choices not a list",
            json(json!({"model": backend.model, "choices": "hello"})),
        ));
        // The legacy Completions API's shape: `text` where a chat completion has `message`.
        let legacy = json!({"id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", "object": "text_completion",
            "created": 1589478378, "model": "gpt-3.5-turbo-instruct",
            "choices": [{"text": "hello", "index": 0, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}});
        faults.push(invalid("legacy completion", json(legacy)));
    }
    faults
}

/// A JSON body sent in two chunks, the second `pause` after the first, then `ending`.
fn two_chunks(body: &str, pause: Duration, ending: Ending) -> Reply {
    let (first, rest) = body.split_at(body.len() / 2);
    let pieces = vec![
        (Duration::ZERO, first.to_string()),
        (pause, rest.to_string()),
    ];
    Reply::chunked(200, "application/json", pieces).ending(ending)
}

/// The connection breaks after the head: closed before the promised length, or reset once the
/// head was surely read.
fn broken_connections(backend: Backend) -> Vec<Fault> {
    let good = (backend.whole)(&backend.answer(&["x".repeat(300).leak()])).to_string();
    let closed = Reply::raw(200, "application/json", good.clone()).ending(Ending::CloseMidBody);
    let reset = two_chunks(&good, Duration::from_millis(150), Ending::ResetMidBody);
    vec![
        fault("closed mid-body", closed, "upstream", None),
        fault("reset mid-body", reset, "upstream", None),
    ]
}

async fn bodies(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    let mut faults = broken_bodies(backend);
    faults.extend(broken_connections(backend));
    run(backend, &fake, &mut server, faults).await;
}

#[tokio::test]
async fn broken_bodies_and_connections_have_their_kind() {
    tokio::join!(bodies(ANTHROPIC), bodies(OPENAI));
}

/// Headers later than the call's timeout are `[timeout]` and the connection is dropped; a body
/// that pauses mid-way but ends within the timeout is a success.
async fn slow(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    fake.push(
        backend.path,
        backend.ok("late").delay(Duration::from_secs(3)),
    );
    let started = Instant::now();
    let args = json!({"prompt": "hi", "timeout_s": 1});
    let result = server.call("complete", args).await;
    let elapsed = started.elapsed();
    result.expect_error("timeout");
    assert_eq!(result.meta()["retryable"], json!(true));
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert!(
        fake.wait_disconnects(1, Duration::from_secs(2)).await,
        "kept waiting"
    );
    backend
        .assert_serves(&mut server, &fake, "after the timeout")
        .await;

    let answer = (backend.whole)(&backend.answer(&["slow but sure"])).to_string();
    let paused = Reply::raw(200, "application/json", answer.clone())
        .pause_mid_body(Duration::from_millis(700));
    let chunked = two_chunks(&answer, Duration::from_millis(700), Ending::Complete);
    for reply in [paused, chunked] {
        fake.push(backend.path, reply);
        let args = json!({"prompt": "hi", "timeout_s": 3});
        let result = server.call("complete", args).await;
        assert_eq!(
            result.record()["output"],
            json!("slow but sure"),
            "{}",
            backend.name
        );
    }
}

#[tokio::test]
async fn slow_headers_time_out_and_slow_bodies_succeed() {
    tokio::join!(slow(ANTHROPIC), slow(OPENAI));
}

/// With retries: a retryable fault then a good answer is a success in two attempts; a fault
/// that is not retryable is sent once.
async fn retries(backend: Backend, overloaded: Reply) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--max-retries", "2"]).await;
    let good = (backend.whole)(&backend.answer(&["y".repeat(300).leak()])).to_string();
    let reset = two_chunks(&good, Duration::from_millis(100), Ending::ResetMidBody);
    let empty = Reply::raw(200, "application/json", "");
    for (what, reply) in [("overloaded", overloaded), ("reset mid-body", reset)] {
        let before = fake.requests_to(backend.path).len();
        fake.push(backend.path, reply);
        fake.push(backend.path, backend.ok("second try"));
        let result = server.call("complete", json!({"prompt": "hi"})).await;
        let record = result.record();
        assert_eq!(
            record["output"],
            json!("second try"),
            "{} {what}",
            backend.name
        );
        assert_eq!(record["attempts"], json!(2), "{} {what}", backend.name);
        assert_eq!(fake.requests_to(backend.path).len() - before, 2);
    }
    for (what, reply, kind) in [
        ("empty 200", empty, "invalid_response"),
        ("401", bad_key(backend), "auth"),
    ] {
        let before = fake.requests_to(backend.path).len();
        fake.push(backend.path, reply);
        server
            .call("complete", json!({"prompt": "hi"}))
            .await
            .expect_error(kind);
        let sent = fake.requests_to(backend.path).len() - before;
        assert_eq!(sent, 1, "{} {what} is not retried", backend.name);
        backend.assert_serves(&mut server, &fake, "fine").await;
    }
}

fn bad_key(backend: Backend) -> Reply {
    match backend.name {
        "anthropic" => anthropic_api::unauthorized(),
        _ => openai_api::unauthorized(),
    }
}

#[tokio::test]
async fn retryable_faults_are_retried_and_others_are_not() {
    let anthropic = anthropic_api::overloaded().header("retry-after", "0");
    let openai = Reply::json(503, &openai_api::error("Slow Down", "server_error", None))
        .header("retry-after-ms", "0");
    tokio::join!(retries(ANTHROPIC, anthropic), retries(OPENAI, openai));
}
