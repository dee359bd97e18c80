//! A streamed answer end to end: `HttpBackend` against a fake Messages endpoint on 127.0.0.1
//! that sends the SSE transcript in uneven chunks.

use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::tests::TOOL_STREAM;
use crate::backend::Backend;
use crate::completion::{CompletionRequest, FinishReason, Message, Sampling};
use crate::config::CommonArgs;
use crate::error::ErrorKind;
use crate::http::HttpBackend;
use crate::providers::anthropic::{Anthropic, AuthHeader, PROFILE};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

/// Serves one request with `sse` as a `text/event-stream` body, written in 7-byte pieces so
/// events and lines arrive split; returns the base URL and the request's text.
async fn serve_once(sse: String) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !complete(&request) {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before its request was complete");
            request.extend_from_slice(&buf[..n]);
        }
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        for piece in sse.as_bytes().chunks(7) {
            socket.write_all(piece).await.unwrap();
            socket.flush().await.unwrap();
        }
        String::from_utf8(request).unwrap()
    });
    (base, server)
}

/// Whether `request` holds its headers and the whole body their `content-length` announces.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    body.len() >= length
}

/// Streams `sse` through a real backend, returning the answer (or error), the text deltas
/// sent, and the request the server saw.
async fn stream(
    sse: &str,
) -> (
    Result<crate::backend::Answer, crate::error::LlmError>,
    String,
    String,
) {
    let (base, server) = serve_once(sse.to_string()).await;
    let cli = Cli::try_parse_from(["x", "--base-url", &base, "--max-retries", "0"]).unwrap();
    let config = cli
        .common
        .resolve(PROFILE, &|name| {
            (name == "ANTHROPIC_API_KEY").then(|| "sk-ant-test".to_string())
        })
        .unwrap();
    let adapter = Anthropic::new(config.base_url.clone(), AuthHeader::XApiKey);
    let backend = HttpBackend::new(adapter, &config).unwrap();
    let request = CompletionRequest {
        model: "claude-sonnet-5-5".into(),
        system: None,
        messages: vec![Message::user("Weather in San Francisco?")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = backend.complete_streaming(request, deadline, tx).await;
    let mut deltas = String::new();
    while let Ok(piece) = rx.try_recv() {
        deltas.push_str(&piece);
    }
    (answer, deltas, server.await.unwrap())
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
