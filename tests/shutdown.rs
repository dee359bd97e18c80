//! `llm-mcp serve` leaves nothing behind: not its children, not their process groups, and
//! not a grandchild that left the group with `setsid`, whether serve ends on SIGTERM, on
//! stdin EOF (with a call in flight), by SIGKILL, or restarts the child.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::supervisor::{LLM_MCP, Serve, alive, mock, signal, structured};
use crate::support;

const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// Long enough for a loaded machine: the processes are expected gone in milliseconds.
const GONE_WITHIN: Duration = Duration::from_secs(10);

/// A child entry: a shell that starts a grandchild in a session of its own (`setsid`, so no
/// signal to the child's process group reaches it; it keeps the child's stdout), writes both
/// pids to `dir`, and becomes the mock.
fn escaping_child(dir: &Path) -> Value {
    let script = r#"setsid sh -c 'echo $$ > "$1/grandchild"; exec sleep 1000' sh "$1" &
echo $$ > "$1/child"
exec "$0" --name g"#;
    json!({"command": "/bin/sh", "args": ["-c", script, MOCK, dir.to_str().unwrap()]})
}

fn scratch() -> PathBuf {
    let dir = crate::supervisor::temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until the script wrote both pids; returns (child, grandchild).
async fn escaped_pids(dir: &Path) -> (u32, u32) {
    let read = |name: &str| -> Option<u32> {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let deadline = Instant::now() + GONE_WITHIN;
    loop {
        if let (Some(child), Some(grandchild)) = (read("child"), read("grandchild")) {
            assert!(alive(child) && alive(grandchild), "both run to begin with");
            return (child, grandchild);
        }
        assert!(Instant::now() < deadline, "the script never wrote its pids");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn start(dir: &Path) -> (Serve, u32, u32) {
    let serve = Serve::start(json!({"mcpServers": {"g": escaping_child(dir)}})).await;
    assert_eq!(serve.provider("g").await["state"], "ready");
    let (child, grandchild) = escaped_pids(dir).await;
    (serve, child, grandchild)
}

async fn all_gone(pids: &[u32]) {
    let pids = pids.to_vec();
    let left = || {
        pids.iter()
            .copied()
            .filter(|p| alive(*p))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + GONE_WITHIN;
    while !left().is_empty() {
        assert!(
            Instant::now() < deadline,
            "still running after {GONE_WITHIN:?}: {:?}",
            left()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ends the grandchild whatever happened, so a failing test leaves no `sleep 1000` behind.
struct Reap(u32);

impl Drop for Reap {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &self.0.to_string()])
                .status();
        }
    }
}

/// The child starts with none of the signals its keeper waits for blocked (a blocked mask is
/// inherited: a child with SIGTERM blocked would ignore it, one with SIGCHLD blocked would
/// never hear of its own children). A shell would hide it (it clears its mask): the mock is
/// the child itself here.
#[tokio::test]
async fn the_child_sees_signals_as_usual() {
    let serve = Serve::start(json!({"mcpServers": {"a": mock("a", 0)}})).await;
    let child = crate::supervisor::pid_of(&serve.provider("a").await);
    let status = std::fs::read_to_string(format!("/proc/{child}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
    let mask = u64::from_str_radix(line.trim_start_matches("SigBlk:").trim(), 16).unwrap();
    let waited = [1, 2, 15, 17].map(|signal| 1u64 << (signal - 1));
    assert!(
        waited.iter().all(|bit| mask & bit == 0),
        "the child starts with {line:?}"
    );
    serve.close().await;
}

#[tokio::test]
async fn sigterm_ends_a_grandchild_that_left_the_group() {
    let dir = scratch();
    let (serve, child, grandchild) = start(&dir).await;
    let _reap = Reap(grandchild);
    signal(serve.pid, "TERM");
    all_gone(&[serve.pid, child, grandchild]).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn stdin_eof_ends_a_grandchild_that_left_the_group() {
    let dir = scratch();
    let (serve, child, grandchild) = start(&dir).await;
    let _reap = Reap(grandchild);
    let pid = serve.pid;
    serve.close().await;
    all_gone(&[pid, child, grandchild]).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sigkill_of_serve_ends_its_children_and_their_grandchildren() {
    let dir = scratch();
    let (serve, child, grandchild) = start(&dir).await;
    let _reap = Reap(grandchild);
    let _reap_child = Reap(child);
    signal(serve.pid, "KILL");
    all_gone(&[serve.pid, child, grandchild]).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_restart_ends_the_old_grandchild() {
    let dir = scratch();
    let (serve, child, grandchild) = start(&dir).await;
    let _reap = Reap(grandchild);
    std::fs::remove_file(dir.join("child")).unwrap();
    std::fs::remove_file(dir.join("grandchild")).unwrap();
    let restarted = structured(&serve.call("restart", json!({"name": "g"})).await);
    assert_eq!(restarted["state"], "ready", "{restarted}");
    all_gone(&[child, grandchild]).await;
    let (new_child, new_grandchild) = escaped_pids(&dir).await;
    let _reap_new = Reap(new_grandchild);
    let pid = serve.pid;
    serve.close().await;
    all_gone(&[pid, new_child, new_grandchild]).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// stdin EOF cancels what is in flight and exits at once: the call of a child that would
/// answer in 60 s does not hold serve (rmcp alone waits 5 s for handlers to finish).
#[tokio::test]
async fn stdin_eof_with_a_call_in_flight_exits_promptly() {
    let dir = scratch();
    let path = dir.join("servers.json");
    let config = json!({"mcpServers": {"a": mock("a", 60_000)}});
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_string_lossy().into_owned();
    let mut server = support::start(LLM_MCP, &["serve", "--config", &path], &[]).await;
    let providers = server.call("providers", json!({})).await;
    let child = providers.structured()["providers"][0]["pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(alive(child));
    let (_, answer) = server
        .start_request(
            "tools/call",
            json!({"name": "a__complete", "arguments": {"prompt": "slow"}}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let transcript = server.shutdown(GONE_WITHIN).await;
    let took = started.elapsed();
    assert_eq!(transcript.exit_code, Some(0), "{}", transcript.stderr);
    eprintln!("serve exited {took:?} after stdin EOF with a call in flight");
    all_gone(&[child]).await;
    // Generous for a loaded machine, and still short of rmcp's 5 s drain.
    assert!(
        took < Duration::from_millis(4500),
        "serve took {took:?} to exit"
    );
    drop(answer);
    let _ = std::fs::remove_dir_all(dir);
}
