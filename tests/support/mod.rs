//! Shared test support: a fake provider, the provider bodies it serves, and a driver for
//! spawned MCP server binaries.

#![allow(dead_code)]

pub mod anthropic_api;
pub mod catalog;
pub mod fake;
pub mod gemini_api;
pub mod http;
pub mod listener;
pub mod mcp;
pub mod mistral_api;
pub mod ollama_api;
pub mod openai_api;
pub mod progress;
pub mod responses_api;
pub mod tasks;

use std::time::Duration;

use tokio::process::Command;

pub use fake::{Ending, FakeProvider, Reply};
pub use mcp::McpProcess;

/// The grace period for a server to exit after its stdin closes.
pub const EXIT_GRACE: Duration = Duration::from_secs(10);

/// A command for `binary` with a cleared environment (only PATH and HOME survive), so a
/// developer's real keys and settings never reach a test: nor do the keys in their keychain
/// or in the vault under HOME (`env` may turn either back on).
pub fn command(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary);
    command.args(args).env_clear();
    for name in ["PATH", "HOME"] {
        if let Ok(value) = std::env::var(name) {
            command.env(name, value);
        }
    }
    command
        .env("LLM_MCP_KEYCHAIN", "off")
        .env("LLM_MCP_VAULT", "/nonexistent/llm-mcp-tests/vault");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Spawns `binary` with `args` and `env` (on top of PATH and HOME) and initializes it.
pub async fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> McpProcess {
    let mut server = McpProcess::spawn(command(binary, args, env));
    server.initialize().await;
    server
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
pub mod fuzz_gen;
pub mod hostile;
pub mod raw;

// Streaming and fault tests (tests/streaming.rs, tests/faults.rs).
pub mod backend_list;
pub mod backends;
pub mod sse;
pub mod streams;
