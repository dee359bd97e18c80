//! In-process tests: the client against `LlmServer<MockBackend>` and a small test server over
//! `tokio::io::duplex`, no subprocess.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{ProgressNotificationParam, ServerCapabilities, ServerConfig as McpServerConfig};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde_json::json;

use super::*;
use crate::completion::{FinishReason, Message, Role, ToolSpec};
use crate::error::ErrorKind;
use crate::mock::{MockBackend, PROFILE};
use crate::server::LlmServer;

/// A client connected to `server` served in this process.
async fn connect<S: ServerHandler>(server: S, options: ClientOptions) -> LlmClient {
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    LlmClient::connect(client_io, options).await.unwrap()
}

async fn mock_client() -> LlmClient {
    // The mock's defaults, as its flags parse with none given, and no retries.
    let config = crate::config::test_config(PROFILE, &["--max-retries", "0"], &[]).unwrap();
    let server = LlmServer::new(MockBackend::default(), config, "llm-mcp-mock");
    connect(server, ClientOptions::default()).await
}

#[tokio::test]
async fn complete_returns_the_record_and_identity_is_known() {
    let client = mock_client().await;
    let info = client.server_info().unwrap();
    assert_eq!(info.name, "llm-mcp-mock");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert!(info.protocol_version.starts_with("20"), "{info:?}");
    let names: Vec<String> = client
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert!(names.contains(&"complete".to_string()), "{names:?}");

    let record = client
        .complete(CompleteRequest::new("one two three four").max_tokens(2))
        .await
        .unwrap();
    assert_eq!(record.output, "one two");
    assert_eq!(record.finish_reason, FinishReason::Length);
    assert_eq!(record.provider, "mock");
    assert_eq!(record.model, "mock-echo-1");
    assert_eq!(record.tokens_used, Some(6));
    client.close().await;
}

#[tokio::test]
async fn chat_round_trips_a_tool_call() {
    let client = mock_client().await;
    let tool = ToolSpec {
        name: "lookup".into(),
        description: Some("Looks a word up.".into()),
        input_schema: json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
    };
    let first = client
        .chat(ChatRequest::new(vec![Message::user("please call lookup")]).tool(tool.clone()))
        .await
        .unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    let call = first.tool_calls[0].clone();
    assert_eq!(call.name, "lookup");
    assert_eq!(call.arguments["q"], "please call lookup");

    let messages = vec![
        Message::user("please call lookup"),
        Message {
            role: Role::Assistant,
            content: String::new(),
            tool_call_id: None,
            tool_calls: vec![call.clone()],
            provider_state: None,
            attachments: Vec::new(),
        },
        Message {
            role: Role::Tool,
            content: "found it".into(),
            tool_call_id: Some(call.id),
            tool_calls: Vec::new(),
            provider_state: None,
            attachments: Vec::new(),
        },
    ];
    let second = client
        .chat(ChatRequest::new(messages).tool(tool))
        .await
        .unwrap();
    assert_eq!(second.output, "lookup returned: found it");
    assert_eq!(second.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn tool_errors_and_protocol_errors_are_told_apart() {
    let client = mock_client().await;
    let err = client
        .complete(CompleteRequest::new("x").max_tokens(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::BadRequest), "{err}");
    assert!(err.to_string().starts_with("[bad_request] mock: "), "{err}");

    let err = client
        .call_tool("no_such_tool", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Protocol { .. }), "{err:?}");

    let status = client.call_tool("status", json!({})).await.unwrap();
    assert_eq!(status["provider"], "mock");
    assert_eq!(status["calls"], 1);
}

/// A server whose tools are slow, report progress, or watch for cancellation.
#[derive(Clone)]
struct Slow {
    cancelled: Arc<AtomicBool>,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Slow {
    fn new() -> Self {
        Self {
            cancelled: Arc::new(AtomicBool::new(false)),
            tool_router: Self::tool_router(),
        }
    }

    /// Takes 400 ms, reporting progress every 50 ms.
    #[tool(description = "slow with progress")]
    async fn steady(&self, ctx: RequestContext<RoleServer>) -> Result<String, ErrorData> {
        let token = ctx
            .meta
            .get_progress_token()
            .expect("rmcp clients send a token");
        for step in 1..=8 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let param = ProgressNotificationParam::new(token.clone(), f64::from(step))
                .with_message(format!("step {step}"));
            let _ = ctx.peer.notify_progress(param).await;
        }
        Ok("done".into())
    }

    /// Who the client said it was.
    #[tool(description = "client identity")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<String, ErrorData> {
        let info = ctx.peer.peer_info().expect("initialized");
        Ok(format!(
            "{} {}",
            info.client_info.name, info.client_info.version
        ))
    }

    /// Never answers; notes when it is cancelled.
    #[tool(description = "silent")]
    async fn silent(&self, ctx: RequestContext<RoleServer>) -> Result<String, ErrorData> {
        ctx.ct.cancelled().await;
        self.cancelled.store(true, Ordering::SeqCst);
        Ok("cancelled".into())
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Slow {
    fn get_info(&self) -> McpServerConfig {
        McpServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

fn short_timeout() -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_millis(150),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn progress_resets_the_timeout_and_reaches_subscribers() {
    let client = connect(Slow::new(), short_timeout()).await;
    let mut progress = client.subscribe_progress();
    let value = client.call_tool("steady", json!({})).await.unwrap();
    assert_eq!(value, json!("done"));
    let first = progress.recv().await.unwrap();
    assert!(first.message.unwrap().starts_with("step "));
}

#[tokio::test]
async fn the_client_introduces_itself() {
    let client = connect(Slow::new(), ClientOptions::default()).await;
    let who = client.call_tool("whoami", json!({})).await.unwrap();
    assert_eq!(
        who,
        json!(format!("llm-mcp-client {}", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn a_server_that_goes_away_mid_call_is_a_closed_error() {
    // client <-> relay <-> server: aborting the relay is the server's process vanishing.
    let (client_io, mut relay_client) = tokio::io::duplex(64 * 1024);
    let (mut relay_server, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = Slow::new().serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let relay = tokio::spawn(async move {
        let _ = tokio::io::copy_bidirectional(&mut relay_client, &mut relay_server).await;
    });
    let client = LlmClient::connect(client_io, ClientOptions::default())
        .await
        .unwrap();
    let vanish = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        relay.abort();
        std::future::pending::<()>().await
    };
    let err = tokio::select! {
        outcome = client.call_tool("silent", json!({})) => outcome.unwrap_err(),
        () = vanish => unreachable!(),
    };
    assert!(matches!(err, ClientError::Closed { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn silence_times_out_and_cancels_the_request_on_the_server() {
    let server = Slow::new();
    let cancelled = Arc::clone(&server.cancelled);
    let client = connect(server, short_timeout()).await;
    let err = client.call_tool("silent", json!({})).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    wait_for(&cancelled).await;
}

#[tokio::test]
async fn dropping_a_call_cancels_it_on_the_server() {
    let server = Slow::new();
    let cancelled = Arc::clone(&server.cancelled);
    let client = connect(server, ClientOptions::default()).await;
    let call = client.call_tool("silent", json!({}));
    let abandoned = tokio::time::timeout(Duration::from_millis(100), call).await;
    assert!(abandoned.is_err());
    wait_for(&cancelled).await;
}

async fn wait_for(flag: &AtomicBool) {
    for _ in 0..100 {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server never saw the cancellation");
}
