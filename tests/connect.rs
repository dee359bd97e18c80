//! `llm-mcp connect`: stdio clients relayed to one shared `llm-mcp serve --listen` on the
//! user's Unix socket (the default) or on loopback (`--port`), started by whichever client
//! comes first.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::support::{closed_port, command};

/// How the clients reach the shared supervisor.
#[derive(Clone, Copy)]
enum Via {
    /// The default: `$XDG_RUNTIME_DIR/llm-mcp/serve.sock`.
    Socket,
    /// `--port PORT`.
    Port(u16),
}

impl Via {
    /// The name its pid and log files are made from.
    fn tag(self) -> String {
        match self {
            Self::Socket => "serve.sock".into(),
            Self::Port(port) => port.to_string(),
        }
    }
}

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

async fn connect(via: Via, dir: &std::path::Path, config: &std::path::Path) -> Client {
    let runtime = dir.join("run");
    let state = dir.join("state");
    let mut args = vec!["connect", "--config", config.to_str().unwrap()];
    let port;
    if let Via::Port(number) = via {
        port = number.to_string();
        args.extend(["--port", &port]);
    }
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
async fn two_clients_started_at_once_share_one_supervisor_on_the_user_s_socket() {
    let dir = shared_supervisor(Via::Socket, "unix").await;
    let log = std::fs::read_to_string(dir.join("state/llm-mcp/serve-serve.sock.log")).unwrap();
    assert!(log.contains("serving MCP at unix:"), "{log}");
    // The supervisor was stopped (SIGTERM) as the test ended: its socket goes with it.
    let socket = dir.join("run").join("llm-mcp").join("serve.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while socket.exists() {
        assert!(
            Instant::now() < deadline,
            "the socket outlived its supervisor"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_clients_started_at_once_share_one_supervisor_over_loopback_tcp() {
    shared_supervisor(Via::Port(closed_port()), "tcp").await;
}

/// A socket in a directory others may enter is refused, before anything connects to it.
#[cfg(unix)]
#[tokio::test]
async fn a_socket_in_a_directory_open_to_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("llm-mcp-connect-{}-open", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = dir.join("serve.sock");
    let args = ["connect", "--socket", socket.to_str().unwrap()];
    let output = command(LLM_MCP, &args, &[]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is mode 0755"), "{stderr}");
    assert!(!socket.exists(), "no supervisor was started there");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two clients through `via` share one supervisor, its child and its totals, and the
/// supervisor outlives the client that started it. Returns the test's directory.
async fn shared_supervisor(via: Via, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-connect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("servers.json");
    // One call at a time in the child, each taking LATENCY: two clients' calls can only
    // overlap if each had a child (and a limit) of its own.
    let args = [
        "--name",
        "mock",
        "--max-concurrency",
        "1",
        "--latency-ms",
        "400",
    ];
    let servers = json!({"mcpServers": {"mock": {"command": MOCK, "args": args}}});
    std::fs::write(&config, servers.to_string()).unwrap();
    let _shared = Shared {
        pid_file: dir
            .join("run")
            .join("llm-mcp")
            .join(format!("serve-{}.pid", via.tag())),
    };
    // Both at once: the lock lets one of them start the supervisor.
    let (first, second) = tokio::join!(connect(via, &dir, &config), connect(via, &dir, &config));
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
    // One concurrency limit for both: their calls at once take two latencies, one after the
    // other (a lower bound, which a loaded machine only makes longer).
    let started = Instant::now();
    let (one, two) = tokio::join!(
        call(&first, "complete", json!({"prompt": "one"})),
        call(&second, "complete", json!({"prompt": "two"}))
    );
    assert_ne!(one.is_error, Some(true), "{one:?}");
    assert_ne!(two.is_error, Some(true), "{two:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "the calls overlapped: {:?}",
        started.elapsed()
    );
    // One supervisor started: one pid file, one process listening.
    let started = std::fs::read_to_string(&_shared.pid_file).unwrap();
    assert!(started.trim().parse::<u32>().is_ok(), "{started}");
    let logs = dir
        .join("state")
        .join("llm-mcp")
        .join(format!("serve-{}.log", via.tag()));
    let log = std::fs::read_to_string(&logs).unwrap();
    assert_eq!(log.matches("serving MCP at").count(), 1, "{log}");
    // The socket is private, in a private directory.
    #[cfg(unix)]
    if let Via::Socket = via {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let run = dir.join("run").join("llm-mcp");
        let socket = std::fs::metadata(run.join("serve.sock")).unwrap();
        assert!(socket.file_type().is_socket());
        assert_eq!(socket.mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&run).unwrap().mode() & 0o777, 0o700);
    }
    first.cancel().await.unwrap();
    // The supervisor outlives the client that started it: a third client still reaches it.
    let third = connect(via, &dir, &config).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = call(&third, "mock__status", json!({})).await;
    assert_eq!(structured(&status)["calls"], 3, "{status:?}");
    assert!(Instant::now() < deadline);
    second.cancel().await.unwrap();
    third.cancel().await.unwrap();
    dir
}
