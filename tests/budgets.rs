//! Budgets (issue 15) with real children: each action at its limit (`warn`, `block`,
//! `downgrade`), spend shown by `status`, a budget that survives a restart of the supervisor,
//! and `--usage-log`.

use std::path::Path;

use serde_json::{Value, json};

use crate::supervisor::{Serve, mock, structured, temp_dir, text};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

/// A mock child whose model costs a dollar a token, in and out.
fn priced(name: &str) -> Value {
    let mut entry = mock(name, 0);
    let args = entry["args"].as_array_mut().unwrap();
    args.extend(["--price", "mock-echo-1=1000000/1000000"].map(Value::from));
    entry
}

/// `llm-mcp serve` on `config` in `dir`, its state (the budgets' file) under `dir/state`.
async fn serve_in(dir: &Path, config: &Value, extra: &[&str]) -> Serve {
    let path = dir.join("servers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let mut command = tokio::process::Command::new(LLM_MCP);
    command
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .args(extra)
        .env("XDG_STATE_HOME", dir.join("state"));
    Serve::spawn(command, dir.to_path_buf()).await
}

async fn complete(serve: &Serve, arguments: Value) -> rmcp::model::CallToolResult {
    serve.call("complete", arguments).await
}

fn warnings(result: &rmcp::model::CallToolResult) -> Vec<String> {
    let list = structured(result)["warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn block_refuses_at_the_limit_and_the_spend_survives_a_restart() {
    let dir = temp_dir();
    // "two words" is 2 tokens in and 2 out: $4 a call at a dollar a token.
    let config = json!({
        "mcpServers": {"a": priced("a")},
        "budgets": {"hourly": {"window": "hour", "usd": 6, "action": "block"}}
    });
    let serve = serve_in(&dir, &config, &[]).await;
    for _ in 0..2 {
        let first = complete(&serve, json!({"prompt": "two words"})).await;
        assert_ne!(first.is_error, Some(true), "{}", text(&first));
        assert_eq!(structured(&first)["cost_usd"], 4.0);
    }
    // $8 of $6: refused, naming the budget and when it frees up, without reaching the child.
    let refused = complete(&serve, json!({"prompt": "two words"})).await;
    assert_eq!(refused.is_error, Some(true));
    let message = text(&refused);
    assert!(
        message.starts_with("[budget_exceeded] llm-mcp: budget \"hourly\" is spent ($8.0000 of $6.00 in its window); it frees up at 20"),
        "{message}"
    );
    let meta = refused.meta.clone().unwrap();
    assert_eq!(meta.get("retryable"), Some(&json!(false)), "{meta:?}");
    let status = structured(&serve.call("status", json!({})).await);
    let budget = &status["budgets"][0];
    assert_eq!(
        (
            budget["name"].clone(),
            budget["usd_spent"].clone(),
            budget["spent"].clone()
        ),
        (json!("hourly"), json!(8.0), json!(true)),
        "{status}"
    );
    assert!(budget["frees_at"].as_str().unwrap().ends_with('Z'));
    let pid_file = dir.join("state/llm-mcp/budgets.json");
    assert!(pid_file.exists(), "the spend is on disk");
    // The dir holds the state: close without removing it, then start again.
    let _ = serve.client.cancel().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again = serve_in(&dir, &config, &[]).await;
    let still = complete(&again, json!({"prompt": "two words"})).await;
    assert!(
        text(&still).starts_with("[budget_exceeded]"),
        "{}",
        text(&still)
    );
    let status = structured(&again.call("status", json!({})).await);
    assert_eq!(status["budgets"][0]["usd_spent"], 8.0);
    again.close().await;
}

#[tokio::test]
async fn warn_lets_the_call_through_with_a_warning() {
    let dir = temp_dir();
    let config = json!({
        "mcpServers": {"a": mock("a", 0), "b": mock("b", 0)},
        "budgets": {"a-tokens": {"server": "a", "window": "day", "tokens": 6, "action": "warn"}}
    });
    let serve = serve_in(&dir, &config, &[]).await;
    let under = complete(&serve, json!({"prompt": "two words", "provider": "a"})).await;
    assert!(
        warnings(&under).is_empty(),
        "4 of 6 tokens: {:?}",
        warnings(&under)
    );
    let over = complete(&serve, json!({"prompt": "two words", "provider": "a"})).await;
    assert_eq!(structured(&over)["output"], "two words");
    let said = warnings(&over);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("budget \"a-tokens\" is spent (8 of 6 tokens in its window"),
        "{said:?}"
    );
    // Another server is not counted by a server's budget.
    let other = complete(&serve, json!({"prompt": "two words", "provider": "b"})).await;
    assert!(warnings(&other).is_empty());
    serve.close().await;
}

#[tokio::test]
async fn downgrade_moves_to_the_next_cheaper_tier_and_says_so() {
    let dir = temp_dir();
    let config = json!({
        "mcpServers": {"big": mock("big", 0), "mid": mock("mid", 0), "small": mock("small", 0)},
        "tiers": {"premium": {"server": "big"}, "primary": {"server": "mid"}, "fast": {"server": "small", "model": "echo"}},
        "budgets": {
            "premium": {"tier": "premium", "window": "hour", "tokens": 4, "action": "downgrade"},
            "primary": {"tier": "primary", "window": "hour", "tokens": 1000, "action": "block"},
            "fast": {"tier": "fast", "window": "hour", "tokens": 4, "action": "downgrade"}
        }
    });
    let serve = serve_in(&dir, &config, &[]).await;
    let first = complete(&serve, json!({"prompt": "two words", "tier": "premium"})).await;
    assert_eq!(structured(&first)["provider"], "big");
    assert!(warnings(&first).is_empty());
    let second = complete(&serve, json!({"prompt": "two words", "tier": "premium"})).await;
    assert_eq!(structured(&second)["provider"], "mid", "{}", text(&second));
    let said = warnings(&second);
    assert!(
        said.iter()
            .any(|w| w.starts_with("budget \"premium\" is spent")
                && w.ends_with("downgraded from premium to primary")),
        "{said:?}"
    );
    // The cheapest tier spent with downgrade: nowhere to go, so refused.
    let fast = complete(&serve, json!({"prompt": "two words", "tier": "fast"})).await;
    assert_eq!(structured(&fast)["provider"], "small");
    let nowhere = complete(&serve, json!({"prompt": "two words", "tier": "fast"})).await;
    let message = text(&nowhere);
    assert!(
        message.starts_with("[budget_exceeded]") && message.contains("no cheaper tier"),
        "{message}"
    );
    serve.close().await;
}

#[tokio::test]
async fn the_usage_log_has_one_line_per_provider_call() {
    let dir = temp_dir();
    let log = dir.join("usage.jsonl");
    let config = json!({"mcpServers": {"a": priced("a"), "b": mock("b", 0)}});
    let serve = serve_in(&dir, &config, &["--usage-log", log.to_str().unwrap()]).await;
    complete(&serve, json!({"prompt": "two words"})).await;
    serve
        .call(
            "compare",
            json!({"prompt": "one", "providers": ["a", "b", "zz"]}),
        )
        .await;
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let first = &lines[0];
    assert_eq!(
        (
            first["tool"].clone(),
            first["provider"].clone(),
            first["model"].clone()
        ),
        (json!("complete"), json!("a"), json!("mock-echo-1"))
    );
    assert_eq!(
        (first["tokens"].clone(), first["cost_usd"].clone()),
        (json!(4), json!(4.0))
    );
    assert_eq!(first["outcome"], "ok");
    assert!(first["latency_ms"].is_u64() && first["time"].is_string());
    let outcomes: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            (
                l["provider"].as_str().unwrap().into(),
                l["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&("b".into(), "ok".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|(p, o)| p == "zz" && o != "ok"),
        "an unknown server is a failed call: {outcomes:?}"
    );
    serve.close().await;
}
