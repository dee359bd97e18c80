//! `llm-mcp keys` through the real binary: the vault for real in a temporary file, and the
//! OS keychain when a Secret Service is reachable (skipped, with the reason printed, when not).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// Runs only where a Secret Service answers (CI starts gnome-keyring under dbus-run-session).
#[test]
fn keychain_round_trip_when_a_secret_service_is_reachable() {
    let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        eprintln!("skipped: no DBUS_SESSION_BUS_ADDRESS, so no Secret Service to test against");
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
        eprintln!(
            "skipped: the Secret Service is not usable here: {}",
            text(&out.stderr).trim()
        );
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
    let out = keys(&["remove", &name], &vault, &on, None);
    ok_without(&out, secret);
    assert!(llm_mcp::keystore::lookup(&name, &env).unwrap().is_none());
    let out = keys(&["list"], &vault, &on, None);
    assert!(!text(&out.stdout).contains(&name));
    std::fs::remove_dir_all(&dir).unwrap();
}
