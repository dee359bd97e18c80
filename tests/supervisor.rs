//! `llm-mcp serve` end to end: the real supervisor binary over stdio, supervising real
//! `llm-mcp-mock` children (and a few shell commands that fail on purpose), with short restart
//! delays so the whole file stays fast.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, ClientRequest,
    ProgressNotificationParam, ServerResult,
};
use rmcp::service::PeerRequestOptions;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};

pub(crate) const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const MOCK: &str = env!("CARGO_BIN_EXE_llm-mcp-mock");

/// Counts `notifications/tools/list_changed` and keeps every progress notification.
#[derive(Clone, Default)]
pub(crate) struct Watcher {
    list_changed: Arc<AtomicUsize>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.list_changed.fetch_add(1, Ordering::SeqCst);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }
}

/// A running `llm-mcp serve` and its config file.
pub(crate) struct Serve {
    pub(crate) dir: PathBuf,
    pub(crate) pid: u32,
    pub(crate) client: RunningService<RoleClient, Watcher>,
    list_changed: Arc<AtomicUsize>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

pub(crate) fn temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("llm-mcp-sv-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A mock child entry.
pub(crate) fn mock(name: &str, latency_ms: u64) -> Value {
    json!({"command": MOCK, "args": ["--name", name, "--latency-ms", latency_ms.to_string()]})
}

/// A child entry running a shell script.
pub(crate) fn shell(script: &str) -> Value {
    json!({"command": "/bin/sh", "args": ["-c", script]})
}

/// Fast restarts for tests.
const FAST_RESTART: &str = "restart";

fn with_fast_restart(mut config: Value) -> Value {
    if config.get(FAST_RESTART).is_none() {
        config[FAST_RESTART] = json!({"initial_delay_ms": 100, "max_delay_ms": 400});
    }
    config
}

impl Serve {
    pub(crate) async fn start(config: Value) -> Self {
        let dir = temp_dir();
        let path = dir.join("servers.json");
        std::fs::write(&path, with_fast_restart(config).to_string()).unwrap();
        let mut command = tokio::process::Command::new(LLM_MCP);
        command.arg("serve").arg("--config").arg(&path);
        Self::spawn(command, dir).await
    }

    pub(crate) async fn spawn(command: tokio::process::Command, dir: PathBuf) -> Self {
        let transport = TokioChildProcess::new(command).unwrap();
        let pid = transport.id().unwrap();
        let watcher = Watcher::default();
        let (list_changed, progress) = (watcher.list_changed.clone(), watcher.progress.clone());
        let client = watcher.serve(transport).await.unwrap();
        Self {
            dir,
            pid,
            client,
            list_changed,
            progress,
        }
    }

    /// Replaces the config file in one step (as editors do), so a poll never reads half of it.
    fn rewrite(&self, config: Value) {
        let tmp = self.dir.join("servers.json.tmp");
        std::fs::write(&tmp, with_fast_restart(config).to_string()).unwrap();
        std::fs::rename(&tmp, self.dir.join("servers.json")).unwrap();
    }

    pub(crate) async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let arguments = arguments.as_object().cloned().unwrap_or_default();
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        self.client.peer().call_tool(params).await.unwrap()
    }

    /// The `providers` entry of `name`.
    pub(crate) async fn provider(&self, name: &str) -> Value {
        let list = structured(&self.call("providers", json!({})).await);
        let found = list["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name);
        found.cloned().unwrap_or(Value::Null)
    }

    /// Polls `providers` until `name` satisfies `check`, for at most `limit`.
    pub(crate) async fn wait_for(
        &self,
        name: &str,
        limit: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let provider = self.provider(name).await;
            if check(&provider) {
                return provider;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never got there: {provider}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the supervisor's stdin and waits for it to exit.
    pub(crate) async fn close(self) {
        let _ = self.client.cancel().await;
        wait_until(Duration::from_secs(10), || !alive(self.pid)).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn structured(result: &CallToolResult) -> Value {
    result.structured_content.clone().unwrap_or(Value::Null)
}

pub(crate) fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.clone())
        .collect()
}

pub(crate) fn pid_of(provider: &Value) -> u32 {
    provider["pid"].as_u64().expect("a pid") as u32
}

/// State, parent and group of a process from /proc; `None` when it does not exist.
fn stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    Some((fields[0].chars().next()?, fields[2].parse().ok()?))
}

/// Running (a zombie counts as gone: it only waits to be reaped by its new parent).
pub(crate) fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z')
}

/// Live processes whose process group is `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| stat(*pid).is_some_and(|(state, group)| group == pgid && state != 'Z'))
        .collect()
}

pub(crate) fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

pub(crate) async fn wait_until(limit: Duration, check: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn children_tools_are_listed_as_prefixed_names_and_forwarded() {
    let serve = Serve::start(
        json!({"mcpServers": {"a": mock("a", 0), "b.x": mock("bx", 0)}, "expose": ["*"]}),
    )
    .await;
    let info = serve
        .client
        .peer_info()
        .unwrap()
        .server_info
        .clone()
        .unwrap();
    assert_eq!(info.name, "llm-mcp");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let tools = serve.client.peer().list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for name in [
        "complete",
        "compare",
        "providers",
        "restart",
        "a__complete",
        "a__status",
        "b_x__chat",
        "b_x__list_models",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(names.len(), 5 + 2 * 4);
    let result = serve
        .call("b_x__complete", json!({"prompt": "hello b"}))
        .await;
    assert_eq!(structured(&result)["provider"], "bx");
    assert_eq!(structured(&result)["output"], "hello b");
    let unknown = serve
        .client
        .peer()
        .call_tool(CallToolRequestParams::new("zz__complete"))
        .await;
    // A protocol error (invalid params), naming the tool, not a tool result.
    match unknown {
        Err(rmcp::ServiceError::McpError(error)) => {
            assert_eq!(
                error.code,
                rmcp::model::ErrorCode::INVALID_PARAMS,
                "{error:?}"
            );
            assert!(error.message.contains("\"zz__complete\""), "{error:?}");
        }
        other => panic!("an unknown tool must be a protocol error: {other:?}"),
    }
    serve.close().await;
}

#[tokio::test]
async fn complete_goes_to_the_provider_the_tier_or_the_default() {
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 0), "b": mock("b", 0)},
        "default": "a",
        "tiers": {"fast": {"server": "b", "model": "tier-model"}, "premium": {"server": "a", "model": "big"}}
    }))
    .await;
    let default = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
    assert_eq!(
        (default["provider"].clone(), default["tried"].clone()),
        (json!("a"), json!(["a"]))
    );
    let chosen = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "provider": "b"}))
            .await,
    );
    assert_eq!(chosen["provider"], "b");
    let fast = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "tier": "fast"}))
            .await,
    );
    assert_eq!(
        (fast["provider"].clone(), fast["model"].clone()),
        (json!("b"), json!("tier-model"))
    );
    let small = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "tier": "auto"}))
            .await,
    );
    assert_eq!(small["provider"], "b", "a short prompt is fast");
    let long = "word ".repeat(1_000);
    let large = structured(
        &serve
            .call("complete", json!({"prompt": long, "tier": "auto"}))
            .await,
    );
    assert_eq!(
        (large["provider"].clone(), large["model"].clone()),
        (json!("a"), json!("big")),
        "no primary tier: the nearest is premium"
    );
    let unknown = serve
        .call("complete", json!({"prompt": "hi", "provider": "zz"}))
        .await;
    assert!(
        unknown.is_error == Some(true) && text(&unknown).starts_with("[bad_request]"),
        "{}",
        text(&unknown)
    );
    serve.close().await;
}

#[tokio::test]
async fn complete_falls_back_when_the_first_server_is_down() {
    let serve = Serve::start(json!({
        "mcpServers": {"dead": shell("exit 3"), "b": mock("b", 0)},
        "default": "dead", "fallback": ["b"],
        "restart": {"initial_delay_ms": 10000}
    }))
    .await;
    let record = structured(
        &serve
            .call("complete", json!({"prompt": "still here"}))
            .await,
    );
    assert_eq!(record["provider"], "b");
    assert_eq!(record["output"], "still here");
    assert_eq!(record["tried"], json!(["dead", "b"]));
    // Alone, the dead server is an [unreachable] error naming it, and says what was tried.
    let alone = serve
        .call("complete", json!({"prompt": "x", "provider": "dead"}))
        .await;
    assert_eq!(alone.is_error, Some(true));
    assert!(
        text(&alone).starts_with("[unreachable] dead:"),
        "{}",
        text(&alone)
    );
    assert_eq!(alone.meta.unwrap().get("tried"), Some(&json!(["dead"])));
    let dead = serve.provider("dead").await;
    assert_eq!(dead["state"], "restarting");
    assert_eq!(dead["last_exit"], "exit code 3 during start");
    serve.close().await;
}

#[tokio::test]
async fn compare_answers_per_provider_in_order() {
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 50), "b": mock("b", 0), "dead": shell("exit 1")},
        "restart": {"initial_delay_ms": 10000}
    }))
    .await;
    let started = Instant::now();
    let result = serve
        .call(
            "compare",
            json!({"prompt": "same", "providers": ["b", "dead", "a"]}),
        )
        .await;
    let results = structured(&result)["results"].as_array().cloned().unwrap();
    let providers: Vec<&Value> = results.iter().map(|r| &r["provider"]).collect();
    assert_eq!(providers, [&json!("b"), &json!("dead"), &json!("a")]);
    assert_eq!(results[0]["record"]["output"], "same");
    assert_eq!(results[2]["record"]["provider"], "a");
    assert_eq!(results[1]["kind"], "unreachable");
    assert!(results[1]["error"].as_str().unwrap().contains("dead"));
    assert!(started.elapsed() < Duration::from_secs(2));
    // Without a list: every server that has a complete tool, or may have one.
    let all = structured(&serve.call("compare", json!({"prompt": "x"})).await);
    assert_eq!(all["results"].as_array().unwrap().len(), 3);
    serve.close().await;
}

#[tokio::test]
async fn a_killed_child_fails_its_call_at_once_and_comes_back() {
    let config = json!({"mcpServers": {"a": mock("a", 1500)}, "expose": ["a__*"]});
    let serve = Arc::new(Serve::start(config).await);
    let before = serve.list_changed.load(Ordering::SeqCst);
    let pid = pid_of(&serve.provider("a").await);
    let in_flight = {
        let serve = serve.clone();
        tokio::spawn(async move { serve.call("a__complete", json!({"prompt": "slow"})).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Instant::now();
    signal(pid, "9");
    let result = in_flight.await.unwrap();
    assert!(
        killed.elapsed() < Duration::from_millis(700),
        "failed after {:?}",
        killed.elapsed()
    );
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).starts_with("[upstream] a:"),
        "{}",
        text(&result)
    );
    // Ready again as a new process: right after the kill the monitor may not have seen the
    // exit yet, and `providers` still shows the old process as ready for a moment.
    let back = serve
        .wait_for("a", Duration::from_secs(5), |p| {
            p["state"] == "ready" && pid_of(p) != pid
        })
        .await;
    assert_eq!(back["restarts"], 1);
    assert_eq!(back["last_exit"], "killed by signal 9");
    let again = serve.call("a__complete", json!({"prompt": "again"})).await;
    assert_eq!(structured(&again)["output"], "again");
    assert!(
        serve.list_changed.load(Ordering::SeqCst) >= before + 2,
        "gone, then back"
    );
    Arc::into_inner(serve).unwrap().close().await;
}

#[tokio::test]
async fn a_crash_loop_waits_for_restart() {
    let dir = temp_dir();
    let flag = dir.join("broken");
    std::fs::write(&flag, "").unwrap();
    let script = format!(
        "if [ -e '{}' ]; then exit 3; fi; exec '{MOCK}' --name c",
        flag.display()
    );
    let serve = Serve::start(json!({
        "mcpServers": {"c": shell(&script)},
        "restart": {"max_restarts": 3, "initial_delay_ms": 20, "max_delay_ms": 40}
    }))
    .await;
    let looping = serve
        .wait_for("c", Duration::from_secs(5), |p| p["state"] == "crash_loop")
        .await;
    assert_eq!(
        looping["restarts"], 2,
        "three crashes: the first start and two restarts"
    );
    assert_eq!(looping["last_exit"], "exit code 3 during start");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        serve.provider("c").await["state"],
        "crash_loop",
        "it stays there"
    );
    std::fs::remove_file(&flag).unwrap();
    let restarted = structured(&serve.call("restart", json!({"name": "c"})).await);
    assert_eq!(restarted["state"], "ready");
    assert_eq!(restarted["restarts"], 3);
    let answer = serve.call("c__complete", json!({"prompt": "fixed"})).await;
    assert_eq!(structured(&answer)["output"], "fixed");
    serve.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_hung_child_is_killed_and_restarted() {
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 0)},
        "health": {"ping_interval_ms": 100, "ping_timeout_ms": 200}
    }))
    .await;
    let pid = pid_of(&serve.provider("a").await);
    signal(pid, "STOP");
    let back = serve
        .wait_for("a", Duration::from_secs(5), |p| {
            p["state"] == "ready" && p["pid"] != json!(pid)
        })
        .await;
    assert!(
        back["last_exit"]
            .as_str()
            .unwrap()
            .contains("stopped answering pings"),
        "{back}"
    );
    assert!(!alive(pid));
    serve.close().await;
}

#[tokio::test]
async fn cancellation_reaches_the_child() {
    let serve = Arc::new(Serve::start(json!({"mcpServers": {"a": mock("a", 3000)}})).await);
    let params = CallToolRequestParams::new("a__complete").with_arguments(
        json!({"prompt": "never mind"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let call = {
        let serve = serve.clone();
        tokio::spawn(async move { serve.client.peer().call_tool(params).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Dropping rmcp's call future sends notifications/cancelled upstream.
    call.abort();
    let status = |r: CallToolResult| structured(&r);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let counters = status(serve.call("a__status", json!({})).await);
        if counters["calls"] == 1 {
            assert_eq!(
                counters["errors"], 1,
                "the child cancelled its call: {counters}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the child never heard of the cancellation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Arc::into_inner(serve).unwrap().close().await;
}

#[tokio::test]
async fn reload_touches_only_changed_children() {
    let serve = Serve::start(
        json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 0), "c": mock("c", 0)}}),
    )
    .await;
    let a = pid_of(&serve.provider("a").await);
    let b = pid_of(&serve.provider("b").await);
    let c = pid_of(&serve.provider("c").await);
    let before = serve.list_changed.load(Ordering::SeqCst);
    // Make sure the new file gets a different modification time.
    tokio::time::sleep(Duration::from_millis(20)).await;
    serve.rewrite(json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 5), "d": mock("d", 0)}, "default": "d", "expose": ["d__complete", "a__*"]}));
    let d = serve
        .wait_for("d", Duration::from_secs(5), |p| p["state"] == "ready")
        .await;
    let b_after = serve
        .wait_for("b", Duration::from_secs(5), |p| p["state"] == "ready")
        .await;
    assert_ne!(pid_of(&b_after), b, "b's entry changed: restarted");
    assert_eq!(
        pid_of(&serve.provider("a").await),
        a,
        "a's entry did not change"
    );
    assert_eq!(serve.provider("c").await, Value::Null, "c was removed");
    wait_until(Duration::from_secs(3), || !alive(c)).await;
    let names: Vec<String> = structured(&serve.call("providers", json!({})).await)["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "b", "d"]);
    let routed = structured(
        &serve
            .call("complete", json!({"prompt": "new default"}))
            .await,
    );
    assert_eq!(routed["provider"], "d");
    assert!(serve.list_changed.load(Ordering::SeqCst) > before);
    let tools = serve.client.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "d__complete"));
    assert!(!tools.iter().any(|t| t.name == "c__complete"));
    assert!(pid_of(&d) > 0);
    serve.close().await;
}

/// Every pid of the children and of their process groups (a child's pid is its group's id).
async fn children(serve: &Serve, names: &[&str]) -> Vec<u32> {
    let mut pids = Vec::new();
    for name in names {
        let pid = pid_of(&serve.provider(name).await);
        pids.extend(group_members(pid));
        pids.push(pid);
    }
    pids
}

const WITH_GRANDCHILD: &str = "sleep 300 & exec \"$0\" --name g";

#[tokio::test]
async fn stdin_eof_leaves_no_process_behind() {
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 0), "g": {"command": "/bin/sh", "args": ["-c", WITH_GRANDCHILD, MOCK]}}
    }))
    .await;
    let g = pid_of(&serve.provider("g").await);
    assert_eq!(
        group_members(g).len(),
        2,
        "the mock and its sleeping grandchild"
    );
    let pids = children(&serve, &["a", "g"]).await;
    serve.close().await;
    // SIGKILL is sent before the supervisor exits, but on a loaded machine a killed process
    // can take a moment to be gone from /proc.
    let gone = || pids.iter().all(|pid| !alive(*pid)) && group_members(g).is_empty();
    wait_until(Duration::from_secs(5), gone).await;
}

#[tokio::test]
async fn sigterm_cancels_calls_and_leaves_no_process_behind() {
    let serve = Arc::new(
        Serve::start(json!({
            "mcpServers": {"a": mock("a", 10_000), "g": {"command": "/bin/sh", "args": ["-c", WITH_GRANDCHILD, MOCK]}}
        }))
        .await,
    );
    let pids = children(&serve, &["a", "g"]).await;
    let in_flight = {
        let serve = serve.clone();
        tokio::spawn(async move {
            let params = CallToolRequestParams::new("a__complete")
                .with_arguments(json!({"prompt": "slow"}).as_object().cloned().unwrap());
            serve.client.peer().call_tool(params).await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    signal(serve.pid, "TERM");
    wait_until(Duration::from_secs(8), || !alive(serve.pid)).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "shutdown took {:?}",
        started.elapsed()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), in_flight).await;
    for pid in pids {
        assert!(!alive(pid), "{pid} survived the supervisor");
    }
}

#[tokio::test]
async fn a_hundred_concurrent_calls_across_three_children() {
    let serve = Arc::new(
        Serve::start(
            json!({"mcpServers": {"a": mock("a", 20), "b": mock("b", 20), "c": mock("c", 20)}}),
        )
        .await,
    );
    let calls = (0..100).map(|i| {
        let serve = serve.clone();
        async move {
            let child = ["a", "b", "c"][i % 3];
            let prompt = format!("call number {i}");
            let result = if i % 2 == 0 {
                serve
                    .call(&format!("{child}__complete"), json!({"prompt": prompt}))
                    .await
            } else {
                serve
                    .call("complete", json!({"prompt": prompt, "provider": child}))
                    .await
            };
            let record = structured(&result);
            assert_eq!(record["output"], prompt.as_str(), "{}", text(&result));
            assert_eq!(record["provider"], child);
        }
    });
    let started = Instant::now();
    futures::future::join_all(calls).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    Arc::into_inner(serve).unwrap().close().await;
}

/// A minimal MCP server in sh. Its tools, `work` and `dotted.tool-with-a-rather-long-name-x`
/// (37 characters), both report progress 1, 3, then a stale 2 (under the token they were given)
/// and answer `done`.
const PROGRESS_SERVER: &str = r#"
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/^{"jsonrpc":"2.0","id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"method":"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id";;
    *'"method":"tools/list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"work","inputSchema":{"type":"object"}},{"name":"dotted.tool-with-a-rather-long-name-x","inputSchema":{"type":"object"}}]}}\n' "$id";;
    *'"method":"tools/call"'*)
      token=$(printf '%s' "$line" | sed -n 's/.*"progressToken":\([0-9]*\).*/\1/p')
      for step in 1 3 2; do
        printf '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":%s,"progress":%s,"message":"step %s"}}\n' "$token" "$step" "$step"
        sleep 0.1
      done
      printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"done"}]}}\n' "$id";;
    *'"method":"ping"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id";;
  esac
done
"#;

#[tokio::test]
async fn progress_is_forwarded_under_the_clients_token_and_never_goes_back() {
    let serve = Serve::start(json!({"mcpServers": {"p": shell(PROGRESS_SERVER)}})).await;
    // A few calls first, so the client's next progress token differs from the child's.
    for _ in 0..3 {
        serve.call("providers", json!({})).await;
    }
    let params = CallToolRequestParams::new("p__work");
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    let options = PeerRequestOptions::with_timeout(Duration::from_secs(5));
    let handle = serve
        .client
        .peer()
        .send_request_with_option(request, options)
        .await
        .unwrap();
    let token = handle.progress_token.clone();
    let answer = handle.await_response().await.unwrap();
    let ServerResult::CallToolResult(result) = answer else {
        panic!("not a tool result")
    };
    assert_eq!(text(&result), "done");
    let seen = serve.progress.lock().unwrap().clone();
    let steps: Vec<(f64, Option<String>)> = seen
        .iter()
        .map(|p| (p.progress, p.message.clone()))
        .collect();
    assert_eq!(
        steps,
        [(1.0, Some("step 1".into())), (3.0, Some("step 3".into()))],
        "the stale 2 is dropped"
    );
    assert!(seen.iter().all(|p| p.progress_token == token));
    serve.close().await;
}

#[tokio::test]
async fn tool_names_are_cleaned_and_too_long_ones_left_out() {
    let short = "p";
    let long = "q".repeat(26); // 26 + 2 + 37 characters = 65: one too many
    let serve = Serve::start(json!({"mcpServers": {short: shell(PROGRESS_SERVER), long.clone(): shell(PROGRESS_SERVER)}, "expose": ["*"]})).await;
    let tools = serve.client.peer().list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"p__dotted_tool-with-a-rather-long-name-x"),
        "{names:?}"
    );
    assert!(names.contains(&format!("{long}__work").as_str()));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with(&format!("{long}__dotted")))
    );
    assert!(names.iter().all(|n| n.len() <= 64));
    let cleaned = serve
        .call("p__dotted_tool-with-a-rather-long-name-x", json!({}))
        .await;
    assert_eq!(
        text(&cleaned),
        "done",
        "the cleaned name routes to the child's own name"
    );
    serve.close().await;
}

#[tokio::test]
async fn sighup_reloads_even_when_the_file_looks_unchanged() {
    let serve = Serve::start(json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 5)}})).await;
    let a = pid_of(&serve.provider("a").await);
    let b = pid_of(&serve.provider("b").await);
    let path = serve.dir.join("servers.json");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    // Same length, same modification time: only SIGHUP can tell.
    let config = with_fast_restart(json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 7)}}));
    std::fs::write(&path, config.to_string()).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(modified).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        pid_of(&serve.provider("b").await),
        b,
        "polling saw no change"
    );
    signal(serve.pid, "HUP");
    serve
        .wait_for("b", Duration::from_secs(3), |p| {
            p["state"] == "ready" && p["pid"] != json!(b)
        })
        .await;
    assert_eq!(pid_of(&serve.provider("a").await), a);
    serve.close().await;
}

#[tokio::test]
async fn without_a_config_file_the_builtin_default_serves_mock() {
    let mut command = tokio::process::Command::new(LLM_MCP);
    command
        .arg("serve")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY");
    let serve = Serve::spawn(command, temp_dir()).await;
    let list = structured(&serve.call("providers", json!({})).await);
    assert_eq!(list["providers"][0]["name"], "mock");
    assert_eq!(list["providers"].as_array().unwrap().len(), 1);
    let record = structured(&serve.call("complete", json!({"prompt": "offline"})).await);
    assert_eq!(
        (record["provider"].clone(), record["output"].clone()),
        (json!("mock"), json!("offline"))
    );
    serve.close().await;
}

#[tokio::test]
async fn records_name_the_config_entry_and_compare_refuses_an_unknown_provider() {
    // Two entries running the same mock, which signs its records `mock` either way.
    let plain = json!({"command": MOCK});
    let serve = Serve::start(json!({"mcpServers": {"foo": plain, "bar": plain}})).await;
    let foo = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "provider": "foo"}))
            .await,
    );
    assert_eq!(foo["provider"], "foo");
    let bar = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "provider": "bar"}))
            .await,
    );
    assert_eq!(bar["provider"], "bar");
    let compared = structured(
        &serve
            .call(
                "compare",
                json!({"prompt": "hi", "providers": ["bar", "nope", "foo"]}),
            )
            .await,
    );
    let results = compared["results"].as_array().unwrap();
    assert_eq!(results[0]["record"]["provider"], "bar");
    assert_eq!(results[2]["record"]["provider"], "foo");
    // Not retryable, not "state removed": the caller named a server that is not configured.
    assert_eq!(results[1]["kind"], "bad_request", "{}", results[1]);
    let error = results[1]["error"].as_str().unwrap();
    assert!(
        error.contains("no server is named \"nope\"") && error.contains("foo, bar"),
        "{error}"
    );
    serve.close().await;
}

#[tokio::test]
async fn expose_chooses_the_listed_child_tools_and_reloads_without_restarts() {
    let serve = Serve::start(json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 0)}})).await;
    let names = |tools: Vec<rmcp::model::Tool>| -> Vec<String> {
        tools.into_iter().map(|t| t.name.into_owned()).collect()
    };
    let own = ["complete", "compare", "providers", "restart", "status"];
    let listed = names(serve.client.peer().list_all_tools().await.unwrap());
    assert_eq!(listed, own, "without expose, only the own tools");
    // Not listed, still routed.
    let hidden = serve.call("b__complete", json!({"prompt": "hidden"})).await;
    assert_eq!(structured(&hidden)["output"], "hidden");
    let (a, b) = (
        pid_of(&serve.provider("a").await),
        pid_of(&serve.provider("b").await),
    );
    let before = serve.list_changed.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    serve.rewrite(json!({"mcpServers": {"a": mock("a", 0), "b": mock("b", 0)}, "expose": ["a__chat", "b__*"]}));
    wait_until(Duration::from_secs(5), || {
        serve.list_changed.load(Ordering::SeqCst) > before
    })
    .await;
    let mut listed = names(serve.client.peer().list_all_tools().await.unwrap());
    assert_eq!(listed[..5], own);
    listed[5..].sort();
    assert_eq!(
        listed[5..],
        [
            "a__chat",
            "b__chat",
            "b__complete",
            "b__list_models",
            "b__status"
        ]
    );
    assert_eq!(pid_of(&serve.provider("a").await), a, "a kept running");
    assert_eq!(pid_of(&serve.provider("b").await), b, "b kept running");
    serve.close().await;
}
