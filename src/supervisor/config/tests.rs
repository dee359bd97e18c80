use super::*;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn parses_in_file_order_with_expansion() {
    let text = r#"{"mcpServers": {
        "zeta": {"command": "llm-mcp-mock", "args": ["--name", "${WHO}"]},
        "alpha.one": {"command": "/bin/x", "env": {"KEY": "k-${SUFFIX}"}}
    }, "default": "alpha_one", "fallback": ["zeta"], "tiers": {"fast": {"server": "zeta", "model": "echo"}},
    "expose": ["alpha_one__chat"]}"#;
    let config = SupervisorConfig::parse(text, &vars(&[("WHO", "me"), ("SUFFIX", "42")])).unwrap();
    let names: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["zeta", "alpha_one"]);
    assert_eq!(config.servers[0].args, ["--name", "me"]);
    assert_eq!(config.servers[1].env["KEY"], "k-42");
    assert_eq!(config.default_server(), Some("alpha_one"));
    assert_eq!(config.tiers["fast"].model.as_deref(), Some("echo"));
    assert_eq!(config.restart, RestartPolicy::default());
    assert!(config.expose.shows("alpha_one", "chat"));
    assert!(!config.expose.shows("zeta", "chat"));
}

#[test]
fn refuses_what_cannot_work() {
    let env = vars(&[]);
    let bad = [
        r#"{"mcpServers": {}}"#,
        r#"{"mcpServers": {"a": {"args": []}}}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "default": "b"}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "fallback": ["b"]}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "tiers": {"huge": {"server": "a"}}}"#,
        r#"{"mcpServers": {"a.b": {"command": "x"}, "a_b": {"command": "y"}}}"#,
        r#"{"mcpServers": {"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!": {"command": "x"}}}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "fallbacks": ["a"]}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "expose": ["b__chat"]}"#,
        r#"{"mcpServers": {"a": {"command": "x"}}, "expose": "a__chat"}"#,
        "not json",
    ];
    for text in bad {
        assert!(SupervisorConfig::parse(text, &env).is_err(), "{text}");
    }
}

#[test]
fn catalog_files_reach_every_child_relative_to_the_config_file() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("servers.json");
    std::fs::write(
        &path,
        r#"{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y",
            "env": {"LLM_MCP_CATALOG": "/own.json"}}}, "catalog": ["models.json"]}"#,
    )
    .unwrap();
    let config = SupervisorConfig::load(&path, &vars(&[])).unwrap();
    let wanted = dir.join("models.json").to_string_lossy().into_owned();
    assert_eq!(config.servers[0].env[CATALOG_ENV], wanted);
    // An entry's own setting wins.
    assert_eq!(config.servers[1].env[CATALOG_ENV], "/own.json");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unset_variable_is_an_error_naming_it() {
    let text = r#"{"mcpServers": {"local": {"command": "llm-mcp-openai",
        "env": {"OPENAI_BASE_URL": "${LOCAL_URL}/v1"}}}}"#;
    let err = SupervisorConfig::parse(text, &vars(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "mcpServers.local.env.OPENAI_BASE_URL: ${LOCAL_URL} is not set in the environment"
    );
    let args = r#"{"mcpServers": {"a": {"command": "x", "args": ["--name", "${WHO}"]}}}"#;
    let err = SupervisorConfig::parse(args, &vars(&[])).unwrap_err();
    assert!(
        err.to_string().starts_with("mcpServers.a.args[1]: ${WHO}"),
        "{err}"
    );
    let set = SupervisorConfig::parse(text, &vars(&[("LOCAL_URL", "http://h")])).unwrap();
    assert_eq!(set.servers[0].env["OPENAI_BASE_URL"], "http://h/v1");
}

#[test]
fn builtin_has_a_child_per_present_key_and_the_mock_only_without_any() {
    let none = SupervisorConfig::builtin(&vars(&[]));
    assert_eq!(none.servers.len(), 1);
    assert_eq!(none.default_server(), Some("mock"));
    assert!(none.fallback.is_empty());
    let some = SupervisorConfig::builtin(&vars(&[("OPENAI_API_KEY", "k")]));
    let names: Vec<&str> = some.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["openai"]);
    assert_eq!(some.default.as_deref(), Some("openai"));
    assert!(some.fallback.is_empty());
    let two = SupervisorConfig::builtin(&vars(&[
        ("ANTHROPIC_API_KEY", "k"),
        ("MISTRAL_API_KEY", "k"),
    ]));
    assert_eq!(two.default.as_deref(), Some("anthropic"));
    assert_eq!(two.fallback, ["mistral"]);
    assert!(!two.servers.iter().any(|s| s.name == "mock"));
}

#[test]
fn builtin_children_are_this_executable_running_a_backend() {
    let config = SupervisorConfig::builtin(&vars(&[("GEMINI_API_KEY", "k")]));
    let exe = std::env::current_exe().unwrap();
    assert_eq!(config.servers[0].program(), exe);
    assert_eq!(config.servers[0].args, ["backend", "gemini"]);
    assert_eq!(config.servers[0].locate().unwrap(), exe);
}

#[test]
fn a_missing_command_names_itself_where_it_was_looked_for_and_how_to_build_it() {
    let spec = spec("mock", "llm-mcp-no-such-server");
    let message = spec.locate().unwrap_err().to_string();
    assert!(
        message.starts_with("llm-mcp-no-such-server not found"),
        "{message}"
    );
    let beside = std::env::current_exe().unwrap();
    let beside = beside.parent().unwrap().display().to_string();
    assert!(message.contains(&beside), "{message}");
    assert!(
        message.contains("cargo build --release --bins"),
        "{message}"
    );
    assert!(message.contains("cargo install --path ."), "{message}");
    let spec = spec_path("/no/such/llm-mcp-mock");
    let message = spec.locate().unwrap_err().to_string();
    assert!(
        message.contains("/no/such/llm-mcp-mock not found"),
        "{message}"
    );
}

fn spec(name: &str, command: &str) -> ServerSpec {
    ServerSpec {
        name: name.to_string(),
        command: command.to_string(),
        args: Vec::new(),
        env: BTreeMap::new(),
        inherit: Vec::new(),
    }
}

fn spec_path(command: &str) -> ServerSpec {
    spec("x", command)
}

#[test]
fn restart_delays_double_to_the_cap() {
    let policy = RestartPolicy::default();
    let delays: Vec<u64> = (0..7).map(|n| policy.delay(n).as_secs()).collect();
    assert_eq!(delays, [1, 2, 4, 8, 16, 16, 16]);
}

#[test]
fn bare_commands_are_found_on_path_and_paths_are_kept() {
    assert!(find_program("sh").is_some());
    assert_eq!(find_program("/bin/sh"), None);
    assert_eq!(find_program("no-such-command-llm-mcp"), None);
}
