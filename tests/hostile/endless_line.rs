//! A stream line without a newline used to bypass the 32 MiB body bound and be re-parsed as
//! it grew, on the server's runtime: the call outlived its timeout and pings waited seconds.
//! Every line is now bounded (16 MiB) and scanned once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::FakeProvider;
use crate::support::backends::{Backend, OLLAMA, OPENAI};
use crate::support::hostile::endless_line;
use crate::support::mcp::ToolResult;

async fn refuses_an_endless_line(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--timeout", "15"]).await;
    fake.push(backend.stream_path, endless_line(&backend, 20 << 20));
    let started = Instant::now();
    let params = json!({"name": "complete", "arguments": {"prompt": "hi"},
                        "_meta": {"progressToken": "tok"}});
    let (id, rx) = server.start_request("tools/call", params).await;
    // While the line grows, the server answers at once.
    let ping = Instant::now();
    let pong = server.request("ping", json!({})).await;
    assert!(pong.get("result").is_some(), "{pong}");
    assert!(
        ping.elapsed() < Duration::from_secs(2),
        "{}: ping took {:?}",
        backend.name,
        ping.elapsed()
    );
    let response = server.wait_response(id, rx).await;
    let text = ToolResult(response["result"].clone()).expect_error("invalid_response");
    assert!(text.contains("16 MiB"), "{}: {text}", backend.name);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{}: {:?}",
        backend.name,
        started.elapsed()
    );
    backend.assert_serves(&mut server, &fake, "next").await;
}

#[tokio::test]
async fn a_stream_line_without_end_is_refused_at_its_bound() {
    futures::future::join(
        refuses_an_endless_line(OPENAI),
        refuses_an_endless_line(OLLAMA),
    )
    .await;
}
