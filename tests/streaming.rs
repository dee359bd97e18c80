//! Streaming against fake Anthropic and OpenAI providers: a call with a progress token streams
//! (SSE) and gives the same record as one without; progress carries the text; heartbeats keep
//! a slow call alive; a stream that breaks or reports an error mid-way is an error, never a
//! truncated success; a cancelled stream drops the provider connection at once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::{
    ANTHROPIC, Backend, OPENAI, assert_strictly_increasing, call_with_progress, is_heartbeat,
    streamed_text,
};
use crate::support::mcp::ToolResult;
use crate::support::sse::{self, Answer, ToolCall};
use crate::support::{Ending, FakeProvider, Reply};

/// The record without what legitimately differs between two calls of the same answer.
fn comparable(record: &Value) -> Value {
    let mut record = record.clone();
    let fields = record.as_object_mut().expect("a record is an object");
    assert!(fields.remove("latency_ms").is_some(), "{record:?}");
    assert!(fields.remove("attempts").is_some());
    record
}

fn weather_tool() -> ToolCall {
    ToolCall {
        id: "toolu_01A09q90qw90lq917835lq9",
        name: "get_weather",
        fragments: vec!["", "{\"city\": \"Pa", "ris\", \"unit\"", ": \"celsius\"}"],
    }
}

/// The answers both paths must agree on: text with cache tokens, and a tool call.
fn answers(backend: &Backend) -> Vec<(&'static str, Answer)> {
    let mut text = backend.answer(&["Hello", ", wor", "ld! ", "Ünïcödé ✓", " done."]);
    text.input = 100;
    text.output = 30;
    text.cache_read = 50;
    text.cache_write = if backend.name == "anthropic" { 20 } else { 0 };
    let mut tool = backend.answer(if backend.name == "anthropic" {
        &["Let me ", "check."]
    } else {
        &[]
    });
    tool.tool = Some(weather_tool());
    tool.stop = if backend.name == "anthropic" {
        "tool_use"
    } else {
        "tool_calls"
    };
    let mut cut = backend.answer(&["cut ", "short"]);
    cut.stop = if backend.name == "anthropic" {
        "max_tokens"
    } else {
        "length"
    };
    vec![("complete", text), ("chat", tool), ("complete", cut)]
}

fn arguments(tool: &str) -> Value {
    match tool {
        "chat" => json!({
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "tools": [{"name": "get_weather", "description": "Weather for a city",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
        }),
        _ => json!({"prompt": "Say hello"}),
    }
}

async fn streamed_and_whole_agree(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    for (index, (tool, answer)) in answers(&backend).into_iter().enumerate() {
        fake.push(backend.path, Reply::json(200, &(backend.whole)(&answer)));
        fake.push(
            backend.path,
            backend.streamed(&answer, Duration::from_millis(2)),
        );
        let whole = server.call(tool, arguments(tool)).await;
        let token = format!("tok-{index}");
        let (notes, response) =
            call_with_progress(&mut server, tool, arguments(tool), &token).await;
        let streamed = ToolResult(response["result"].clone());
        let (whole, streamed) = (whole.record(), streamed.record());
        assert_eq!(
            comparable(whole),
            comparable(streamed),
            "{} {tool}",
            backend.name
        );
        assert_eq!(whole["output"], json!(answer.text()));
        if let Some(call) = &answer.tool {
            let expected =
                json!([{"id": call.id, "name": call.name, "arguments": call.arguments()}]);
            assert_eq!(streamed["tool_calls"], expected, "{}", backend.name);
        }
        assert_strictly_increasing(&notes, &token);
        assert!(
            notes.iter().all(|n| !is_heartbeat(n)),
            "no wait, no heartbeat"
        );
        assert_eq!(streamed_text(&notes), answer.text(), "{}", backend.name);
        if !answer.pieces.is_empty() {
            assert!(notes.len() > 1, "text arrives piece by piece: {notes:?}");
        }
        let sent = fake.requests_to(backend.path);
        let (plain, stream) = (sent[2 * index].body_json(), sent[2 * index + 1].body_json());
        assert!(
            plain.get("stream").is_none_or(|s| s == &json!(false)),
            "{plain}"
        );
        assert_eq!(stream["stream"], json!(true), "{stream}");
        if backend.name == "openai" {
            assert_eq!(stream["stream_options"], json!({"include_usage": true}));
        }
    }
}

#[tokio::test]
async fn anthropic_streamed_and_whole_records_are_identical() {
    streamed_and_whole_agree(ANTHROPIC).await;
}

#[tokio::test]
async fn openai_streamed_and_whole_records_are_identical() {
    streamed_and_whole_agree(OPENAI).await;
}

/// The fake waits 5 s before its first byte: heartbeats (2 s apart) keep the call alive, all
/// of them before the text, and the answer still arrives whole.
async fn heartbeats_while_waiting(backend: Backend) {
    let fake = FakeProvider::start().await;
    let answer = backend.answer(&["worth ", "the wait"]);
    let reply = backend.streamed(&answer, Duration::ZERO);
    fake.push(backend.path, reply.delay(Duration::from_secs(5)));
    let mut server = backend.start(&fake, &[]).await;
    let token = "tok-slow";
    let (notes, response) =
        call_with_progress(&mut server, "complete", json!({"prompt": "hi"}), token).await;
    let record = ToolResult(response["result"].clone()).record().clone();
    assert_eq!(
        record["output"],
        json!("worth the wait"),
        "{}",
        backend.name
    );
    assert_strictly_increasing(&notes, token);
    let beats = notes.iter().take_while(|n| is_heartbeat(n)).count();
    assert!(
        beats >= 2,
        "{}: heartbeats at 2 s and 4 s: {notes:?}",
        backend.name
    );
    assert!(notes[beats..].iter().all(|n| !is_heartbeat(n)), "{notes:?}");
    assert_eq!(streamed_text(&notes), "worth the wait");
}

#[tokio::test]
async fn a_slow_first_byte_gets_heartbeats() {
    // One 5 s wait covers both backends.
    tokio::join!(
        heartbeats_while_waiting(ANTHROPIC),
        heartbeats_while_waiting(OPENAI)
    );
}

/// Sends a streamed `complete`, expects a tool error of `kind` (not a record), that the
/// provider was asked once (a stream that broke after text went out is not silently restarted),
/// and that the server then serves the next call.
async fn expect_stream_error(
    backend: Backend,
    fake: &FakeProvider,
    server: &mut crate::support::McpProcess,
    reply: Reply,
    kind: &str,
) -> String {
    let before = fake.requests_to(backend.path).len();
    fake.push(backend.path, reply);
    let (notes, response) =
        call_with_progress(server, "complete", json!({"prompt": "hi"}), "tok-err").await;
    let result = ToolResult(response["result"].clone());
    assert!(result.0.get("structuredContent").is_none(), "{}", result.0);
    let text = result.expect_error(kind);
    assert_eq!(result.meta()["retryable"], json!(true), "{}", result.0);
    assert_eq!(fake.requests_to(backend.path).len(), before + 1, "{text}");
    assert_strictly_increasing(&notes, "tok-err");
    backend.assert_serves(server, fake, "recovered").await;
    text
}

/// `events` up to (not including) `end`, a few ms apart.
fn first(events: &[String], end: usize) -> Vec<String> {
    events[..end].to_vec()
}

async fn cut_streams_are_upstream_errors(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    let answer = backend.answer(&["one ", "two ", "three ", "four"]);
    let events = (backend.events)(&answer);
    let gap = Duration::from_millis(2);
    // A clean end of the body mid-text.
    let mid = sse::reply(first(&events, 4), gap);
    let text = expect_stream_error(backend, &fake, &mut server, mid, "upstream").await;
    assert!(text.contains("final event"), "{text}");
    // Everything but the final event: Anthropic's message_stop; for OpenAI everything before
    // the finish_reason chunk (a finish_reason without [DONE] counts as complete, see
    // src/providers/openai/streaming.rs).
    let last = if backend.name == "anthropic" {
        events.len() - 1
    } else {
        1 + answer.pieces.len()
    };
    let no_end = sse::reply(first(&events, last), gap);
    expect_stream_error(backend, &fake, &mut server, no_end, "upstream").await;
    // The connection closes mid-body (no last chunk), or is reset after a pause.
    let closed = sse::reply(first(&events, 4), gap).ending(Ending::CloseMidBody);
    let text = expect_stream_error(backend, &fake, &mut server, closed, "upstream").await;
    assert!(text.contains("broke"), "{text}");
    let mut paused: Vec<(Duration, String)> =
        first(&events, 4).into_iter().map(|e| (gap, e)).collect();
    paused.push((Duration::from_millis(200), events[4].clone()));
    let reset = Reply::chunked(200, "text/event-stream", paused).ending(Ending::ResetMidBody);
    expect_stream_error(backend, &fake, &mut server, reset, "upstream").await;
}

#[tokio::test]
async fn a_stream_cut_before_its_final_event_is_upstream() {
    tokio::join!(
        cut_streams_are_upstream_errors(ANTHROPIC),
        cut_streams_are_upstream_errors(OPENAI)
    );
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
        sse::reply(first(&events, events.len() - 2), Duration::ZERO),
    );
    let (_, response) =
        call_with_progress(&mut server, "complete", json!({"prompt": "hi"}), "t").await;
    let record = ToolResult(response["result"].clone()).record().clone();
    assert_eq!(record["output"], json!("all here"));
    assert_eq!(record["finish_reason"], json!("stop"));
}

#[tokio::test]
async fn error_events_mid_stream_keep_their_kind() {
    let anthropic = async {
        let fake = FakeProvider::start().await;
        let mut server = ANTHROPIC.start(&fake, &[]).await;
        let mut events = first(&(ANTHROPIC.events)(&ANTHROPIC.answer(&["Hel", "lo"])), 4);
        let error = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
        events.push(sse::event("error", &error));
        let reply = sse::reply(events, Duration::from_millis(2));
        let text = expect_stream_error(ANTHROPIC, &fake, &mut server, reply, "overloaded").await;
        assert!(text.contains("overloaded_error"), "{text}");
    };
    let openai = async {
        let fake = FakeProvider::start().await;
        let mut server = OPENAI.start(&fake, &[]).await;
        let head = first(&(OPENAI.events)(&OPENAI.answer(&["Hel", "lo"])), 2);
        let cases = [
            (
                json!({"message": "The server had an error while processing your request. Sorry about that!",
                    "type": "server_error", "param": null, "code": null}),
                "upstream",
            ),
            (
                json!({"message": "Rate limit reached for gpt-4o-mini on tokens per min (TPM)",
                    "type": "tokens", "param": null, "code": "rate_limit_exceeded"}),
                "rate_limited",
            ),
        ];
        for (error, kind) in cases {
            let mut events = head.clone();
            events.push(sse::data(&json!({"error": error})));
            let reply = sse::reply(events, Duration::from_millis(2));
            expect_stream_error(OPENAI, &fake, &mut server, reply, kind).await;
        }
    };
    tokio::join!(anthropic, openai);
}

/// Cancels a call while the fake streams slowly; returns how long the fake took to see the
/// client hang up.
async fn cancel_mid_stream(backend: Backend) -> Duration {
    let fake = FakeProvider::start().await;
    let events = (backend.events)(&backend.answer(&["first ", "second ", "third"]));
    // Four events at once (the first text among them), then a 30 s stall before each of the
    // rest.
    let pieces = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            (
                if i < 4 {
                    Duration::ZERO
                } else {
                    Duration::from_secs(30)
                },
                e,
            )
        })
        .collect();
    fake.push(
        backend.path,
        Reply::chunked(200, "text/event-stream", pieces),
    );
    let mut server = backend.start(&fake, &[]).await;
    let params = json!({"name": "complete", "arguments": {"prompt": "hi"},
                        "_meta": {"progressToken": "tok-cancel"}});
    let (id, _rx) = server.start_request("tools/call", params).await;
    // The first text proves the stream is flowing; it must come before the stall.
    let waiting = Instant::now();
    loop {
        let note = server.next_notification(Duration::from_secs(5)).await;
        let note = note.unwrap_or_else(|| panic!("{}: no progress before the stall", backend.name));
        if !is_heartbeat(&note) && note["method"] == json!("notifications/progress") {
            break;
        }
    }
    assert!(
        waiting.elapsed() < Duration::from_secs(5),
        "{:?}",
        waiting.elapsed()
    );
    let cancelled = Instant::now();
    server
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "enough"}),
        )
        .await;
    assert!(
        fake.wait_disconnects(1, Duration::from_secs(5)).await,
        "{}: the provider stream kept running",
        backend.name
    );
    let took = cancelled.elapsed();
    backend.assert_serves(&mut server, &fake, "next call").await;
    took
}

#[tokio::test]
async fn cancel_mid_stream_drops_the_connection_at_once() {
    let (a, o) = tokio::join!(cancel_mid_stream(ANTHROPIC), cancel_mid_stream(OPENAI));
    eprintln!("cancel -> provider disconnect: anthropic {a:?}, openai {o:?}");
    for (name, took) in [("anthropic", a), ("openai", o)] {
        // The target is under 100 ms; the bound leaves room for a loaded machine.
        assert!(took < Duration::from_millis(500), "{name}: {took:?}");
    }
}
