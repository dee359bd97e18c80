//! A streamed answer end to end: `HttpBackend` against a fake Messages endpoint on 127.0.0.1
//! that sends the SSE transcript in uneven chunks.

use super::tests::TOOL_STREAM;
use crate::backend::Answer;
use crate::completion::FinishReason;
use crate::error::{ErrorKind, LlmError};
use crate::providers::anthropic::{Anthropic, AuthHeader, PROFILE};
use crate::test_server::{config, serve_once, stream_through};

/// Streams `sse` through a real backend, returning the answer (or error), the text deltas
/// sent, and the request line and headers the server saw.
async fn stream(sse: &str) -> (Result<Answer, LlmError>, String, String) {
    let (base, server) = serve_once("text/event-stream", sse.to_string()).await;
    let config = config(PROFILE, &base, Some("sk-ant-test"));
    let adapter = Anthropic::new(config.base_url.clone(), AuthHeader::XApiKey);
    let (answer, deltas) = stream_through(adapter, &config, "claude-sonnet-5-5").await;
    let received = server.await.unwrap();
    let request = format!("{}{}", received.head, received.body);
    (answer, deltas, request)
}

/// The transcript as a server sends it: lines without the test's indentation, and every
/// event ended by a blank line (SSE drops an event the body ends inside).
fn sse(transcript: &str) -> String {
    let lines: Vec<&str> = transcript.lines().map(str::trim).collect();
    format!("{}\n\n", lines.join("\n").trim())
}

#[tokio::test]
async fn a_streamed_tool_call_arrives_whole_with_text_deltas() {
    let (answer, deltas, request) = stream(&sse(TOOL_STREAM)).await;
    let done = answer.unwrap().completion;
    assert!(request.starts_with("POST /v1/messages "));
    assert!(request.contains("\"stream\":true"));
    assert_eq!(
        done.output,
        "Okay, let's check the weather for San Francisco, CA:"
    );
    assert_eq!(deltas, done.output);
    assert_eq!(done.tool_calls[0].name, "get_weather");
    assert_eq!(
        done.tool_calls[0].arguments["location"],
        "San Francisco, CA"
    );
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.usage.output_tokens, Some(89));
}

#[tokio::test]
async fn a_stream_that_closes_before_message_stop_is_upstream() {
    let cut = &TOOL_STREAM[..TOOL_STREAM.find("event: message_delta").unwrap()];
    let (answer, deltas, _) = stream(&sse(cut)).await;
    assert_eq!(answer.unwrap_err().kind, ErrorKind::Upstream);
    assert!(deltas.starts_with("Okay"));
}
