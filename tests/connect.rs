//! `llm-mcp connect`: stdio clients relayed to one shared `llm-mcp serve --listen` on
//! loopback, started by whichever client comes first.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::support::{closed_port, command};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

type Client = RunningService<RoleClient, ()>;

/// Ends the shared supervisor when the test ends, however it ends.
struct Shared {
    pid_file: PathBuf,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file) {
            let _ = std::process::Command::new("kill").arg(pid.trim()).status();
        }
    }
}

async fn connect(port: u16, dir: &std::path::Path, config: &std::path::Path) -> Client {
    let port = port.to_string();
    let runtime = dir.join("run");
    let state = dir.join("state");
    let args = [
        "connect",
        "--port",
        &port,
        "--config",
        config.to_str().unwrap(),
    ];
    let env = [
        ("XDG_RUNTIME_DIR", runtime.to_str().unwrap()),
        ("XDG_STATE_HOME", state.to_str().unwrap()),
    ];
    let transport = TokioChildProcess::new(command(LLM_MCP, &args, &env)).unwrap();
    ().serve(transport).await.unwrap()
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_string())
        .with_arguments(arguments.as_object().unwrap().clone());
    client.peer().call_tool(params).await.unwrap()
}

fn structured(result: &CallToolResult) -> &Value {
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

#[tokio::test]
async fn two_clients_started_at_once_share_one_supervisor_its_children_and_totals() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-connect-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("servers.json");
    let servers = json!({"mcpServers": {"mock": {"command": MOCK, "args": ["--name", "mock"]}}});
    std::fs::write(&config, servers.to_string()).unwrap();
    let port = closed_port();
    let _shared = Shared {
        pid_file: dir
            .join("run")
            .join("llm-mcp")
            .join(format!("serve-{port}.pid")),
    };
    // Both at once: the lock lets one of them start the supervisor.
    let (first, second) = tokio::join!(connect(port, &dir, &config), connect(port, &dir, &config));
    let answer = call(&first, "complete", json!({"prompt": "through the first"})).await;
    assert_ne!(answer.is_error, Some(true), "{answer:?}");
    assert!(
        structured(&answer)["output"]
            .as_str()
            .unwrap()
            .contains("through the first")
    );
    // The second client sees the first one's call in the one child's totals.
    let status = call(&second, "mock__status", json!({})).await;
    assert_eq!(structured(&status)["calls"], 1, "{status:?}");
    let (a, b) = (
        call(&first, "providers", json!({})).await,
        call(&second, "providers", json!({})).await,
    );
    let pid = |r: &CallToolResult| structured(r)["providers"][0]["pid"].clone();
    assert!(pid(&a).is_u64(), "{a:?}");
    assert_eq!(pid(&a), pid(&b), "one child for both clients");
    // One supervisor started: one pid file, one process listening.
    let started = std::fs::read_to_string(&_shared.pid_file).unwrap();
    assert!(started.trim().parse::<u32>().is_ok(), "{started}");
    let logs = dir
        .join("state")
        .join("llm-mcp")
        .join(format!("serve-{port}.log"));
    let log = std::fs::read_to_string(&logs).unwrap();
    assert_eq!(log.matches("serving MCP at").count(), 1, "{log}");
    first.cancel().await.unwrap();
    // The supervisor outlives the client that started it: a third client still reaches it.
    let third = connect(port, &dir, &config).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = call(&third, "mock__status", json!({})).await;
    assert_eq!(structured(&status)["calls"], 1, "{status:?}");
    assert!(Instant::now() < deadline);
    second.cancel().await.unwrap();
    third.cancel().await.unwrap();
}
