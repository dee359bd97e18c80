//! Test support for the streaming wire tests: a one-request HTTP server on 127.0.0.1 that
//! answers with raw stream bytes in small, uneven writes, and a helper that runs a real
//! [`HttpBackend`] against it.

use std::time::SystemTime;

use clap::Parser;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

use crate::backend::{Answer, Backend};
use crate::completion::{CompletionRequest, Message, Sampling};
use crate::config::{CommonArgs, Profile, ServerConfig};
use crate::error::LlmError;
use crate::http::HttpBackend;
use crate::http::credential::attach;
use crate::provider::{Provider, WireRequest};
use crate::secret::Secret;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

/// What the fake server received: the request line and headers, and the JSON body.
pub struct Received {
    /// The request line and headers, as sent.
    pub head: String,
    /// The JSON body.
    pub body: Value,
}

/// Serves one request with `body` as a 200 of `content_type`, written in 37-byte pieces so
/// events and lines arrive split, then closes; returns the base URL and what was received.
pub async fn serve_once(
    content_type: &'static str,
    body: String,
) -> (String, JoinHandle<Received>) {
    serve("200 OK", content_type, body).await
}

/// Like [`serve_once`], answering `status` (e.g. `401 Unauthorized`) instead of a 200.
pub async fn serve(
    status: &'static str,
    content_type: &'static str,
    body: String,
) -> (String, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 4096];
        let body_start = loop {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before its request was complete");
            received.extend_from_slice(&buf[..n]);
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = String::from_utf8_lossy(&received[..body_start]).to_string();
        let length: usize = head
            .to_ascii_lowercase()
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(str::to_string))
            .map_or(0, |v| v.trim().parse().unwrap());
        while received.len() < body_start + length {
            let n = socket.read(&mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nconnection: close\r\n\r\n"
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        for piece in body.as_bytes().chunks(37) {
            socket.write_all(piece).await.unwrap();
            socket.flush().await.unwrap();
        }
        socket.shutdown().await.unwrap();
        let body = serde_json::from_slice(&received[body_start..]).unwrap();
        Received { head, body }
    });
    (base, task)
}

/// The configuration of `profile` at `base`, with `key` as the key when there is one.
pub fn config(profile: Profile, base: &str, key: Option<&str>) -> ServerConfig {
    let cli = Cli::try_parse_from(["x", "--base-url", base, "--max-retries", "0"]).unwrap();
    cli.common
        .resolve(profile, &|name| {
            (name == profile.key_env).then(|| key.map(str::to_string))?
        })
        .unwrap()
}

/// Streams one user turn to `model` through a real backend; returns the answer (or error) and
/// the text deltas it sent.
pub async fn stream_through<P: Provider>(
    provider: P,
    config: &ServerConfig,
    model: &str,
) -> (Result<Answer, LlmError>, String) {
    let backend = HttpBackend::new(provider, config).unwrap();
    let request = CompletionRequest {
        model: model.into(),
        system: None,
        messages: vec![Message::user("Hi")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = backend.complete_streaming(request, deadline, tx).await;
    let mut deltas = String::new();
    while let Ok(piece) = rx.try_recv() {
        deltas.push_str(&piece);
    }
    (answer, deltas)
}

/// A provider's requests with a key attached the way [`HttpBackend`] attaches it, so adapter
/// tests see what goes on the wire.
pub trait Authed: Provider {
    /// [`Provider::completion_request`] with `key` attached.
    fn authed_completion(
        &self,
        request: &CompletionRequest,
        key: Option<&Secret>,
    ) -> Result<WireRequest, LlmError> {
        self.authed(self.completion_request(request), key)
    }

    /// [`Provider::stream_request`] with `key` attached.
    fn authed_stream(
        &self,
        request: &CompletionRequest,
        key: Option<&Secret>,
    ) -> Result<WireRequest, LlmError> {
        self.authed(self.stream_request(request), key)
    }

    /// [`Provider::models_request`] with `key` attached.
    fn authed_models(&self, key: Option<&Secret>) -> Result<WireRequest, LlmError> {
        self.authed(self.models_request(), key)
    }

    /// `wire` with `key` attached as [`Provider::credential`] says.
    fn authed(
        &self,
        wire: Result<WireRequest, LlmError>,
        key: Option<&Secret>,
    ) -> Result<WireRequest, LlmError> {
        let mut wire = wire?;
        attach(&mut wire, &self.credential(), key, SystemTime::now())?;
        Ok(wire)
    }
}

impl<P: Provider> Authed for P {}
