//! The whole path: a fake Chat Completions server on 127.0.0.1 streams raw SSE bytes and
//! [`HttpBackend::complete_streaming`](crate::http::HttpBackend) reads them through this
//! adapter.

use serde_json::json;

use crate::backend::Answer;
use crate::completion::FinishReason;
use crate::error::{ErrorKind, LlmError};
use crate::providers::presets;
use crate::test_server::{config, serve_once, stream_through};

/// Streams `body` through the vllm preset's backend; returns the answer, the text deltas and
/// the JSON body of the request the server received.
async fn stream_from(body: String) -> (Result<Answer, LlmError>, String, serde_json::Value) {
    let (base, server) = serve_once("text/event-stream", body).await;
    let preset = presets::find("vllm").unwrap();
    let config = config(preset.profile, &format!("{base}/v1"), None);
    let provider = presets::provider(preset, &config.base_url, presets::AZURE_API_VERSION);
    let (answer, deltas) = stream_through(provider, &config, "qwen3").await;
    (answer, deltas, server.await.unwrap().body)
}

fn data(value: serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

fn text(content: &str, finish: Option<&str>) -> String {
    data(
        json!({"object": "chat.completion.chunk", "model": "qwen3-8b",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}),
    )
}

#[tokio::test]
async fn a_streamed_answer_arrives_whole_with_its_usage() {
    let usage = data(
        json!({"object": "chat.completion.chunk", "model": "qwen3-8b", "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3}}),
    );
    let body = [
        text("Bonjour", None),
        text(", le ", None),
        text("monde", Some("stop")),
        usage,
        "data: [DONE]\n\n".into(),
    ]
    .concat();
    let (answer, deltas, request) = stream_from(body).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Bonjour, le monde");
    assert_eq!(deltas, "Bonjour, le monde");
    assert_eq!(done.model, "qwen3-8b");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(9));
    assert_eq!(done.usage.output_tokens, Some(3));
    assert_eq!(request["stream"], true);
    assert_eq!(request["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_stream_closed_mid_answer_is_an_upstream_error() {
    let (answer, deltas, _) =
        stream_from([text("Bonjour", None), text(", le", None)].concat()).await;
    assert_eq!(answer.unwrap_err().kind, ErrorKind::Upstream);
    // What was said before the cut still went out as progress.
    assert_eq!(deltas, "Bonjour, le");
}

#[tokio::test]
async fn a_last_event_without_its_blank_line_still_counts() {
    // The finish chunk ends the body with one newline, not the blank line that closes an event.
    let last = text("", Some("stop")).trim_end().to_string() + "\n";
    let body = [text("Hi", None), last].concat();
    let (answer, _, _) = stream_from(body).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Hi");
    assert_eq!(done.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn a_finished_stream_without_usage_or_done_is_complete() {
    // Asked for usage, got none, and the server closed after the finish_reason chunk.
    let (answer, _, _) = stream_from(text("Hi there", Some("length"))).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Hi there");
    assert_eq!(done.finish_reason, FinishReason::Length);
    assert_eq!(done.usage.input_tokens, None);
}
