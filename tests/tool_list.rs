//! The size and portability of `tools/list` (issue 12): every backend within
//! [`BACKEND_TOOLS_BUDGET`] (raised by 512 bytes in issue 15 for titles and annotations, which
//! clients do not pass to the model; see its doc), `llm-mcp serve` with six children in its default configuration
//! within [`SERVE_TOOLS_BUDGET`], no `type` arrays in any tool's schemas, and every result
//! valid against its tool's `outputSchema` (so the compact schemas still tell the truth).

use std::time::{Duration, Instant};

use llm_mcp::schema::{BACKEND_TOOLS_BUDGET, SERVE_TOOLS_BUDGET, type_arrays};
use serde_json::{Value, json};

use crate::support::{self, McpProcess, closed_port};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");

/// Every backend, and the variables that enable it, each endpoint on a closed loopback port
/// so nothing can leave the machine.
fn backends(port: u16) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let closed = format!("http://127.0.0.1:{port}");
    vec![
        (
            "anthropic",
            vec![
                ("ANTHROPIC_API_KEY", "sk-ant-test".into()),
                ("ANTHROPIC_BASE_URL", closed.clone()),
            ],
        ),
        (
            "openai",
            vec![
                ("OPENAI_API_KEY", "sk-test".into()),
                ("OPENAI_BASE_URL", closed.clone()),
            ],
        ),
        (
            "gemini",
            vec![
                ("GEMINI_API_KEY", "g-test".into()),
                ("GEMINI_BASE_URL", closed.clone()),
            ],
        ),
        (
            "mistral",
            vec![
                ("MISTRAL_API_KEY", "m-test".into()),
                ("MISTRAL_BASE_URL", closed.clone()),
            ],
        ),
        ("ollama", vec![("OLLAMA_HOST", closed)]),
        ("mock", vec![]),
    ]
}

/// `tools/list`: the response line exactly as the server wrote it, and the tools.
async fn list(server: &mut McpProcess) -> (String, Vec<Value>) {
    let response = server.request("tools/list", json!({})).await;
    let id = response["id"].clone();
    let line = server
        .stdout_lines()
        .into_iter()
        .rev()
        .find(|line| {
            serde_json::from_str::<Value>(line)
                .is_ok_and(|v| v["id"] == id && v["result"].is_object())
        })
        .expect("the tools/list response line");
    let tools = response["result"]["tools"].as_array().cloned().unwrap();
    (line, tools)
}

/// Panics naming every place a tool's schema declares `type` as an array.
fn assert_single_typed(tools: &[Value]) {
    for tool in tools {
        for key in ["inputSchema", "outputSchema"] {
            let found = type_arrays(&tool[key]);
            assert!(
                found.is_empty(),
                "{} {key}: type arrays at {found:?}",
                tool["name"]
            );
        }
    }
}

/// What `value` breaks of `schema`, for the keywords these schemas use (type, enum,
/// properties, required, items, additionalProperties).
fn violations(schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(kind) = schema["type"].as_str() {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "null" => value.is_null(),
            other => panic!("{at}: unexpected type {other}"),
        };
        if !ok {
            found.push(format!("{at}: {value} is not {kind}"));
            return found;
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                found.push(format!("{at}: lacks required {name}"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(sub) => found.extend(violations(sub, field, &format!("{at}.{name}"))),
                None if schema["additionalProperties"] == json!(false) => {
                    found.push(format!("{at}: {name} is not allowed"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (n, item) in items.iter().enumerate() {
            found.extend(violations(schema, item, &format!("{at}[{n}]")));
        }
    }
    found
}

/// Calls `name` and checks its structuredContent against the tool's outputSchema.
async fn assert_valid_result(server: &mut McpProcess, tools: &[Value], name: &str, args: Value) {
    let tool = tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tool {name}"));
    let result = server.call(name, args).await;
    assert!(!result.is_error(), "{name}: {}", result.text());
    let value = result.structured();
    let broken = violations(&tool["outputSchema"], value, name);
    assert!(broken.is_empty(), "{name}: {broken:?}\n{value}");
}

#[tokio::test]
async fn every_backend_lists_its_tools_within_the_budget_and_single_typed() {
    let port = closed_port();
    for (name, env) in backends(port) {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut server = support::start(LLM_MCP, &["backend", name], &env).await;
        let (line, tools) = list(&mut server).await;
        eprintln!("{name}: tools/list is {} bytes", line.len());
        assert!(
            line.len() <= BACKEND_TOOLS_BUDGET,
            "{name}: tools/list is {} bytes; the budget is {BACKEND_TOOLS_BUDGET}",
            line.len()
        );
        assert_eq!(tools.len(), 4, "{name}");
        assert_single_typed(&tools);
        // A result with nulls in it (no price, no latency from an unreachable endpoint)
        // must still validate.
        assert_valid_result(&mut server, &tools, "status", json!({})).await;
        assert_valid_result(&mut server, &tools, "list_models", json!({})).await;
        server.shutdown(support::EXIT_GRACE).await;
    }
}

#[tokio::test]
async fn records_validate_against_the_compact_output_schemas() {
    let mut server = support::start(LLM_MCP, &["backend", "mock"], &[]).await;
    let (_, tools) = list(&mut server).await;
    assert_valid_result(&mut server, &tools, "complete", json!({"prompt": "hi"})).await;
    let weather = json!({"name": "get_weather", "input_schema": {"type": "object"}});
    let chat = json!({
        "messages": [{"role": "user", "content": "call get_weather"}],
        "tools": [weather],
        "reasoning": {"effort": "low", "include": true}
    });
    assert_valid_result(&mut server, &tools, "chat", chat).await;
    server.shutdown(support::EXIT_GRACE).await;
}

/// A config file with one child per backend, each `llm-mcp backend NAME`.
fn six_children(port: u16, extra: Value) -> Value {
    let mut servers = serde_json::Map::new();
    for (name, env) in backends(port) {
        let env: serde_json::Map<String, Value> = env
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        servers.insert(
            name.to_string(),
            json!({"command": LLM_MCP, "args": ["backend", name], "env": env}),
        );
    }
    let mut config = json!({"mcpServers": servers, "default": "mock"});
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        config[key] = value;
    }
    config
}

/// `llm-mcp serve --config` on `config`, once every child is ready.
async fn serve(config: &Value, name: &str) -> (McpProcess, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("llm-mcp-tl-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_str().unwrap().to_string();
    let mut server = support::start(LLM_MCP, &["serve", "--config", &path], &[]).await;
    wait_ready(&mut server, 6).await;
    (server, dir)
}

/// Polls `providers` until `count` children are ready.
async fn wait_ready(server: &mut McpProcess, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = server.call("providers", json!({})).await;
        let providers = list.structured()["providers"].as_array().cloned().unwrap();
        let ready = providers.iter().filter(|p| p["state"] == "ready").count();
        if providers.len() == count && ready == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "children never all ready: {providers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_with_six_children_lists_its_own_tools_within_the_budget() {
    let (mut server, dir) = serve(&six_children(closed_port(), json!({})), "default").await;
    let (line, tools) = list(&mut server).await;
    eprintln!("serve, six children: tools/list is {} bytes", line.len());
    assert!(
        line.len() <= SERVE_TOOLS_BUDGET,
        "serve's tools/list is {} bytes; the budget is {SERVE_TOOLS_BUDGET}",
        line.len()
    );
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        ["complete", "compare", "providers", "restart", "status"]
    );
    assert_single_typed(&tools);
    for (tool, args) in [
        ("complete", json!({"prompt": "routed"})),
        (
            "compare",
            json!({"prompt": "both", "providers": ["mock", "openai"]}),
        ),
        ("providers", json!({})),
        ("restart", json!({"name": "mock"})),
        ("status", json!({})),
    ] {
        assert_valid_result(&mut server, &tools, tool, args).await;
    }
    // Not listed, still callable.
    let status = server.call("mock__status", json!({})).await;
    assert_eq!(status.structured()["provider"], "mock");
    server.shutdown(support::EXIT_GRACE).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_builtin_default_with_every_backend_enabled_is_within_the_budget() {
    let port = closed_port();
    let vars: Vec<(&str, String)> = backends(port)
        .into_iter()
        .flat_map(|(_, env)| env)
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = support::start(LLM_MCP, &["serve"], &vars).await;
    wait_ready(&mut server, 5).await;
    let (line, tools) = list(&mut server).await;
    eprintln!(
        "serve, built-in default: tools/list is {} bytes",
        line.len()
    );
    assert!(line.len() <= SERVE_TOOLS_BUDGET, "{} bytes", line.len());
    assert_eq!(tools.len(), 5);
    server.shutdown(support::EXIT_GRACE).await;
}

#[tokio::test]
async fn exposed_child_tools_are_listed_single_typed_and_valid() {
    let config = six_children(closed_port(), json!({"expose": ["*"]}));
    let (mut server, dir) = serve(&config, "all").await;
    let (line, tools) = list(&mut server).await;
    eprintln!(
        "serve, six children, expose *: tools/list is {} bytes",
        line.len()
    );
    assert_eq!(tools.len(), 5 + 6 * 4);
    assert_single_typed(&tools);
    assert_valid_result(
        &mut server,
        &tools,
        "mock__complete",
        json!({"prompt": "hi"}),
    )
    .await;
    assert_valid_result(&mut server, &tools, "gemini__status", json!({})).await;
    server.shutdown(support::EXIT_GRACE).await;
    let _ = std::fs::remove_dir_all(dir);

    // Only what is named, once the children list their tools.
    let config = six_children(
        closed_port(),
        json!({"expose": ["mock__chat", "ollama__*"]}),
    );
    let (mut server, dir) = serve(&config, "some").await;
    let (_, tools) = list(&mut server).await;
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names[..5],
        ["complete", "compare", "providers", "restart", "status"]
    );
    names[5..].sort_unstable();
    assert_eq!(
        names[5..],
        [
            "mock__chat",
            "ollama__chat",
            "ollama__complete",
            "ollama__list_models",
            "ollama__status"
        ]
    );
    server.shutdown(support::EXIT_GRACE).await;
    let _ = std::fs::remove_dir_all(dir);
}
