//! A stream event naming tool call 10^10 used to abort `llm-mcp-openai` and `llm-mcp-mistral`
//! ("memory allocation of 720000000072 bytes failed"), losing every call in flight, and
//! `u64::MAX` overflowed `index + 1`. The index is bounded like Anthropic's block index.

use serde_json::json;

use crate::support::FakeProvider;
use crate::support::backends::{Backend, MISTRAL, OPENAI, call_with_progress};
use crate::support::hostile::tool_call_at_index;
use crate::support::mcp::ToolResult;

async fn survives_absurd_indexes(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    for index in [json!(10_000_000_000u64), json!(u64::MAX)] {
        fake.push(
            backend.stream_path,
            tool_call_at_index(&backend, index.clone()),
        );
        let (_, response) =
            call_with_progress(&mut server, "complete", json!({"prompt": "hi"}), "tok").await;
        let text = ToolResult(response["result"].clone()).expect_error("invalid_response");
        assert!(
            text.contains("beyond any real answer"),
            "{} {index}: {text}",
            backend.name
        );
        // The process lived through it and serves the next call.
        backend
            .assert_serves(&mut server, &fake, "still here")
            .await;
    }
}

#[tokio::test]
async fn an_absurd_tool_call_index_is_an_error_and_the_server_lives_on() {
    futures::future::join(
        survives_absurd_indexes(OPENAI),
        survives_absurd_indexes(MISTRAL),
    )
    .await;
}
