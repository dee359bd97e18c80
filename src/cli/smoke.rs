//! `llm-mcp smoke`: start every configured server at once and check, in order, that it
//! completes the handshake, lists its tools, answers `status` and one short `complete`.
//!
//! A server that cannot start is a failed row, not a crash; so is one whose `status` says its
//! endpoint is unreachable or its key is missing or unexpanded, even with `--no-complete`.
//! Every check has a timeout; every child is closed before the report is printed. Exit code 0 when every check passed, 1 when
//! any failed, 2 when the configuration could not be read.

mod report;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::status_line::{self, Ticker};
use crate::client::{ClientError, ClientOptions, CompleteRequest, LlmClient, command_line};
use crate::supervisor::config::SupervisorConfig;
use report::Row;

/// Arguments of `llm-mcp smoke`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every check passed, 1 a check failed, 2 unusable arguments or config."
)]
pub struct SmokeArgs {
    /// The supervisor config file whose servers to check (default: the built-in set, one
    /// server per backend whose key is in the environment, and mock).
    #[arg(long, value_name = "FILE", conflicts_with = "command")]
    config: Option<PathBuf>,
    /// Print a JSON array (one object per server) instead of the table.
    #[arg(long)]
    json: bool,
    /// The timeout of each check, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    timeout: f64,
    /// Skip the `complete` check (it spends a few tokens on real providers).
    #[arg(long)]
    no_complete: bool,
    /// One server command to check instead of a config, after `--`.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Exit codes of `llm-mcp smoke`.
pub mod exit_code {
    /// Every check of every server passed.
    pub const OK: u8 = 0;
    /// At least one check failed.
    pub const FAILED: u8 = 1;
    /// The arguments or the configuration file could not be used.
    pub const USAGE: u8 = 2;
}

/// A server to check.
struct Target {
    name: String,
    command: tokio::process::Command,
}

/// What each server is doing now, for the live status line.
type Live = Arc<Mutex<Vec<(String, &'static str)>>>;

/// Runs `llm-mcp smoke`.
pub async fn run(args: SmokeArgs) -> ExitCode {
    let timeout = match Duration::try_from_secs_f64(args.timeout) {
        Ok(t) if !t.is_zero() => t,
        _ => {
            eprintln!("llm-mcp smoke: --timeout must be a positive number of seconds");
            return ExitCode::from(exit_code::USAGE);
        }
    };
    let targets = match targets(&args) {
        Ok(targets) => targets,
        Err(message) => {
            eprintln!("llm-mcp smoke: {message}");
            return ExitCode::from(exit_code::USAGE);
        }
    };
    let live: Live = Arc::new(Mutex::new(
        targets
            .iter()
            .map(|t| (t.name.clone(), "starting"))
            .collect(),
    ));
    let ticker = start_ticker(Arc::clone(&live));
    let checks = targets.into_iter().enumerate().map(|(index, target)| {
        let live = Arc::clone(&live);
        check(target, timeout, !args.no_complete, move |state| {
            live.lock().unwrap_or_else(|p| p.into_inner())[index].1 = state;
        })
    });
    let rows = futures::future::join_all(checks).await;
    status_line::stop(ticker).await;
    let text = if args.json {
        report::json(&rows) + "\n"
    } else {
        report::table(&rows)
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if rows.iter().all(|row| row.ok) {
        ExitCode::from(exit_code::OK)
    } else {
        ExitCode::from(exit_code::FAILED)
    }
}

/// The servers named by `-- CMD`, `--config FILE`, or the built-in default.
fn targets(args: &SmokeArgs) -> Result<Vec<Target>, String> {
    if let Some((program, rest)) = args.command.split_first() {
        let mut command = tokio::process::Command::new(program);
        command.args(rest);
        let name = std::path::Path::new(program)
            .file_name()
            .map_or(program.clone(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![Target { name, command }]);
    }
    let env = |name: &str| std::env::var(name).ok();
    let config = match &args.config {
        Some(path) => SupervisorConfig::load(path, &env).map_err(|err| err.to_string())?,
        None => SupervisorConfig::builtin(&env),
    };
    Ok(config
        .servers
        .iter()
        .map(|spec| Target {
            name: spec.name.clone(),
            command: spec.command(),
        })
        .collect())
}

/// On a terminal: how many servers are done, and what the others are doing.
fn start_ticker(live: Live) -> Option<Ticker> {
    Ticker::start(move |elapsed| {
        let states = live.lock().unwrap_or_else(|p| p.into_inner());
        let done = states.iter().filter(|(_, s)| *s == "done").count();
        let busy: Vec<String> = states
            .iter()
            .filter(|(_, s)| *s != "done")
            .map(|(name, state)| format!("{name}: {state}"))
            .collect();
        format!(
            "smoke {} {done}/{} done  {}",
            status_line::seconds(elapsed),
            states.len(),
            busy.join(", ")
        )
    })
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Starts one server, runs its checks, closes it, and reports what happened.
async fn check(
    target: Target,
    timeout: Duration,
    with_complete: bool,
    show: impl Fn(&'static str),
) -> Row {
    let mut row = Row::new(target.name, command_line(&target.command));
    let options = ClientOptions {
        request_timeout: timeout,
        start_timeout: timeout,
        ..ClientOptions::default()
    };
    let started = Instant::now();
    let client = match LlmClient::spawn_with(target.command, options).await {
        Ok(client) => client,
        Err(err) => {
            row.record("start", millis(started), Some(start_error(err)));
            show("done");
            return row;
        }
    };
    row.start_ms = Some(millis(started));
    row.record("start", millis(started), None);
    if let Some(info) = client.server_info() {
        row.protocol_version = Some(info.protocol_version);
        row.server_name = Some(info.name);
        row.server_version = Some(info.version);
    }
    run_checks(&client, &mut row, timeout, with_complete, &show).await;
    show("closing");
    client.close().await;
    show("done");
    row
}

/// Why a server did not start, without repeating its command line (the row names it): the
/// handshake's failure, then what the server wrote on stderr, each line without its log
/// timestamp.
fn start_error(err: ClientError) -> String {
    match err {
        ClientError::Handshake { reason, stderr, .. } => {
            let said: Vec<&str> = (stderr.iter())
                .map(|line| without_timestamp(line))
                .filter(|line| !line.is_empty())
                .collect();
            match said.as_slice() {
                [] => format!("no MCP handshake: {reason}"),
                lines => format!("no MCP handshake: {reason}; stderr:\n{}", lines.join("\n")),
            }
        }
        other => other.to_string(),
    }
}

/// `line` without a leading RFC 3339 timestamp (`2026-01-31T12:00:00.123456Z`), as `tracing`
/// starts each line with.
fn without_timestamp(line: &str) -> &str {
    let line = line.trim();
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    let stamp = first.len() >= 20
        && first.as_bytes()[4] == b'-'
        && first.contains('T')
        && first
            .chars()
            .all(|c| c.is_ascii_digit() || "-T:.Z+".contains(c));
    if stamp { rest.trim_start() } else { line }
}

/// What a successful `status` says is wrong: an endpoint that cannot be reached, or a key that
/// is required but missing or an unexpanded `${...}`. `None` when the server looks usable.
fn status_problem(status: &serde_json::Value) -> Option<String> {
    let mut problems = Vec::new();
    if status["reachable"] == false {
        let detail = status["detail"].as_str().unwrap_or("no detail given");
        problems.push(format!("unreachable: {detail}"));
    }
    let source = status["credentials_source"]
        .as_str()
        .unwrap_or("its key variable");
    match status["credentials"].as_str() {
        Some("missing") => problems.push(format!("credentials missing: {source} is not set")),
        Some("unexpanded") => problems.push(format!(
            "credentials unexpanded: {source} holds a literal ${{...}}, not a key"
        )),
        _ => {}
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// tools/list, then `status` and `complete` when the server has them; stops at the first
/// failure, since the later checks depend on the earlier ones.
async fn run_checks(
    client: &LlmClient,
    row: &mut Row,
    timeout: Duration,
    with_complete: bool,
    show: &impl Fn(&'static str),
) {
    show("tools/list");
    let started = Instant::now();
    let names: Vec<String> = match client.list_tools().await {
        Ok(tools) => tools.into_iter().map(|t| t.name.into_owned()).collect(),
        Err(err) => return row.record("tools/list", millis(started), Some(err.to_string())),
    };
    row.tools = Some(names.len());
    row.record("tools/list", millis(started), None);
    let has = |tool: &str| names.iter().any(|n| n == tool);
    if has("status") {
        show("status");
        let started = Instant::now();
        match client.call_tool("status", serde_json::json!({})).await {
            Ok(status) => {
                let problem = status_problem(&status);
                row.status = Some(status);
                row.record("status", millis(started), problem.clone());
                // No call can succeed without the endpoint or the key, and it would say less.
                if problem.is_some() {
                    return;
                }
            }
            Err(err) => return row.record("status", millis(started), Some(err.to_string())),
        }
    }
    if with_complete && has("complete") {
        show("complete");
        let request = CompleteRequest::new("Say OK.")
            .max_tokens(16)
            .timeout_s(timeout.as_secs_f64());
        let started = Instant::now();
        match client.complete(request).await {
            Ok(record) => {
                row.call_ms = Some(millis(started));
                row.model = Some(record.model);
                row.tokens_used = record.tokens_used;
                row.record("complete", millis(started), None);
            }
            Err(err) => row.record("complete", millis(started), Some(err.to_string())),
        }
    }
}
