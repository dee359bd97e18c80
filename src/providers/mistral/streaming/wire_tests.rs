//! The whole path: a fake Mistral on 127.0.0.1 streams raw SSE bytes and
//! [`HttpBackend::complete_streaming`](crate::backend::Backend::complete_streaming) reads them
//! through this adapter.

use serde_json::json;

use crate::backend::Answer;
use crate::completion::FinishReason;
use crate::error::{ErrorKind, LlmError};
use crate::providers::mistral::{MistralProvider, PROFILE};
use crate::test_server::{Received, config, serve_once, stream_through};

fn text(content: &str, finish: Option<&str>) -> String {
    let mut chunk = json!({"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1702256327,
        "model": "mistral-small-latest",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]});
    if finish.is_some() {
        chunk["usage"] = json!({"prompt_tokens": 7, "total_tokens": 12, "completion_tokens": 5});
    }
    format!("data: {chunk}\n\n")
}

async fn stream(body: String) -> (Result<Answer, LlmError>, String, Received) {
    let (base, server) = serve_once("text/event-stream", body).await;
    let config = config(PROFILE, &base, Some("mistral-wire-test"));
    let provider = MistralProvider::new(config.base_url.clone());
    let (answer, deltas) = stream_through(provider, &config, "mistral-small-latest").await;
    (answer, deltas, server.await.unwrap())
}

#[tokio::test]
async fn a_streamed_answer_arrives_whole_with_the_usage_of_its_last_chunk() {
    let body = [
        text("Bonjour", None),
        text(", le monde", None),
        text("", Some("stop")),
        "data: [DONE]\n\n".into(),
    ]
    .concat();
    let (answer, deltas, request) = stream(body).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Bonjour, le monde");
    assert_eq!(deltas, done.output);
    assert_eq!(done.model, "mistral-small-latest");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(7));
    assert_eq!(done.usage.output_tokens, Some(5));
    assert!(request.head.starts_with("POST /v1/chat/completions "));
    assert_eq!(request.body["stream"], true);
    assert!(request.body.get("stream_options").is_none());
}

#[tokio::test]
async fn a_body_that_ends_before_a_finish_reason_is_an_upstream_error() {
    let (answer, deltas, _) = stream([text("Bonjour", None), text(", le", None)].concat()).await;
    assert_eq!(answer.unwrap_err().kind, ErrorKind::Upstream);
    assert_eq!(deltas, "Bonjour, le");
}

#[tokio::test]
async fn an_error_object_after_some_text_fails_the_call() {
    let error = json!({"object": "error", "message": "Service unavailable.",
        "type": "service_unavailable", "param": null, "code": "1000"});
    let (answer, deltas, _) = stream(format!("{}data: {error}\n\n", text("Bon", None))).await;
    let err = answer.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert_eq!(deltas, "Bon");
}
