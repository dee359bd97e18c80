use super::*;

const PROFILE: Profile = Profile {
    backend: "demo",
    key_env: "DEMO_API_KEY",
    key_required: true,
    base_url_env: "DEMO_BASE_URL",
    base_url: "https://api.demo.test",
    default_model: "demo-large",
    temperature_max: 2.0,
    aliases: &[("large", "demo-large-2")],
};

fn resolve(args: &[&str], vars: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
    test_config(PROFILE, args, vars)
}

#[test]
fn flags_win_over_environment_over_defaults() {
    let config = resolve(&[], &[("DEMO_BASE_URL", "https://proxy.test/x/")]).unwrap();
    assert_eq!(config.base_url.as_str(), "https://proxy.test/x/");
    assert_eq!(config.model, "demo-large");
    assert_eq!(config.name, "demo");
    let config = resolve(
        &["--base-url", "https://flag.test", "--name", "mine"],
        &[("DEMO_BASE_URL", "https://proxy.test")],
    )
    .unwrap();
    assert_eq!(config.base_url.host_str(), Some("flag.test"));
    assert_eq!(config.name, "mine");
}

#[test]
fn keys_come_from_the_variable_or_its_file_and_split_on_commas() {
    let config = resolve(&[], &[("DEMO_API_KEY", "k1, k2")]).unwrap();
    assert_eq!(config.keys.len(), 2);
    assert_eq!(config.key_source, KeySource::Env("DEMO_API_KEY".into()));
    let dir = std::env::temp_dir().join(format!("llm-mcp-key-{}", std::process::id()));
    std::fs::write(&dir, "from-file\n").unwrap();
    let config = resolve(&[], &[("DEMO_API_KEY_FILE", dir.to_str().unwrap())]).unwrap();
    std::fs::remove_file(&dir).unwrap();
    assert_eq!(config.keys[0].expose(), "from-file");
    let config = resolve(&["--api-key-env", "OTHER"], &[("DEMO_API_KEY", "k")]).unwrap();
    assert_eq!(config.key_source, KeySource::Missing("OTHER".into()));
}

#[cfg(unix)]
#[test]
fn a_key_file_that_is_a_fifo_or_a_device_is_refused_at_once() {
    let fifo = std::env::temp_dir().join(format!("llm-mcp-key-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening the FIFO would wait for a writer forever, reading /dev/zero would never end.
    for path in [fifo.to_str().unwrap(), "/dev/zero"] {
        let err = resolve(&[], &[("DEMO_API_KEY_FILE", path)]).unwrap_err();
        assert!(err.0.contains("not a regular file"), "{path}: {err}");
    }
    std::fs::remove_file(&fifo).unwrap();
}

#[test]
fn credentials_in_the_base_url_are_refused_without_being_shown() {
    for url in [
        "https://user:hunter2-secret@api.example.com/v1",
        "https://hunter2-secret@api.example.com/v1",
    ] {
        let err = resolve(&["--base-url", url], &[("DEMO_API_KEY", "k")]).unwrap_err();
        assert!(err.0.contains("holds credentials"), "{err}");
        assert!(!err.0.contains("hunter2"), "{err}");
        assert!(
            err.0.contains("https://<redacted>@api.example.com/v1"),
            "{err}"
        );
    }
    // Unparsable, it is not shown either.
    let err = resolve(&["--base-url", "https://u:hunter2@[bad"], &[]).unwrap_err();
    assert!(!err.0.contains("hunter2"), "{err}");
}

#[test]
fn keys_go_over_http_only_to_loopback_unless_allowed() {
    let key = [("DEMO_API_KEY", "k")];
    assert!(resolve(&["--base-url", "http://127.0.0.1:9"], &key).is_ok());
    assert!(resolve(&["--base-url", "http://localhost:9"], &key).is_ok());
    assert!(resolve(&["--base-url", "http://[::1]:9"], &key).is_ok());
    let err = resolve(&["--base-url", "http://10.0.0.5:8000"], &key).unwrap_err();
    assert!(err.0.contains("--allow-http"));
    assert!(
        resolve(
            &["--base-url", "http://10.0.0.5:8000", "--allow-http"],
            &key
        )
        .is_ok()
    );
    // Without a key nothing secret travels, so a plain http endpoint is fine.
    assert!(resolve(&["--base-url", "http://10.0.0.5:8000"], &[]).is_ok());
}

#[test]
fn aliases_resolve_and_bad_entries_are_refused() {
    let config = resolve(&["--alias", "tiny=demo-tiny-1"], &[]).unwrap();
    assert_eq!(config.resolve_model("large"), "demo-large-2");
    assert_eq!(config.resolve_model("tiny"), "demo-tiny-1");
    assert_eq!(config.resolve_model("demo-x"), "demo-x");
    assert!(resolve(&["--alias", "broken"], &[]).is_err());
    assert!(resolve(&["--timeout", "0"], &[]).is_err());
    assert!(resolve(&["--base-url", "ftp://x"], &[]).is_err());
}

#[test]
fn an_unexpanded_placeholder_is_not_a_key() {
    for placeholder in ["${DEMO_API_KEY}", " ${ANTHROPIC_API_KEY} ", "$DEMO_API_KEY"] {
        let config = resolve(&[], &[("DEMO_API_KEY", placeholder)]).unwrap();
        assert!(config.keys.is_empty(), "{placeholder} was taken as a key");
        assert_eq!(
            config.key_source,
            KeySource::Unexpanded("DEMO_API_KEY".into())
        );
        assert_eq!(config.key_source.state(true), "unexpanded");
        assert!(
            config
                .key_source
                .warning()
                .unwrap()
                .contains("DEMO_API_KEY")
        );
    }
    // A real key that merely contains a dollar sign is still a key.
    let config = resolve(&[], &[("DEMO_API_KEY", "sk-$abc}")]).unwrap();
    assert_eq!(config.keys.len(), 1);
    assert_eq!(config.key_source.state(true), "present");
}

/// A vault at a fresh temporary path holding `entries`, unlocked by `PASS`.
fn vault_with(name: &str, entries: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-cfg-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("vault");
    let mut vault = crate::keystore::vault::Vault::empty();
    for (key, value) in entries {
        vault.set(key, Secret::new(value.to_string())).unwrap();
    }
    vault.save(&path, PASS).unwrap();
    path
}

const PASS: &str = "unit test passphrase";

#[test]
fn a_key_missing_from_the_environment_comes_from_the_vault_and_says_so() {
    let path = vault_with("vault", &[("DEMO_API_KEY", "sk-vault-1,sk-vault-2")]);
    let at = path.to_str().unwrap();
    let unlocked = [("LLM_MCP_VAULT", at), ("LLM_MCP_VAULT_PASSPHRASE", PASS)];
    let config = resolve(&[], &unlocked).unwrap();
    assert_eq!(config.keys.len(), 2);
    assert_eq!(config.keys[1].expose(), "sk-vault-2");
    assert_eq!(
        config.key_source,
        KeySource::Vault {
            name: "DEMO_API_KEY".into(),
            path: path.clone()
        }
    );
    assert_eq!(config.key_source.state(true), "present");
    assert_eq!(config.key_source.variable(), "DEMO_API_KEY");
    assert_eq!(config.key_source.store(), Some(format!("vault {at}")));

    // The environment and the file come first.
    let env_first = [unlocked[0], unlocked[1], ("DEMO_API_KEY", "sk-env")];
    let config = resolve(&[], &env_first).unwrap();
    assert_eq!(config.keys[0].expose(), "sk-env");
    assert_eq!(config.key_source.store().as_deref(), Some("env"));
    let file = path.with_file_name("key");
    std::fs::write(&file, "sk-file").unwrap();
    let file_first = [
        unlocked[0],
        unlocked[1],
        ("DEMO_API_KEY_FILE", file.to_str().unwrap()),
    ];
    let config = resolve(&[], &file_first).unwrap();
    assert_eq!(config.keys[0].expose(), "sk-file");
    assert_eq!(config.key_source.store().as_deref(), Some("file"));

    // Another name is not in it.
    let config = resolve(&["--api-key-env", "OTHER_KEY"], &unlocked).unwrap();
    assert_eq!(config.key_source, KeySource::Missing("OTHER_KEY".into()));
    assert_eq!(config.key_source.store(), None);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_vault_that_cannot_be_opened_is_an_error_for_a_required_key() {
    let path = vault_with("locked", &[("DEMO_API_KEY", "sk-locked")]);
    let at = path.to_str().unwrap();
    let err = resolve(&[], &[("LLM_MCP_VAULT", at)]).unwrap_err();
    assert!(
        err.0
            .starts_with("DEMO_API_KEY is set neither in the environment nor by DEMO_API_KEY_FILE"),
        "{err}"
    );
    assert!(err.0.contains("LLM_MCP_VAULT_PASSPHRASE"), "{err}");
    let wrong = [("LLM_MCP_VAULT", at), ("LLM_MCP_VAULT_PASSPHRASE", "wrong")];
    let err = resolve(&[], &wrong).unwrap_err();
    assert!(err.0.contains("wrong passphrase"), "{err}");
    assert!(!err.0.contains("sk-locked"));
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn an_optional_key_is_read_from_a_store_only_when_named() {
    const OPTIONAL: Profile = Profile {
        key_required: false,
        ..PROFILE
    };
    let path = vault_with("optional", &[("DEMO_API_KEY", "sk-optional")]);
    let at = path.to_str().unwrap();
    // Locked, and not needed: no error, no key, and no passphrase asked for.
    let config = test_config(OPTIONAL, &[], &[("LLM_MCP_VAULT", at)]).unwrap();
    assert_eq!(config.key_source.state(false), "not required");
    let unlocked = [("LLM_MCP_VAULT", at), ("LLM_MCP_VAULT_PASSPHRASE", PASS)];
    let config = test_config(OPTIONAL, &[], &unlocked).unwrap();
    assert!(config.keys.is_empty());
    let named = test_config(OPTIONAL, &["--api-key-env", "DEMO_API_KEY"], &unlocked).unwrap();
    assert_eq!(named.keys[0].expose(), "sk-optional");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn secrets_debug_redacted() {
    let secret = Secret::new("sk-live-123".into());
    assert!(!format!("{secret:?}").contains("sk-live"));
}
