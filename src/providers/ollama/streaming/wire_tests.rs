//! The whole path: a fake Ollama on 127.0.0.1 streams raw NDJSON bytes and
//! [`HttpBackend::complete_streaming`](crate::backend::Backend::complete_streaming) reads them
//! through this adapter.

use serde_json::json;

use crate::completion::FinishReason;
use crate::error::ErrorKind;
use crate::providers::ollama::{OllamaProvider, PROFILE};
use crate::test_server::{config, serve_once, stream_through};

fn line(content: &str) -> String {
    json!({"model": "llama3.2", "created_at": "2024-08-07T03:57:33.0365888Z",
        "message": {"role": "assistant", "content": content}, "done": false})
    .to_string()
        + "\n"
}

async fn stream(
    body: String,
) -> (
    Result<crate::backend::Answer, crate::error::LlmError>,
    String,
    crate::test_server::Received,
) {
    let (base, server) = serve_once("application/x-ndjson", body).await;
    let config = config(PROFILE, &base, None);
    let provider = OllamaProvider::new(config.base_url.clone());
    let (answer, deltas) = stream_through(provider, &config, "llama3.2").await;
    (answer, deltas, server.await.unwrap())
}

#[tokio::test]
async fn a_streamed_answer_arrives_whole_with_its_counts() {
    // The last line ends the body without its newline.
    let end = "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":10,\"eval_count\":17}";
    let body = [
        line("Hello"),
        line("! 👋 What can"),
        line(" I do?"),
        end.into(),
    ]
    .concat();
    let (answer, deltas, request) = stream(body).await;
    let done = answer.unwrap().completion;
    assert_eq!(done.output, "Hello! 👋 What can I do?");
    assert_eq!(deltas, done.output);
    assert_eq!(done.model, "llama3.2");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(10));
    assert_eq!(done.usage.output_tokens, Some(17));
    assert!(request.head.starts_with("POST /api/chat "));
    assert_eq!(request.body["stream"], true);
}

#[tokio::test]
async fn an_error_line_after_some_text_fails_the_call() {
    let body = [
        line("Hello"),
        "{\"error\":\"model runner has unexpectedly stopped\"}\n".into(),
    ]
    .concat();
    let (answer, deltas, _) = stream(body).await;
    let err = answer.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert!(
        err.message
            .contains("model runner has unexpectedly stopped")
    );
    assert_eq!(deltas, "Hello");
}

#[tokio::test]
async fn a_body_that_ends_before_done_is_an_upstream_error() {
    let (answer, _, _) = stream([line("Hello"), line(" there")].concat()).await;
    assert_eq!(answer.unwrap_err().kind, ErrorKind::Upstream);
}
