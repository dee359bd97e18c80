//! The sampling bridge (issue 15): a child that sends `sampling/createMessage` is answered by
//! the supervisor through a configured backend (routed by the request's model hints, counted
//! against the budgets, logged); `forward` passes it to a client that supports sampling;
//! `refuse` offers no sampling and refuses the request.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577 in rmcp; children still use it.

use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequestParams, CreateMessageResult,
    Implementation, SamplingMessage,
};
use rmcp::service::RequestContext;
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::supervisor::{Serve, mock, shell, structured, temp_dir, text};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

/// A minimal MCP server in sh whose tool `ask` sends one `sampling/createMessage` (a user
/// message "two words", hinting at `fast`) and answers with what it saw: whether sampling was
/// offered at initialize, and the reply's model, text or error message.
const SAMPLING_SERVER: &str = r#"
offered=no
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/^{"jsonrpc":"2.0","id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"method":"initialize"'*)
      case "$line" in *'"sampling":{'*) offered=yes;; esac
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id";;
    *'"method":"tools/list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"ask","inputSchema":{"type":"object"}}]}}\n' "$id";;
    *'"method":"tools/call"'*)
      printf '{"jsonrpc":"2.0","id":"s%s","method":"sampling/createMessage","params":{"messages":[{"role":"user","content":{"type":"text","text":"two words"}}],"modelPreferences":{"hints":[{"name":"fast"}]},"systemPrompt":"be brief","maxTokens":50}}\n' "$id"
      while IFS= read -r reply; do
        case "$reply" in *'"id":"s'"$id"'"'*) break;; esac
      done
      model=$(printf '%s' "$reply" | sed -n 's/.*"model":"\([^"]*\)".*/\1/p')
      said=$(printf '%s' "$reply" | sed -n 's/.*"text":"\([^"]*\)".*/\1/p')
      error=$(printf '%s' "$reply" | sed -n 's/.*"message":"\([^"]*\)".*/\1/p')
      printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"offered=%s model=%s text=%s error=%s"}]}}\n' "$id" "$offered" "$model" "$said" "$error";;
    *'"method":"ping"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id";;
  esac
done
"#;

#[tokio::test]
async fn a_childs_sampling_request_is_answered_by_a_configured_backend() {
    let dir = temp_dir();
    let log = dir.join("usage.jsonl");
    let config = json!({
        "mcpServers": {"asker": shell(SAMPLING_SERVER), "big": mock("big", 0), "small": mock("small", 0)},
        "default": "big",
        "tiers": {"fast": {"server": "small", "model": "echo"}, "premium": {"server": "big"}},
        "budgets": {"all": {"window": "day", "tokens": 1000, "action": "block"}}
    });
    std::fs::write(dir.join("servers.json"), config.to_string()).unwrap();
    let mut command = tokio::process::Command::new(LLM_MCP);
    command
        .arg("serve")
        .arg("--config")
        .arg(dir.join("servers.json"))
        .arg("--usage-log")
        .arg(&log)
        .env("XDG_STATE_HOME", dir.join("state"));
    let serve = Serve::spawn(command, dir.clone()).await;
    let answer = serve.call("asker__ask", json!({})).await;
    // The hint `fast` routed it to the fast tier: the mock `small` echoes the user message.
    assert_eq!(
        text(&answer),
        "offered=yes model=mock-echo-1 text=two words error=",
        "{answer:?}"
    );
    // Counted against the budgets ("be brief" + "two words" in, "two words" out) ...
    let status = structured(&serve.call("status", json!({})).await);
    assert_eq!(status["budgets"][0]["tokens_spent"], 6, "{status}");
    // ... and logged, as answered by the tier's server.
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (lines[0]["tool"].clone(), lines[0]["provider"].clone()),
        (json!("sampling"), json!("small"))
    );
    serve.close().await;
}

#[tokio::test]
async fn refuse_offers_no_sampling_and_refuses_the_request() {
    let serve = Serve::start(json!({
        "mcpServers": {"asker": shell(SAMPLING_SERVER), "a": mock("a", 0)},
        "sampling": "refuse"
    }))
    .await;
    let answer = text(&serve.call("asker__ask", json!({})).await);
    assert!(
        answer.starts_with("offered=no model= text= error=sampling is "),
        "{answer}"
    );
    serve.close().await;
}

/// An upstream client that supports sampling and answers every request itself.
#[derive(Clone)]
struct Sampler;

impl ClientHandler for Sampler {
    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let message = SamplingMessage::assistant_text("from the client");
        Ok(CreateMessageResult::new(message, "client-model".into()))
    }

    fn get_info(&self) -> ClientConfig {
        let capabilities = ClientCapabilities::builder().enable_sampling().build();
        ClientConfig::new(capabilities, Implementation::new("sampler", "1"))
    }
}

#[tokio::test]
async fn forward_passes_the_request_to_a_client_that_supports_sampling() {
    let dir = temp_dir();
    let config = json!({
        "mcpServers": {"asker": shell(SAMPLING_SERVER), "a": mock("a", 0)},
        "sampling": "forward"
    });
    std::fs::write(dir.join("servers.json"), config.to_string()).unwrap();
    let mut command = tokio::process::Command::new(LLM_MCP);
    command
        .arg("serve")
        .arg("--config")
        .arg(dir.join("servers.json"));
    let client = Sampler
        .serve(TokioChildProcess::new(command).unwrap())
        .await
        .unwrap();
    let params = rmcp::model::CallToolRequestParams::new("asker__ask");
    let answer = client.peer().call_tool(params).await.unwrap();
    let said: String = answer
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.clone())
        .collect();
    assert_eq!(
        said,
        "offered=yes model=client-model text=from the client error="
    );
    let _ = client.cancel().await;
    let _ = std::fs::remove_dir_all(dir);
}
