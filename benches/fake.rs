//! The loopback fake provider: a minimal HTTP/1.1 keep-alive server on 127.0.0.1:0 that answers
//! every request with one realistic OpenAI `chat.completion` (about 1 KB, with usage) after a
//! delay the harness sets between runs.
//!
//! It is deliberately small and allocation-light so that its own cost is the same under every
//! client (the direct HTTP floor, the backend server, the supervisor) and cancels out of the
//! comparison.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The model the fake says it used.
pub const MODEL: &str = "gpt-4.1-mini-2025-04-14";

/// A running fake provider.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
}

impl Fake {
    /// Starts listening on 127.0.0.1:0 on the current runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let delay_ms = Arc::new(AtomicU64::new(0));
        let served = Arc::new(AtomicU64::new(0));
        let response: Arc<[u8]> = response().into();
        let (delay, count) = (delay_ms.clone(), served.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                let (delay, count, response) = (delay.clone(), count.clone(), response.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, &delay, &count, &response).await;
                });
            }
        });
        Ok(Self {
            addr,
            delay_ms,
            served,
        })
    }

    /// The base URL a backend server is pointed at (`/v1` included, as OpenAI's SDKs expect).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The URL of Chat Completions.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url())
    }

    /// How long every following answer waits.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

/// Answers requests on one connection until the client closes it.
async fn serve(
    socket: TcpStream,
    delay_ms: &AtomicU64,
    served: &AtomicU64,
    response: &[u8],
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::with_capacity(16 * 1024, read);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        let mut length = 0usize;
        // The request line, then headers up to the blank line.
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
        let delay = delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        write.write_all(response).await?;
        served.fetch_add(1, Ordering::Relaxed);
    }
}

/// The whole HTTP response: head and a chat.completion body shaped like OpenAI's own.
fn response() -> Vec<u8> {
    let text = "Rust's ownership model ties every value to one owner; when the owner goes out \
        of scope the value is dropped, so memory is freed deterministically without a garbage \
        collector. Borrowing lets code use a value without taking ownership: any number of \
        shared references, or exactly one mutable reference, checked at compile time. This \
        rules out data races and use-after-free while keeping the cost at zero at run time.";
    let body = serde_json::json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 58,
            "completion_tokens": 84,
            "total_tokens": 142,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        },
        "service_tier": "default",
        "system_fingerprint": "fp_50cad350e4"
    })
    .to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: keep-alive\r\nx-request-id: req_8a1d6c0e3b7f4e2a9c5d\r\n\
         openai-processing-ms: 412\r\n\r\n",
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}
