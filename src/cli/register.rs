//! `llm-mcp register CLIENT`: merges an entry for `llm-mcp serve` (or one backend) into an MCP
//! client's configuration file, so a first run needs no hand-edited JSON.
//!
//! Where each client keeps its file, and the shape of an entry, from the clients' own docs:
//! - Claude Desktop: `claude_desktop_config.json`, in `~/Library/Application Support/Claude/`
//!   (macOS) or `%APPDATA%\Claude\` (Windows), `{"mcpServers": {NAME: {command, args, env}}}`
//!   (<https://modelcontextprotocol.io/quickstart/user>). There is no Linux build from
//!   Anthropic; community builds read `~/.config/Claude/`, which is what we use there.
//! - Claude Code: user scope in `~/.claude.json`, project scope in `.mcp.json` at the project
//!   root, both `{"mcpServers": {NAME: {"type": "stdio", command, args, env}}}`; `${VAR}` is
//!   expanded in `command`, `args` and `env` (<https://code.claude.com/docs/en/mcp>).
//! - Cursor: global `~/.cursor/mcp.json`, project `.cursor/mcp.json`,
//!   `{"mcpServers": {NAME: {command, args, env}}}`; `${env:NAME}` is interpolated
//!   (<https://cursor.com/docs/mcp>).
//! - VS Code: workspace `.vscode/mcp.json` or the user profile's `mcp.json` (`Code/User/` in the
//!   platform's config directory), `{"servers": {NAME: {"type": "stdio", command, args, env}},
//!   "inputs": [...]}`; `${env:NAME}` is substituted
//!   (<https://code.visualstudio.com/docs/copilot/reference/mcp-configuration>).
//!
//! Keys never go into these files: an entry may name a variable (`--pass-env`), whose value
//! the client takes from its own environment when it starts the server.

mod diff;
mod file;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Map, Value, json};

/// An MCP client whose configuration `register` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`).
    ClaudeDesktop,
    /// Claude Code (`~/.claude.json`, or `.mcp.json` with `--scope project`).
    ClaudeCode,
    /// Cursor (`~/.cursor/mcp.json`, or `.cursor/mcp.json` with `--scope project`).
    Cursor,
    /// VS Code (the user profile's `mcp.json`, or `.vscode/mcp.json` with `--scope project`).
    Vscode,
}

/// Which of a client's files to edit when `--config` does not name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// The per-user file: the server is there in every project.
    User,
    /// The file in the current directory's project (shareable: it holds no keys).
    Project,
}

/// Arguments of `llm-mcp register`.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// The client whose configuration to edit.
    #[arg(value_enum)]
    client: Client,
    /// The configuration file to edit, instead of the client's usual one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The user's file or the current project's (Claude Desktop has only the user's).
    #[arg(long, value_enum, default_value_t = Scope::User)]
    scope: Scope,
    /// The entry's name (default: llm-mcp, or the --command's file name).
    #[arg(long)]
    name: Option<String>,
    /// The server to run instead of `llm-mcp serve`, e.g. llm-mcp-anthropic; a bare name is
    /// looked up beside this llm-mcp first.
    #[arg(long, value_name = "PROGRAM")]
    command: Option<String>,
    /// An argument for the server (repeatable, in order), e.g. --arg=--model --arg=haiku.
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    args: Vec<String>,
    /// Hand the variable NAME from the client's environment to the server (repeatable): the
    /// file holds a reference to it, never its value.
    #[arg(long = "pass-env", value_name = "NAME")]
    pass_env: Vec<String>,
    /// Print the change as a diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace an existing entry of the same name that differs.
    #[arg(long)]
    force: bool,
}

/// Why `register` did not write: a usage or safety refusal (exit 2) or an I/O failure (exit 1).
#[derive(Debug)]
enum Refusal {
    Usage(String),
    Io(String),
}

impl Client {
    /// The name people know the client by, for messages.
    fn label(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::ClaudeCode => "Claude Code",
            Client::Cursor => "Cursor",
            Client::Vscode => "VS Code",
        }
    }

    /// The top-level key that maps server names to entries.
    fn servers_key(self) -> &'static str {
        match self {
            Client::Vscode => "servers",
            _ => "mcpServers",
        }
    }

    /// How the client's file refers to a variable of its own environment, if it can.
    fn env_reference(self, name: &str) -> Option<String> {
        match self {
            // Claude Desktop documents no expansion: a value there would be the key itself.
            Client::ClaudeDesktop => None,
            Client::ClaudeCode => Some(format!("${{{name}}}")),
            Client::Cursor | Client::Vscode => Some(format!("${{env:{name}}}")),
        }
    }

    /// The client's usual file for `scope`.
    fn default_path(self, scope: Scope) -> Result<PathBuf, Refusal> {
        let home = || {
            std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .map(PathBuf::from)
                .ok_or_else(|| Refusal::Usage("no HOME: name the file with --config".into()))
        };
        // The platform's per-user application directory, as Electron apps use it.
        let app_dir = || -> Result<PathBuf, Refusal> {
            if cfg!(target_os = "macos") {
                Ok(home()?.join("Library/Application Support"))
            } else if cfg!(windows) {
                std::env::var_os("APPDATA")
                    .map(PathBuf::from)
                    .ok_or_else(|| Refusal::Usage("no APPDATA: name the file with --config".into()))
            } else {
                match std::env::var_os("XDG_CONFIG_HOME") {
                    Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
                    _ => Ok(home()?.join(".config")),
                }
            }
        };
        match (self, scope) {
            (Client::ClaudeDesktop, Scope::User) => {
                Ok(app_dir()?.join("Claude/claude_desktop_config.json"))
            }
            (Client::ClaudeDesktop, Scope::Project) => Err(Refusal::Usage(
                "Claude Desktop has no project configuration: drop --scope project".into(),
            )),
            (Client::ClaudeCode, Scope::User) => Ok(home()?.join(".claude.json")),
            (Client::ClaudeCode, Scope::Project) => Ok(PathBuf::from(".mcp.json")),
            (Client::Cursor, Scope::User) => Ok(home()?.join(".cursor/mcp.json")),
            (Client::Cursor, Scope::Project) => Ok(PathBuf::from(".cursor/mcp.json")),
            (Client::Vscode, Scope::User) => Ok(app_dir()?.join("Code/User/mcp.json")),
            (Client::Vscode, Scope::Project) => Ok(PathBuf::from(".vscode/mcp.json")),
        }
    }
}

/// Runs `llm-mcp register`: exit 0 when the entry is in place (or the dry run printed), 2 on a
/// refusal (bad arguments, a file that is not JSON, a differing entry without --force, a key
/// in an argument), 1 when the file cannot be read or written.
#[allow(clippy::print_stdout)]
pub async fn run(args: RegisterArgs) -> ExitCode {
    match register(&args) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(Refusal::Usage(message)) => {
            eprintln!("llm-mcp register: {message}");
            ExitCode::from(2)
        }
        Err(Refusal::Io(message)) => {
            eprintln!("llm-mcp register: {message}");
            ExitCode::from(1)
        }
    }
}

/// Does the work of [`run`] and returns what to print.
fn register(args: &RegisterArgs) -> Result<String, Refusal> {
    let client = args.client;
    let path = match &args.config {
        Some(path) => path.clone(),
        None => client.default_path(args.scope)?,
    };
    let (name, entry) = entry(args)?;
    let original = file::read(&path)?;
    let mut doc = file::parse(&path, original.as_deref())?;
    let servers_key = client.servers_key();
    let servers = doc
        .entry(servers_key)
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        return Err(Refusal::Usage(format!(
            "{}: \"{servers_key}\" is not an object; the file was left unchanged",
            path.display()
        )));
    };
    match servers.get(&name) {
        Some(existing) if *existing == entry => {
            return Ok(format!(
                "\"{name}\" is already registered in {}; nothing to change\n",
                path.display()
            ));
        }
        Some(existing) if !args.force => {
            return Err(Refusal::Usage(format!(
                "{} already has a different \"{name}\": {existing}\n\
                 pass --force to replace it, or --name to add another",
                path.display()
            )));
        }
        _ => {}
    }
    servers.insert(name.clone(), entry);
    let text = file::render(&Value::Object(doc), original.as_deref());
    if args.dry_run {
        return Ok(diff::unified(&path, original.as_deref(), &text));
    }
    let backup = file::write_with_backup(&path, original.as_deref(), &text)?;
    let mut report = format!("registered \"{name}\" in {}\n", path.display());
    if let Some(backup) = backup {
        report.push_str(&format!("backup: {}\n", backup.display()));
    }
    report.push_str(&format!(
        "restart {} to load it; keys stay in the environment it starts from\n",
        client.label()
    ));
    Ok(report)
}

/// The entry's name and its JSON, for `args.client`.
fn entry(args: &RegisterArgs) -> Result<(String, Value), Refusal> {
    let command = resolve_command(args.command.as_deref());
    let mut argv: Vec<String> = Vec::new();
    if args.command.is_none() {
        argv.push("serve".into());
    }
    argv.extend(args.args.iter().cloned());
    refuse_secrets(std::iter::once(&command).chain(&argv))?;
    let name = match (&args.name, &args.command) {
        (Some(name), _) => name.clone(),
        (None, None) => "llm-mcp".into(),
        (None, Some(program)) => Path::new(program)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| program.clone()),
    };
    if name.trim().is_empty() {
        return Err(Refusal::Usage("--name must not be empty".into()));
    }
    let mut env = Map::new();
    for var in &args.pass_env {
        let valid = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Refusal::Usage(format!(
                "--pass-env takes a variable name, not {var:?}"
            )));
        }
        let Some(reference) = args.client.env_reference(var) else {
            return Err(Refusal::Usage(format!(
                "{} cannot refer to a variable in its configuration, and the key must not be \
                 written there: set {var} in the environment Claude Desktop starts from instead",
                args.client.label()
            )));
        };
        env.insert(var.clone(), Value::String(reference));
    }
    let mut entry = Map::new();
    if matches!(args.client, Client::ClaudeCode | Client::Vscode) {
        entry.insert("type".into(), json!("stdio"));
    }
    entry.insert("command".into(), json!(command));
    entry.insert("args".into(), json!(argv));
    if !env.is_empty() {
        entry.insert("env".into(), Value::Object(env));
    }
    Ok((name, Value::Object(entry)))
}

/// The program the client should start: this very `llm-mcp` by default; a bare name found
/// beside it (GUI clients such as Claude Desktop do not see a shell's PATH, so an absolute
/// path is what works there); anything else as given.
fn resolve_command(given: Option<&str>) -> String {
    let me = std::env::current_exe()
        .and_then(|exe| exe.canonicalize())
        .ok();
    match given {
        None => me.map_or_else(|| "llm-mcp".into(), |p| p.display().to_string()),
        Some(program) if program.contains(['/', '\\']) => std::path::absolute(program)
            .map_or_else(|_| program.to_string(), |p| p.display().to_string()),
        Some(program) => me
            .as_deref()
            .and_then(Path::parent)
            .map(|dir| dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX)))
            .filter(|sibling| sibling.is_file())
            .map_or_else(|| program.to_string(), |p| p.display().to_string()),
    }
}

/// Refuses when the command line would carry the value of a key variable set here: keys
/// belong in the environment, and a config file is often shared or synced.
fn refuse_secrets<'a>(words: impl Iterator<Item = &'a String> + Clone) -> Result<(), Refusal> {
    for (var, value) in std::env::vars() {
        let keyish = ["KEY", "TOKEN", "SECRET", "PASSWORD"]
            .iter()
            .any(|marker| var.to_ascii_uppercase().contains(marker));
        if keyish && value.len() >= 8 && words.clone().any(|word| word.contains(&value)) {
            return Err(Refusal::Usage(format!(
                "an argument holds the value of {var}: keys never go into a client's \
                 configuration; leave it in the environment (--pass-env {var} where the client \
                 supports it)"
            )));
        }
    }
    Ok(())
}
