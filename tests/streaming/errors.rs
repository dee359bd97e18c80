//! Streams that go wrong part-way: cut before the event that completes the answer, closed or
//! reset mid-body, or carrying the provider's error mid-stream. Each is an error of its kind,
//! never a truncated success, and the server serves the next call.
//!
//! API DOC (the mid-stream errors): https://docs.claude.com/en/api/messages-streaming (`error`
//! events); https://docs.ollama.com/api/errors ("Errors that occur while streaming": an
//! `{"error": "..."}` line, the status stays 200);
//! https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent (a
//! `google.rpc.Status` chunk); https://docs.mistral.ai/resources/error-glossary (the error
//! object and its types `invalid_request_error`, `authentication_error`, `rate_limit_error`,
//! `server_error`).

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::backends::{
    ALL, ANTHROPIC, Backend, GEMINI, MISTRAL, OLLAMA, OPENAI, assert_strictly_increasing,
    call_with_progress,
};
use crate::support::mcp::ToolResult;
use crate::support::{Ending, FakeProvider, McpProcess, Reply, sse};

/// Sends a streamed `complete`, expects a tool error of `kind` (not a record), that the
/// provider was asked once (a stream that broke after text went out is not silently restarted),
/// and that the server then serves the next call.
async fn expect_stream_error(
    backend: Backend,
    fake: &FakeProvider,
    server: &mut McpProcess,
    reply: Reply,
    kind: &str,
) -> String {
    let before = fake.requests_to(backend.stream_path).len();
    fake.push(backend.stream_path, reply);
    let (notes, response) =
        call_with_progress(server, "complete", json!({"prompt": "hi"}), "tok-err").await;
    let result = ToolResult(response["result"].clone());
    assert!(result.0.get("structuredContent").is_none(), "{}", result.0);
    let text = result.expect_error(kind);
    assert_eq!(result.meta()["retryable"], json!(true), "{}", result.0);
    let sent = fake.requests_to(backend.stream_path).len();
    assert_eq!(sent, before + 1, "{}: {text}", backend.name);
    assert_strictly_increasing(&notes, "tok-err");
    backend.assert_serves(server, fake, "recovered").await;
    text
}

/// `events` up to (not including) `end`.
fn first(events: &[String], end: usize) -> Vec<String> {
    events[..end].to_vec()
}

async fn cut_streams_are_upstream_errors(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    let answer = backend.answer(&["one ", "two ", "three ", "four"]);
    let events = (backend.events)(&answer);
    // The event that completes the answer: Anthropic's message_stop, Ollama's `done: true`
    // line, Gemini's chunk with a finishReason, the finish_reason chunk of OpenAI and Mistral
    // (a finish_reason without [DONE] counts as complete, see
    // src/providers/openai/streaming.rs).
    let end = backend.final_event(&answer);
    // Some text went out, and at least one more event is due before the end.
    let mid = (end - 1).min(4);
    assert!(mid > backend.first_text, "{}", backend.name);
    let gap = Duration::from_millis(2);
    // A clean end of the body mid-text.
    let cut = backend.stream_reply(first(&events, mid), gap);
    let text = expect_stream_error(backend, &fake, &mut server, cut, "upstream").await;
    assert!(text.contains("final event"), "{}: {text}", backend.name);
    // Everything but the event that completes the answer.
    let no_end = backend.stream_reply(first(&events, end), gap);
    expect_stream_error(backend, &fake, &mut server, no_end, "upstream").await;
    // The connection closes mid-body (no last chunk), or is reset after a pause.
    let closed = backend
        .stream_reply(first(&events, mid), gap)
        .ending(Ending::CloseMidBody);
    let text = expect_stream_error(backend, &fake, &mut server, closed, "upstream").await;
    assert!(text.contains("broke"), "{}: {text}", backend.name);
    let mut paused: Vec<(Duration, String)> =
        first(&events, mid).into_iter().map(|e| (gap, e)).collect();
    paused.push((Duration::from_millis(200), events[mid].clone()));
    let reset =
        Reply::chunked(200, backend.framing.content_type(), paused).ending(Ending::ResetMidBody);
    expect_stream_error(backend, &fake, &mut server, reset, "upstream").await;
}

#[tokio::test]
async fn a_stream_cut_before_its_final_event_is_upstream() {
    futures::future::join_all(ALL.map(cut_streams_are_upstream_errors)).await;
}

#[tokio::test]
async fn openai_finish_reason_without_done_is_complete() {
    // Documented leniency for compatible servers that close after finish_reason.
    let fake = FakeProvider::start().await;
    let mut server = OPENAI.start(&fake, &[]).await;
    let answer = OPENAI.answer(&["all ", "here"]);
    let events = (OPENAI.events)(&answer);
    fake.push(
        OPENAI.path,
        OPENAI.stream_reply(first(&events, events.len() - 2), Duration::ZERO),
    );
    let (_, response) =
        call_with_progress(&mut server, "complete", json!({"prompt": "hi"}), "t").await;
    let record = ToolResult(response["result"].clone()).record().clone();
    assert_eq!(record["output"], json!("all here"));
    assert_eq!(record["finish_reason"], json!("stop"));
}

/// One error a provider sends mid-stream: the event, the kind it must give, and a piece of
/// the provider's message the error must keep.
struct MidStream {
    event: String,
    kind: &'static str,
    says: &'static str,
}

fn mid(event: String, kind: &'static str, says: &'static str) -> MidStream {
    MidStream { event, kind, says }
}

fn gemini_error(code: u16, status: &str, message: &str) -> String {
    let error = json!({"error": {"code": code, "message": message, "status": status}});
    format!("data: {error}\r\n\r\n")
}

fn mistral_error(message: &str, kind: &str, code: &str) -> String {
    sse::data(&json!({"object": "error", "message": message, "type": kind,
                      "param": null, "code": code}))
}

// One error a line reads as the table it is.
#[rustfmt::skip]
fn mid_stream_errors(backend: &Backend) -> Vec<MidStream> {
    let openai = |error: Value| sse::data(&json!({"error": error}));
    match backend.name {
        "anthropic" => vec![
            mid(sse::event("error", &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})), "overloaded", "overloaded_error"),
        ],
        "openai" => vec![
            mid(openai(json!({"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null})), "upstream", "Sorry about that"),
            mid(openai(json!({"message": "Rate limit reached for gpt-4o-mini on tokens per min (TPM)", "type": "tokens", "param": null, "code": "rate_limit_exceeded"})), "rate_limited", "Rate limit reached"),
        ],
        // Ollama's stream errors carry no status: they read as a 500.
        "ollama" => vec![
            mid("{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n".into(), "upstream", "an error was encountered while running the model"),
            mid("{\"error\":\"XML syntax error on line 3: unexpected EOF\"}\n".into(), "upstream", "XML syntax error"),
        ],
        "gemini" => vec![
            mid(gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), "overloaded", "The model is overloaded"),
            mid(gemini_error(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"), "upstream", "An internal error has occurred"),
            mid(gemini_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."), "rate_limited", "Resource has been exhausted"),
        ],
        "mistral" => vec![
            mid(mistral_error("Requests rate limit exceeded", "rate_limit_error", "1300"), "rate_limited", "Requests rate limit exceeded"),
            mid(mistral_error("Internal server error", "server_error", "1000"), "upstream", "Internal server error"),
        ],
        other => panic!("no mid-stream errors for {other}"),
    }
}

/// Each error after the first piece of text (and before the end) fails the call with its kind.
async fn errors_mid_stream(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    let answer = backend.answer(&["Hel", "lo", " there"]);
    let events = (backend.events)(&answer);
    // Up to and including the first text.
    let head = backend.first_text + 1;
    for error in mid_stream_errors(&backend) {
        let mut sent = first(&events, head);
        sent.push(error.event);
        let reply = backend.stream_reply(sent, Duration::from_millis(2));
        let text = expect_stream_error(backend, &fake, &mut server, reply, error.kind).await;
        assert!(text.contains(error.says), "{}: {text}", backend.name);
    }
}

#[tokio::test]
async fn error_events_mid_stream_keep_their_kind() {
    tokio::join!(
        errors_mid_stream(ANTHROPIC),
        errors_mid_stream(OPENAI),
        errors_mid_stream(OLLAMA),
        errors_mid_stream(GEMINI),
        errors_mid_stream(MISTRAL),
    );
}
