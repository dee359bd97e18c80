use super::*;
use crate::backend::Answer;
use crate::backend::Probe;
use crate::completion::CompletionRequest;
use crate::config::CommonArgs;
use crate::error::LlmError;
use crate::mock::PROFILE;
use clap::Parser;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use tokio::time::Instant;

/// A backend with a bug: it panics inside the call.
struct Panicking;

impl Backend for Panicking {
    async fn complete(&self, _: CompletionRequest, _: Instant) -> Result<Answer, LlmError> {
        panic!("a bug in a provider adapter")
    }
    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }
    async fn probe(&self) -> Probe {
        Probe {
            reachable: true,
            latency_ms: None,
            detail: None,
        }
    }
    fn endpoint(&self) -> String {
        "test".into()
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

#[tokio::test]
async fn a_panic_in_a_call_is_an_internal_tool_error_and_the_server_keeps_serving() {
    let config = Cli::parse_from(["x"])
        .common
        .resolve(PROFILE, &|_| None)
        .unwrap();
    let server = LlmServer::new(Panicking, config, "llm-mcp-test");
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let running = server.serve(server_end).await.unwrap();
        running.waiting().await.unwrap();
    });
    let client = ().serve(client_end).await.unwrap();
    let arguments = serde_json::json!({"prompt": "hi"})
        .as_object()
        .cloned()
        .unwrap();
    for _ in 0..2 {
        let result = client
            .call_tool(CallToolRequestParams::new("complete").with_arguments(arguments.clone()))
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true));
        let text = serde_json::to_value(&result.content[0]).unwrap()["text"].clone();
        assert!(
            text.as_str().unwrap().starts_with("[internal] mock: "),
            "{text}"
        );
    }
    client.cancel().await.unwrap();
}
