//! The whole path: a fake Gemini on 127.0.0.1 streams raw SSE bytes (CRLF line ends, as
//! Google's front ends send them) and
//! [`HttpBackend::complete_streaming`](crate::backend::Backend::complete_streaming) reads them
//! through this adapter.

use serde_json::json;

use crate::backend::Answer;
use crate::completion::FinishReason;
use crate::error::{ErrorKind, LlmError};
use crate::providers::gemini::{GeminiProvider, PROFILE};
use crate::test_server::{Received, config, serve_once, stream_through};

fn event(text: &str, finish: Option<&str>) -> String {
    let mut candidate =
        json!({"content": {"parts": [{"text": text}], "role": "model"}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    let usage = match finish {
        Some(_) => json!({"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10}),
        None => json!({"promptTokenCount": 4, "totalTokenCount": 4}),
    };
    let chunk = json!({"candidates": [candidate], "usageMetadata": usage,
        "modelVersion": "gemini-2.5-flash"});
    format!("data: {chunk}\r\n\r\n")
}

async fn stream(body: String) -> (Result<Answer, LlmError>, String, Received) {
    let (base, server) = serve_once("text/event-stream", body).await;
    let config = config(PROFILE, &base, Some("AIza-wire-test"));
    let provider = GeminiProvider::new(config.base_url.clone());
    let (answer, deltas) = stream_through(provider, &config, "gemini-flash-latest").await;
    (answer, deltas, server.await.unwrap())
}

#[tokio::test]
async fn a_streamed_answer_arrives_whole_when_the_body_ends_after_its_finish_reason() {
    let body = [
        event("Bonjour", None),
        event(", le monde", None),
        event(".", Some("STOP")),
    ]
    .concat();
    let (answer, deltas, request) = stream(body).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Bonjour, le monde.");
    assert_eq!(deltas, done.output);
    assert_eq!(done.model, "gemini-2.5-flash");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(4));
    assert_eq!(done.usage.output_tokens, Some(6));
    assert!(
        request
            .head
            .starts_with("POST /v1beta/models/gemini-flash-latest:streamGenerateContent?alt=sse ")
    );
    assert!(request.head.contains("x-goog-api-key: AIza-wire-test"));
    assert!(!request.head.lines().next().unwrap().contains("AIza"));
    assert_eq!(request.body["contents"][0]["parts"][0]["text"], "Hi");
}

#[tokio::test]
async fn a_body_that_ends_before_a_finish_reason_is_an_upstream_error() {
    let (answer, deltas, _) = stream([event("Bonjour", None), event(", le", None)].concat()).await;
    assert_eq!(answer.unwrap_err().kind, ErrorKind::Upstream);
    assert_eq!(deltas, "Bonjour, le");
}

#[tokio::test]
async fn an_error_chunk_after_some_text_fails_the_call() {
    let error = json!({"error": {"code": 500, "message": "An internal error has occurred.",
        "status": "INTERNAL"}});
    let (answer, deltas, _) = stream(format!("{}data: {error}\r\n\r\n", event("Bon", None))).await;
    let err = answer.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert!(err.message.contains("An internal error has occurred."));
    assert_eq!(deltas, "Bon");
}
