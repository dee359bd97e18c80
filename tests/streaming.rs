//! Streaming against fake Anthropic, OpenAI, Ollama, Gemini and Mistral providers: a call with
//! a progress token streams (SSE, or NDJSON for Ollama) and gives the same record as one without; progress carries the text; heartbeats keep
//! a slow call alive; a stream that breaks or reports an error mid-way is an error, never a
//! truncated success; a cancelled stream drops the provider connection at once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::{
    ALL, ANTHROPIC, Backend, GEMINI, MISTRAL, OLLAMA, OPENAI, assert_strictly_increasing,
    call_with_progress, is_heartbeat, streamed_text,
};
use crate::support::mcp::ToolResult;
use crate::support::sse::{Answer, ToolCall};
use crate::support::{FakeProvider, Reply};

mod errors;

/// The record without what legitimately differs between two calls of the same answer.
fn comparable(record: &Value) -> Value {
    let mut record = record.clone();
    let fields = record.as_object_mut().expect("a record is an object");
    assert!(fields.remove("latency_ms").is_some(), "{record:?}");
    assert!(fields.remove("attempts").is_some());
    record
}

/// The tool call of the answers, under the id `backend`'s provider gives it (or `call_0`, the
/// id the adapter makes when the provider sends none).
fn weather_tool(backend: &Backend) -> ToolCall {
    ToolCall {
        id: backend.tool_id.unwrap_or("call_0"),
        name: "get_weather",
        fragments: vec!["", "{\"city\": \"Pa", "ris\", \"unit\"", ": \"celsius\"}"],
    }
}

/// The answers both paths must agree on: text with cache tokens, a tool call, and an answer
/// cut at the token limit.
fn answers(backend: &Backend) -> Vec<(&'static str, Answer)> {
    let mut text = backend.answer(&["Hello", ", wor", "ld! ", "Ünïcödé ✓", " done."]);
    text.input = 100;
    text.output = 30;
    text.cache_read = if backend.reads_cache { 50 } else { 0 };
    text.cache_write = if backend.writes_cache { 20 } else { 0 };
    let mut tool = backend.answer(if backend.text_with_tools {
        &["Let me ", "check."]
    } else {
        &[]
    });
    tool.tool = Some(weather_tool(backend));
    tool.stop = backend.stops.tool;
    let mut cut = backend.answer(&["cut ", "short"]);
    cut.stop = backend.stops.length;
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
            backend.stream_path,
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
            assert_eq!(streamed["finish_reason"], json!("tool_calls"));
        }
        if answer.pieces.is_empty() {
            // A tool call alone carries no text to report.
            assert!(notes.is_empty(), "{}: {notes:?}", backend.name);
        } else {
            assert_strictly_increasing(&notes, &token);
            assert!(notes.len() > 1, "text arrives piece by piece: {notes:?}");
        }
        assert!(
            notes.iter().all(|n| !is_heartbeat(n)),
            "no wait, no heartbeat"
        );
        assert_eq!(streamed_text(&notes), answer.text(), "{}", backend.name);
        let sent = backend.calls(&fake);
        backend.assert_stream_request(&sent[2 * index], &sent[2 * index + 1]);
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

#[tokio::test]
async fn ollama_streamed_and_whole_records_are_identical() {
    streamed_and_whole_agree(OLLAMA).await;
}

#[tokio::test]
async fn gemini_streamed_and_whole_records_are_identical() {
    streamed_and_whole_agree(GEMINI).await;
}

#[tokio::test]
async fn mistral_streamed_and_whole_records_are_identical() {
    streamed_and_whole_agree(MISTRAL).await;
}

/// The fake waits 5 s before its first byte: heartbeats (2 s apart) keep the call alive, all
/// of them before the text, and the answer still arrives whole.
async fn heartbeats_while_waiting(backend: Backend) {
    let fake = FakeProvider::start().await;
    let answer = backend.answer(&["worth ", "the wait"]);
    let reply = backend.streamed(&answer, Duration::ZERO);
    fake.push(backend.stream_path, reply.delay(Duration::from_secs(5)));
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
    // One 5 s wait covers every backend.
    futures::future::join_all(ALL.map(heartbeats_while_waiting)).await;
}

/// Cancels a call while the fake streams slowly; returns how long the fake took to see the
/// client hang up.
async fn cancel_mid_stream(backend: Backend) -> Duration {
    let fake = FakeProvider::start().await;
    let answer = backend.answer(&["first ", "second ", "third"]);
    // The first events at once (the first text among them), then a 30 s stall before each of
    // the rest, the event that completes the answer among them.
    let split = backend.final_event(&answer).min(4);
    let pieces = (backend.events)(&answer)
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let stall = if i < split { 0 } else { 30 };
            (Duration::from_secs(stall), e)
        })
        .collect();
    fake.push(
        backend.stream_path,
        Reply::chunked(200, backend.framing.content_type(), pieces),
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
    let took = futures::future::join_all(ALL.map(cancel_mid_stream)).await;
    let report: Vec<String> = ALL
        .iter()
        .zip(&took)
        .map(|(backend, took)| format!("{} {took:?}", backend.name))
        .collect();
    eprintln!("cancel -> provider disconnect: {}", report.join(", "));
    for (backend, took) in ALL.iter().zip(took) {
        // The target is under 100 ms; the bound leaves room for a loaded machine.
        assert!(
            took < Duration::from_millis(500),
            "{}: {took:?}",
            backend.name
        );
    }
}
