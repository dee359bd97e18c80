//! `llm-mcp register CLIENT` against temporary configuration files in each client's format,
//! run as the real binary with a cleared environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const LLM_MCP: &str = env!("CARGO_BIN_EXE_llm-mcp");
const ANTHROPIC: &str = env!("CARGO_BIN_EXE_llm-mcp-anthropic");

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-register-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `llm-mcp register ARGS` with only PATH in its environment, plus `env`, run in `cwd`.
fn register(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(LLM_MCP);
    command
        .arg("register")
        .args(args)
        .env_clear()
        .current_dir(cwd);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied());
    command.stdin(Stdio::null()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The absolute path register writes for a binary: the canonical path of the one beside it.
fn canonical(binary: &str) -> String {
    std::fs::canonicalize(binary).unwrap().display().to_string()
}

#[test]
fn claude_desktop_entry_is_merged_beside_existing_ones_and_unknown_keys() {
    let dir = scratch("desktop");
    let file = dir.join("claude_desktop_config.json");
    let before = "{\n    \"globalShortcut\": \"Ctrl+Space\",\n    \"mcpServers\": {\n        \
                  \"files\": {\n            \"command\": \"npx\",\n            \"args\": [\"fs\"]\n        \
                  }\n    }\n}\n";
    std::fs::write(&file, before).unwrap();
    let out = register(
        &dir,
        &["claude-desktop", "--config", file.to_str().unwrap()],
        &[],
    );
    assert_exit(&out, 0);
    let doc = read_json(&file);
    assert_eq!(doc["globalShortcut"], "Ctrl+Space");
    assert_eq!(
        doc["mcpServers"]["files"],
        json!({"command": "npx", "args": ["fs"]})
    );
    assert_eq!(
        doc["mcpServers"]["llm-mcp"],
        json!({"command": canonical(LLM_MCP), "args": ["serve"]})
    );
    // The original indentation (four spaces) is kept, and the old file is the backup.
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.contains("\n    \"globalShortcut\""), "{after}");
    let backup = dir.join("claude_desktop_config.json.bak");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), before);
    assert!(text(&out.stdout).contains("restart Claude Desktop"));
}

#[test]
fn claude_code_user_file_under_home_gets_a_stdio_entry_for_one_backend() {
    let dir = scratch("code-user");
    let secret = "sk-ant-test-never-in-the-file";
    let out = register(
        &dir,
        &[
            "claude-code",
            "--command",
            "llm-mcp-anthropic",
            "--arg=--model",
            "--arg",
            "haiku",
            "--pass-env",
            "ANTHROPIC_API_KEY",
        ],
        &[
            ("HOME", dir.to_str().unwrap()),
            ("ANTHROPIC_API_KEY", secret),
        ],
    );
    assert_exit(&out, 0);
    let file = dir.join(".claude.json");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(!written.contains(secret), "{written}");
    assert_eq!(
        read_json(&file)["mcpServers"]["llm-mcp-anthropic"],
        json!({
            "type": "stdio",
            "command": canonical(ANTHROPIC),
            "args": ["--model", "haiku"],
            "env": {"ANTHROPIC_API_KEY": "${ANTHROPIC_API_KEY}"},
        })
    );
    // A new file has nothing to back up.
    assert!(!dir.join(".claude.json.bak").exists());
}

#[test]
fn cursor_project_scope_creates_its_directory_and_uses_env_references() {
    let dir = scratch("cursor");
    let out = register(
        &dir,
        &[
            "cursor",
            "--scope",
            "project",
            "--name",
            "llm",
            "--pass-env",
            "OPENAI_API_KEY",
        ],
        &[],
    );
    assert_exit(&out, 0);
    assert_eq!(
        read_json(&dir.join(".cursor/mcp.json")),
        json!({"mcpServers": {"llm": {
            "command": canonical(LLM_MCP),
            "args": ["serve"],
            "env": {"OPENAI_API_KEY": "${env:OPENAI_API_KEY}"},
        }}})
    );
}

#[test]
fn vscode_uses_servers_and_keeps_inputs() {
    let dir = scratch("vscode");
    let file = dir.join("mcp.json");
    let inputs = json!([{"type": "promptString", "id": "token", "password": true}]);
    std::fs::write(
        &file,
        json!({"inputs": inputs, "servers": {"other": {"type": "stdio", "command": "x"}}})
            .to_string(),
    )
    .unwrap();
    let out = register(&dir, &["vscode", "--config", file.to_str().unwrap()], &[]);
    assert_exit(&out, 0);
    let doc = read_json(&file);
    assert_eq!(doc["inputs"], inputs);
    assert_eq!(doc["servers"]["other"]["command"], "x");
    assert_eq!(
        doc["servers"]["llm-mcp"],
        json!({"type": "stdio", "command": canonical(LLM_MCP), "args": ["serve"]})
    );
    assert!(doc.get("mcpServers").is_none());
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let dir = scratch("dry");
    let file = dir.join(".mcp.json");
    let before = "{\n  \"mcpServers\": {}\n}\n";
    std::fs::write(&file, before).unwrap();
    let out = register(
        &dir,
        &[
            "claude-code",
            "--config",
            file.to_str().unwrap(),
            "--dry-run",
        ],
        &[],
    );
    assert_exit(&out, 0);
    let diff = text(&out.stdout);
    let name = file.display();
    assert!(
        diff.starts_with(&format!("--- {name}\n+++ {name}\n@@ -1,3 +1,")),
        "{diff}"
    );
    assert!(diff.contains("\n-  \"mcpServers\": {}\n"), "{diff}");
    assert!(diff.contains("\n+    \"llm-mcp\": {\n"), "{diff}");
    assert!(diff.contains(&format!(
        "+      \"command\": \"{}\",\n",
        canonical(LLM_MCP)
    )));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert!(!dir.join(".mcp.json.bak").exists());
}

#[test]
fn a_file_that_is_not_json_is_refused_and_left_alone() {
    let dir = scratch("invalid");
    let file = dir.join("mcp.json");
    // VS Code accepts comments here; we do not parse them, so we must not rewrite the file.
    let before = "{\n  // my servers\n  \"servers\": {}\n}\n";
    std::fs::write(&file, before).unwrap();
    let out = register(&dir, &["vscode", "--config", file.to_str().unwrap()], &[]);
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("not valid JSON"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert!(!dir.join("mcp.json.bak").exists());
}

#[test]
fn a_differing_entry_needs_force_and_every_backup_is_kept() {
    let dir = scratch("force");
    let file = dir.join("mcp.json");
    let config = file.to_str().unwrap();
    assert_exit(&register(&dir, &["cursor", "--config", config], &[]), 0);
    let first = std::fs::read_to_string(&file).unwrap();

    // The same entry again: nothing to do, no backup.
    let again = register(&dir, &["cursor", "--config", config], &[]);
    assert_exit(&again, 0);
    assert!(text(&again.stdout).contains("already registered"));
    assert!(!dir.join("mcp.json.bak").exists());

    let other = [
        "cursor",
        "--config",
        config,
        "--arg=--config",
        "--arg=/etc/llm.json",
    ];
    let refused = register(&dir, &other, &[]);
    assert_exit(&refused, 2);
    assert!(
        text(&refused.stderr).contains("--force"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);

    let forced = [&other[..], &["--force"][..]].concat();
    assert_exit(&register(&dir, &forced, &[]), 0);
    assert_eq!(
        read_json(&file)["mcpServers"]["llm-mcp"]["args"],
        json!(["serve", "--config", "/etc/llm.json"])
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mcp.json.bak")).unwrap(),
        first
    );

    // A second change backs up beside the first instead of over it.
    let renamed = ["cursor", "--config", config, "--name", "second"];
    assert_exit(&register(&dir, &renamed, &[]), 0);
    assert!(dir.join("mcp.json.bak.1").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("mcp.json.bak")).unwrap(),
        first
    );
}

#[test]
fn a_key_in_an_argument_is_refused_without_echoing_it() {
    let dir = scratch("secret");
    let file = dir.join("mcp.json");
    let secret = "sk-live-0123456789abcdef";
    let out = register(
        &dir,
        &[
            "cursor",
            "--config",
            file.to_str().unwrap(),
            "--arg",
            secret,
        ],
        &[("OPENAI_API_KEY", secret)],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("OPENAI_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains(secret));
    assert!(!text(&out.stdout).contains(secret));
    assert!(!file.exists());
}

#[test]
fn claude_desktop_cannot_pass_a_variable_or_take_a_project_scope() {
    let dir = scratch("desktop-refusals");
    let file = dir.join("c.json");
    let config = file.to_str().unwrap();
    let pass = register(
        &dir,
        &[
            "claude-desktop",
            "--config",
            config,
            "--pass-env",
            "GEMINI_API_KEY",
        ],
        &[],
    );
    assert_exit(&pass, 2);
    assert!(text(&pass.stderr).contains("GEMINI_API_KEY"));
    let project = register(&dir, &["claude-desktop", "--scope", "project"], &[]);
    assert_exit(&project, 2);
    assert!(!file.exists());
}
