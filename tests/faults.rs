//! A fault matrix against fake Anthropic, OpenAI, Ollama, Gemini and Mistral providers: every
//! documented error status with its documented body (the tables are in [`tables`]), broken 200
//! bodies, slow and broken connections. Each fault must give its documented kind, and the same
//! server process must serve the next call.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::{ALL, ANTHROPIC, Backend, GEMINI, MISTRAL, OLLAMA, OPENAI};
use crate::support::{Ending, FakeProvider, McpProcess, Reply};

mod tables;

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

async fn statuses(backend: Backend, faults: Vec<Fault>) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    run(backend, &fake, &mut server, faults).await;
}

#[tokio::test]
async fn every_documented_status_has_its_kind() {
    tokio::join!(
        statuses(ANTHROPIC, tables::anthropic_statuses()),
        statuses(OPENAI, tables::openai_statuses()),
        statuses(OLLAMA, tables::ollama_statuses()),
        statuses(GEMINI, tables::gemini_statuses()),
        statuses(MISTRAL, tables::mistral_statuses()),
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
    faults.extend(
        tables::wrong_shapes(backend)
            .into_iter()
            .map(|(what, body)| invalid(what, json(body))),
    );
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
    futures::future::join_all(ALL.map(bodies)).await;
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
    futures::future::join_all(ALL.map(slow)).await;
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
        ("401", tables::bad_key(backend), "auth"),
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

#[tokio::test]
async fn retryable_faults_are_retried_and_others_are_not() {
    let runs = ALL.map(|backend| retries(backend, tables::overloaded(backend)));
    futures::future::join_all(runs).await;
}
