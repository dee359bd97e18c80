//! `llm-mcp keys` through the real binary: the vault for real in a temporary file, and the
//! OS keychain when a Secret Service is reachable (skipped, with the reason printed, when not);
//! then a stored key read by a real backend binary, which says in `status` where it found it
//! and sends it to a fake provider.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::json;

use crate::support::anthropic_api::{self, Usage};
use crate::support::{self, FakeProvider, Reply};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const PASSPHRASE: &str = "correct horse battery staple";

/// A fresh directory for one test; the vault goes in a subdirectory that does not exist yet.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-keys-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `llm-mcp keys ARGS` with PATH and HOME, the vault at `vault`, the keychain off, and `env`.
fn keys(args: &[&str], vault: &Path, env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(LLM_MCP);
    command.arg("keys").args(args).env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(var) {
            command.env(var, value);
        }
    }
    command
        .env("LLM_MCP_VAULT", vault)
        .env("LLM_MCP_KEYCHAIN", "off");
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and that `secret` appears in neither output stream.
fn ok_without(out: &Output, secret: &str) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    (stdout, stderr)
}

const WITH_PASS: &[(&str, &str)] = &[("LLM_MCP_VAULT_PASSPHRASE", PASSPHRASE)];

#[test]
fn vault_round_trip_set_list_remove() {
    let dir = temp_dir("round");
    let vault = dir.join("conf").join("vault");
    let secret = "sk-test-vault-0123456789";
    let out = keys(
        &["set", "DEMO_API_KEY"],
        &vault,
        WITH_PASS,
        Some(&format!("{secret}\n")),
    );
    let (_, stderr) = ok_without(&out, secret);
    assert!(
        stderr.contains("stored DEMO_API_KEY in the vault"),
        "{stderr}"
    );
    let bytes = std::fs::read(&vault).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let out = keys(&["set", "OTHER_KEY"], &vault, WITH_PASS, Some("sk-other"));
    ok_without(&out, "sk-other");

    let out = keys(&["list"], &vault, WITH_PASS, None);
    let (stdout, _) = ok_without(&out, secret);
    let where_ = format!("vault {}", vault.display());
    assert_eq!(
        stdout,
        format!("DEMO_API_KEY\t{where_}\nOTHER_KEY\t{where_}\n")
    );

    // The stored value resolves byte for byte (the trailing newline of stdin dropped).
    let env = |name: &str| match name {
        "LLM_MCP_VAULT" => Some(vault.display().to_string()),
        "LLM_MCP_VAULT_PASSPHRASE" => Some(PASSPHRASE.to_string()),
        "LLM_MCP_KEYCHAIN" => Some("off".to_string()),
        _ => None,
    };
    let (found, stored) = llm_mcp::keystore::lookup("DEMO_API_KEY", &env)
        .unwrap()
        .unwrap();
    assert_eq!(found.expose(), secret);
    assert_eq!(stored, llm_mcp::keystore::Stored::Vault(vault.clone()));

    let out = keys(&["remove", "DEMO_API_KEY"], &vault, WITH_PASS, None);
    ok_without(&out, secret);
    let out = keys(&["list"], &vault, WITH_PASS, None);
    assert_eq!(
        text(&ok_without(&out, secret).0.into_bytes()),
        format!("OTHER_KEY\t{where_}\n")
    );
    assert!(
        llm_mcp::keystore::lookup("DEMO_API_KEY", &env)
            .unwrap()
            .is_none()
    );
    let out = keys(&["remove", "DEMO_API_KEY"], &vault, WITH_PASS, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no stored key named DEMO_API_KEY"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_or_missing_passphrase_is_an_error_never_an_empty_vault() {
    let dir = temp_dir("pass");
    let vault = dir.join("vault");
    ok_without(
        &keys(&["set", "DEMO_API_KEY"], &vault, WITH_PASS, Some("sk-kept")),
        "sk-kept",
    );
    let before = std::fs::read(&vault).unwrap();
    let wrong = [("LLM_MCP_VAULT_PASSPHRASE", "not the passphrase")];
    for args in [
        &["list"][..],
        &["set", "NEW_KEY"],
        &["remove", "DEMO_API_KEY"],
    ] {
        let out = keys(args, &vault, &wrong, Some("sk-new"));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("wrong passphrase for the vault"),
            "{stderr}"
        );
        assert!(text(&out.stdout).is_empty());
        assert!(!stderr.contains("sk-kept") && !stderr.contains("sk-new"));
    }
    let out = keys(&["list"], &vault, &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("LLM_MCP_VAULT_PASSPHRASE"));
    // Nothing above rewrote the vault.
    assert_eq!(std::fs::read(&vault).unwrap(), before);

    // The passphrase may come from a file instead.
    let pass_file = dir.join("pass");
    std::fs::write(&pass_file, format!("{PASSPHRASE}\n")).unwrap();
    let from_file = [("LLM_MCP_VAULT_PASSPHRASE_FILE", pass_file.to_str().unwrap())];
    let out = keys(&["list"], &vault, &from_file, None);
    assert!(ok_without(&out, "sk-kept").0.starts_with("DEMO_API_KEY\t"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_vault_is_refused_and_left_alone() {
    let dir = temp_dir("corrupt");
    let vault = dir.join("vault");
    ok_without(
        &keys(&["set", "DEMO_API_KEY"], &vault, WITH_PASS, Some("sk-x")),
        "sk-x",
    );
    let mut bytes = std::fs::read(&vault).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&vault, &bytes).unwrap();
    let out = keys(&["list"], &vault, WITH_PASS, None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is corrupt") && stderr.contains("authentication"),
        "{stderr}"
    );
    let out = keys(&["set", "NEW_KEY"], &vault, WITH_PASS, Some("sk-y"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&vault).unwrap(), bytes);
    std::fs::write(&vault, b"{\"keys\":{}}").unwrap();
    let out = keys(&["list"], &vault, WITH_PASS, None);
    assert!(
        text(&out.stderr).contains("is corrupt"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_vault_is_private_and_replaced_atomically() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = temp_dir("mode");
    let vault = dir.join("fresh").join("vault");
    ok_without(
        &keys(&["set", "A_KEY"], &vault, WITH_PASS, Some("sk-a")),
        "sk-a",
    );
    let first = std::fs::metadata(&vault).unwrap();
    assert_eq!(first.permissions().mode() & 0o777, 0o600);
    let parent = std::fs::metadata(vault.parent().unwrap()).unwrap();
    assert_eq!(parent.permissions().mode() & 0o077, 0);
    ok_without(
        &keys(&["set", "B_KEY"], &vault, WITH_PASS, Some("sk-b")),
        "sk-b",
    );
    let second = std::fs::metadata(&vault).unwrap();
    // A rename put a new file in place (new inode), still 0600, nothing left beside it.
    assert_ne!(first.ino(), second.ino());
    assert_eq!(second.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_dir(vault.parent().unwrap()).unwrap().count(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_names_and_values_are_refused() {
    let dir = temp_dir("bad");
    let vault = dir.join("vault");
    let out = keys(&["set", "not-a-name"], &vault, WITH_PASS, Some("sk"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("expected a variable name"));
    let out = keys(&["set", "EMPTY_KEY"], &vault, WITH_PASS, Some("\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("empty"));
    let huge = "k".repeat(20 * 1024);
    let out = keys(&["set", "HUGE_KEY"], &vault, WITH_PASS, Some(&huge));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("longer than"));
    assert!(!vault.exists());
    // A value on the command line is a usage error: argv is visible in `ps`.
    let out = keys(
        &["set", "DEMO_API_KEY", "sk-in-argv"],
        &vault,
        WITH_PASS,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_keychain_auto_falls_back_to_the_vault_and_keychain_only_fails() {
    let dir = temp_dir("fallback");
    let vault = dir.join("vault");
    let on = [
        ("LLM_MCP_KEYCHAIN", "on"),
        ("LLM_MCP_VAULT_PASSPHRASE", PASSPHRASE),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/llm-mcp-test-bus",
        ),
    ];
    let out = keys(&["set", "DEMO_API_KEY"], &vault, &on, Some("sk-fb"));
    let (_, stderr) = ok_without(&out, "sk-fb");
    assert!(
        stderr.contains("keychain:") && stderr.contains("using the vault instead"),
        "{stderr}"
    );
    assert!(vault.exists());
    let out = keys(
        &["set", "DEMO_API_KEY", "--store", "keychain"],
        &vault,
        &on,
        Some("sk-fb"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("sk-fb"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Says why the keychain test does not run; with `LLM_MCP_TEST_KEYCHAIN=required` (as .ci/run
/// sets it under its own Secret Service) not running is a failure.
fn skip(reason: &str) {
    assert!(
        std::env::var("LLM_MCP_TEST_KEYCHAIN").as_deref() != Ok("required"),
        "the keychain test must run here, but: {reason}"
    );
    eprintln!("skipped: {reason}");
}

/// Runs only where a Secret Service answers (CI starts gnome-keyring under dbus-run-session).
#[test]
fn keychain_round_trip_when_a_secret_service_is_reachable() {
    let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        skip("no DBUS_SESSION_BUS_ADDRESS, so no Secret Service to test against");
        return;
    };
    let name = format!("LLM_MCP_TEST_KEY_{}", std::process::id());
    let dir = temp_dir("keychain");
    let vault = dir.join("vault");
    let bus = bus.to_str().unwrap().to_string();
    let on = [
        ("LLM_MCP_KEYCHAIN", "on"),
        ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()),
    ];
    let secret = "sk-test-keychain-42";
    let out = keys(
        &["set", &name, "--store", "keychain"],
        &vault,
        &on,
        Some(secret),
    );
    if out.status.code() != Some(0) {
        skip(&format!(
            "the Secret Service is not usable here: {}",
            text(&out.stderr).trim()
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    assert!(!text(&out.stderr).contains(secret));
    let out = keys(&["list"], &vault, &on, None);
    let (stdout, _) = ok_without(&out, secret);
    assert!(
        stdout.lines().any(|l| l == format!("{name}\tkeychain")),
        "{stdout}"
    );
    // The keychain is read before the vault, and says so.
    let env = |var: &str| match var {
        "LLM_MCP_VAULT" => Some(vault.display().to_string()),
        _ => None,
    };
    let (found, stored) = llm_mcp::keystore::lookup(&name, &env).unwrap().unwrap();
    assert_eq!(found.expose(), secret);
    assert_eq!(stored, llm_mcp::keystore::Stored::Keychain);
    // A backend finds it there, says so, and sends it.
    let backend_env = [
        ("LLM_MCP_KEYCHAIN", "on"),
        ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(assert_backend_uses_the_stored_key(
        &["--api-key-env", &name],
        &backend_env,
        secret,
        &name,
        "keychain",
    ));
    let out = keys(&["remove", &name], &vault, &on, None);
    ok_without(&out, secret);
    assert!(llm_mcp::keystore::lookup(&name, &env).unwrap().is_none());
    let out = keys(&["list"], &vault, &on, None);
    assert!(!text(&out.stdout).contains(&name));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts `llm-mcp backend anthropic ARGS` with `env` against a fake, and checks that `status`
/// reports the key `name` present in `store`, that a call sends `secret` as the key, and that
/// the secret never appears on the server's stdout or stderr.
async fn assert_backend_uses_the_stored_key(
    args: &[&str],
    env: &[(&str, &str)],
    secret: &str,
    name: &str,
    store: &str,
) {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        input: 3,
        output: 2,
        cache_read: 0,
        cache_creation: 0,
    };
    let body = anthropic_api::text("claude-test", "from the store", usage);
    fake.push("/v1/messages", Reply::json(200, &body));
    let url = fake.url();
    let env: Vec<(&str, &str)> = env
        .iter()
        .copied()
        .chain([("ANTHROPIC_BASE_URL", url.as_str())])
        .collect();
    let argv: Vec<&str> = ["backend", "anthropic"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let mut server = support::start(LLM_MCP, &argv, &env).await;
    let status = server.call("status", json!({})).await;
    let status = status.structured();
    assert_eq!(status["credentials"], "present", "{status}");
    assert_eq!(status["credentials_source"], name, "{status}");
    assert_eq!(status["credentials_store"], store, "{status}");
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(result.record()["output"], "from the store");
    let sent = fake.requests_to("/v1/messages");
    assert_eq!(sent.len(), 1);
    let key = sent[0].headers.iter().find(|(k, _)| k == "x-api-key");
    assert_eq!(key.map(|(_, v)| v.as_str()), Some(secret));
    server
        .shutdown(support::EXIT_GRACE)
        .await
        .assert_never_printed(secret);
}

#[tokio::test]
async fn a_backend_reads_its_key_from_the_vault_says_so_and_sends_it() {
    let dir = temp_dir("backend");
    let vault = dir.join("vault");
    let secret = "sk-ant-test-vault-5678";
    ok_without(
        &keys(
            &["set", "ANTHROPIC_API_KEY"],
            &vault,
            WITH_PASS,
            Some(secret),
        ),
        secret,
    );
    let at = vault.to_str().unwrap();
    let env = [
        ("LLM_MCP_VAULT", at),
        ("LLM_MCP_VAULT_PASSPHRASE", PASSPHRASE),
    ];
    let store = format!("vault {at}");
    assert_backend_uses_the_stored_key(&[], &env, secret, "ANTHROPIC_API_KEY", &store).await;

    // The environment wins over the vault.
    let fake = FakeProvider::start().await;
    let url = fake.url();
    let env = [
        ("LLM_MCP_VAULT", at),
        ("LLM_MCP_VAULT_PASSPHRASE", PASSPHRASE),
        ("ANTHROPIC_API_KEY", "sk-ant-from-env"),
        ("ANTHROPIC_BASE_URL", url.as_str()),
    ];
    let mut server = support::start(LLM_MCP, &["backend", "anthropic"], &env).await;
    let status = server.call("status", json!({})).await;
    assert_eq!(status.structured()["credentials_store"], "env");
    server.shutdown(support::EXIT_GRACE).await;

    // A vault that cannot be opened stops the start, saying why, without the key.
    let env = [("LLM_MCP_VAULT", at)];
    let mut command = support::command(LLM_MCP, &["backend", "anthropic"], &env);
    let out = command.stdin(Stdio::null()).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ANTHROPIC_API_KEY is set neither in the environment"),
        "{stderr}"
    );
    assert!(stderr.contains("LLM_MCP_VAULT_PASSPHRASE"), "{stderr}");
    assert!(!stderr.contains(secret));
    std::fs::remove_dir_all(&dir).unwrap();
}
