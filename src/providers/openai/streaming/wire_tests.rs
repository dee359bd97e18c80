//! The whole path: a fake Chat Completions server on 127.0.0.1 streams raw SSE bytes and
//! [`HttpBackend::complete_streaming`] reads them through this adapter.

use clap::Parser;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::backend::Backend;
use crate::completion::{CompletionRequest, FinishReason, Message, Sampling};
use crate::config::CommonArgs;
use crate::error::ErrorKind;
use crate::http::HttpBackend;
use crate::providers::presets;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

/// Serves one request with `body` as an event stream, then closes; returns the base URL and
/// the request body it received.
async fn serve_once(body: String) -> (String, tokio::task::JoinHandle<serde_json::Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 4096];
        // Headers, then as many body bytes as content-length says.
        let body_start = loop {
            let n = socket.read(&mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = String::from_utf8_lossy(&received[..body_start]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap();
        while received.len() < body_start + length {
            let n = socket.read(&mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
        }
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        // Small writes, split mid-event, as a real stream arrives.
        for piece in body.as_bytes().chunks(37) {
            socket.write_all(piece).await.unwrap();
            socket.flush().await.unwrap();
        }
        socket.shutdown().await.unwrap();
        serde_json::from_slice(&received[body_start..]).unwrap()
    });
    (base, task)
}

async fn stream_from(
    body: String,
) -> (
    Result<crate::backend::Answer, crate::error::LlmError>,
    String,
    serde_json::Value,
) {
    let (base, server) = serve_once(body).await;
    let preset = presets::find("vllm").unwrap();
    let cli = Cli::try_parse_from(["x", "--base-url", &base]).unwrap();
    let config = cli.common.resolve(preset.profile, &|_| None).unwrap();
    let provider = presets::provider(preset, &config.base_url, presets::AZURE_API_VERSION);
    let backend = HttpBackend::new(provider, &config).unwrap();
    let request = CompletionRequest {
        model: "qwen3".into(),
        system: None,
        messages: vec![Message::user("Hi")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = backend.complete_streaming(request, deadline, tx).await;
    let mut deltas = String::new();
    while let Ok(piece) = rx.try_recv() {
        deltas.push_str(&piece);
    }
    (answer, deltas, server.await.unwrap())
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
