//! `llm-mcp call`: one prompt from a shell or a script, the answer on stdout.
//!
//! It spawns the supervisor (`llm-mcp serve`) or the server command given after `--`, calls
//! `complete`, prints the output (or the record as one JSON line) and closes the server. Errors
//! go to stderr (and, with `--json`, as one JSON object to stdout), and the exit code says what
//! kind of failure it was (see [`exit_code`]). When the supervisor fell back, stderr says which
//! server answered after which failed.

use crate::cli::status_line::{self, Ticker};
use crate::client::{ClientError, ClientOptions, CompleteRequest, LlmClient};
use crate::completion::RoutedRecord;
use crate::error::ErrorKind;
use serde_json::{Value, json};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Arguments of `llm-mcp call`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 answered, 1 tool error (provider failure, [kind] on stderr), \
2 usage, 3 server did not start, 4 timeout, 5 connection lost or protocol error."
)]
pub struct CallArgs {
    /// The child server that answers (supervisor only; default: its `default`).
    #[arg(long, value_name = "NAME")]
    provider: Option<String>,
    /// The tier that answers: fast, primary, premium or auto (supervisor only).
    #[arg(long, value_name = "TIER", value_parser = ["fast", "primary", "premium", "auto"])]
    tier: Option<String>,
    /// Model id or alias (default: the server's).
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// System prompt.
    #[arg(long, value_name = "S")]
    system: Option<String>,
    /// Upper bound on output tokens (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_tokens: Option<u32>,
    /// Sampling temperature, 0 to 2 (a provider with a lower maximum refuses more).
    #[arg(long, value_parser = temperature)]
    temperature: Option<f64>,
    /// Give up after this many seconds (also sent to the server as the call's timeout_s).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Print the whole record as one JSON line instead of the output text; a failure is one
    /// JSON object with error, kind, tried and exit_code.
    #[arg(long)]
    json: bool,
    /// After the output, print tokens and cost on stderr (the default when stderr is a
    /// terminal).
    #[arg(long)]
    usage: bool,
    /// The supervisor's config file (`llm-mcp serve --config FILE`); default: its built-in set.
    #[arg(long, value_name = "FILE", conflicts_with = "command")]
    config: Option<std::path::PathBuf>,
    /// The prompt; `-` reads it from stdin.
    #[arg(value_name = "PROMPT", required_unless_present = "prompt_option")]
    prompt: Option<String>,
    /// The prompt, for one that starts with `-`.
    #[arg(
        short = 'p',
        long = "prompt",
        id = "prompt_option",
        value_name = "PROMPT",
        allow_hyphen_values = true,
        conflicts_with = "prompt"
    )]
    prompt_option: Option<String>,
    /// A server command to run instead of the supervisor, after `--`.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Exit codes of `llm-mcp call`, by what the caller would do next.
pub mod exit_code {
    /// The answer was printed.
    pub const OK: u8 = 0;
    /// The tool failed (a provider error: `[kind] provider: message` on stderr).
    pub const TOOL_ERROR: u8 = 1;
    /// Bad arguments, an empty prompt, or stdin that could not be read.
    pub const USAGE: u8 = 2;
    /// The server could not be started or did not complete the MCP handshake.
    pub const START: u8 = 3;
    /// No answer in time (the client's timeout, or a `[timeout]` tool error).
    pub const TIMEOUT: u8 = 4;
    /// The connection broke or the server answered outside the protocol.
    pub const CONNECTION: u8 = 5;
}

/// The exit code for a failed call.
pub fn exit_code_for(err: &ClientError) -> u8 {
    match err {
        ClientError::Spawn { .. } | ClientError::Handshake { .. } => exit_code::START,
        ClientError::Timeout { .. } => exit_code::TIMEOUT,
        ClientError::Tool {
            kind: Some(ErrorKind::Timeout),
            ..
        } => exit_code::TIMEOUT,
        ClientError::Tool { .. } => exit_code::TOOL_ERROR,
        ClientError::Closed { .. }
        | ClientError::Protocol { .. }
        | ClientError::InvalidResult { .. } => exit_code::CONNECTION,
    }
}

/// The highest temperature any backend accepts; `--temperature` outside 0 to this is a usage
/// error before anything starts.
const TEMPERATURE_MAX: f64 = 2.0;

fn temperature(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|err| format!("{err}"))?;
    if (0.0..=TEMPERATURE_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside 0 to {TEMPERATURE_MAX}"))
    }
}

/// Runs `llm-mcp call`.
pub async fn run(args: CallArgs) -> ExitCode {
    let request = match request(&args) {
        Ok(request) => request,
        Err(message) => return fail(args.json, message, None, &[], exit_code::USAGE),
    };
    let (command, label) = match server_command(&args.command, args.config.as_deref()) {
        Ok(found) => found,
        Err(message) => return fail(args.json, message, None, &[], exit_code::START),
    };
    // --timeout travels as the call's timeout_s, which also bounds how long the client waits;
    // without it the client waits as long as the server keeps reporting progress.
    let options = ClientOptions::default();
    match call(command, options, request, &label).await {
        Ok(answer) => {
            report_fallback(&answer.tried);
            let usage = args.usage || (!args.json && std::io::stderr().is_terminal());
            if usage {
                eprintln!("llm-mcp call: {}", usage_line(&answer));
            }
            print_answer(&answer, args.json)
        }
        Err(err) => {
            let (kind, tried) = match &err {
                ClientError::Tool { tried, .. } => (err.kind(), tried.as_slice()),
                _ => (err.kind(), &[][..]),
            };
            fail(args.json, err.to_string(), kind, tried, exit_code_for(&err))
        }
    }
}

/// Says the failure on stderr and, with `--json`, as one JSON object on stdout, so a script
/// reading stdout always gets one line to parse.
fn fail(
    json: bool,
    message: String,
    kind: Option<ErrorKind>,
    tried: &[String],
    code: u8,
) -> ExitCode {
    eprintln!("llm-mcp call: {message}");
    if json {
        let object = json!({"error": message, "kind": kind, "tried": tried, "exit_code": code});
        write_stdout(&object.to_string());
    }
    ExitCode::from(code)
}

/// After a fallback, which server answered and which failed before it.
fn report_fallback(tried: &[String]) {
    if let Some((answered, failed)) = tried.split_last()
        && !failed.is_empty()
    {
        eprintln!(
            "llm-mcp call: answered by {answered} after {} failed",
            failed.join(", ")
        );
    }
}

/// `mock answered: 3 tokens in, 2 out, $0.000012` (or `cost unknown`).
fn usage_line(answer: &RoutedRecord) -> String {
    let record = &answer.record;
    let count = |n: Option<u64>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
    let cost = record
        .cost_usd
        .map_or_else(|| "cost unknown".to_string(), |c| format!("${c:.6}"));
    format!(
        "{} answered with {}: {} tokens in, {} out, {cost}",
        record.provider,
        record.model,
        count(record.usage.input_tokens),
        count(record.usage.output_tokens)
    )
}

/// The `complete` arguments from the flags, with the prompt read from stdin for `-`.
fn request(args: &CallArgs) -> Result<CompleteRequest, String> {
    if !args.command.is_empty() && (args.provider.is_some() || args.tier.is_some()) {
        return Err("--provider and --tier choose among the supervisor's servers; they cannot be used with -- CMD".into());
    }
    if args.timeout.is_some_and(|t| !(t > 0.0 && t.is_finite())) {
        return Err("--timeout must be a positive number of seconds".into());
    }
    let given = args
        .prompt_option
        .as_deref()
        .or(args.prompt.as_deref())
        .unwrap_or_default();
    let prompt = if args.prompt_option.is_none() && given == "-" {
        // Read one byte past the bound, so that too long is told apart from just fitting.
        let bound = crate::stdio::MAX_LINE;
        let mut text = String::new();
        std::io::stdin()
            .take(bound as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|err| format!("could not read the prompt from stdin: {err}"))?;
        if text.len() > bound {
            return Err(format!(
                "the prompt on stdin is over {} MiB, the most one MCP message over stdio carries",
                bound / (1024 * 1024)
            ));
        }
        text
    } else {
        given.to_string()
    };
    let prompt = prompt.trim_end();
    if prompt.trim().is_empty() {
        return Err("the prompt is empty".into());
    }
    let mut request = CompleteRequest::new(prompt);
    let options = &mut request.options;
    options.provider = args.provider.clone();
    options.tier = args.tier.clone();
    options.model = args.model.clone();
    options.system = args.system.clone();
    options.max_tokens = args.max_tokens;
    options.temperature = args.temperature;
    options.timeout_s = args.timeout;
    Ok(request)
}

/// The command after `--`, or this executable's `serve` (with `--config FILE` when given), and
/// a short name for the status line.
fn server_command(
    command: &[String],
    config: Option<&std::path::Path>,
) -> Result<(tokio::process::Command, String), String> {
    match command.split_first() {
        Some((program, args)) => {
            let mut cmd = tokio::process::Command::new(program);
            cmd.args(args);
            let label = std::path::Path::new(program)
                .file_name()
                .map_or(program.clone(), |n| n.to_string_lossy().into_owned());
            Ok((cmd, label))
        }
        None => {
            let exe = std::env::current_exe()
                .map_err(|err| format!("cannot find the llm-mcp executable to run serve: {err}"))?;
            let mut cmd = tokio::process::Command::new(exe);
            cmd.arg("serve");
            if let Some(config) = config {
                cmd.arg("--config").arg(config);
            }
            Ok((cmd, "llm-mcp serve".into()))
        }
    }
}

/// Spawns the server, calls `complete` with a live status on a terminal, and closes it.
async fn call(
    command: tokio::process::Command,
    options: ClientOptions,
    request: CompleteRequest,
    label: &str,
) -> Result<RoutedRecord, ClientError> {
    let phase = Arc::new(Mutex::new(format!("starting {label}")));
    let streamed = Arc::new(Mutex::new(String::new()));
    let ticker = {
        let (phase, streamed) = (Arc::clone(&phase), Arc::clone(&streamed));
        Ticker::start(move |elapsed| {
            let phase = phase.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let text = streamed.lock().unwrap_or_else(|p| p.into_inner());
            let mut line = format!("{phase} {}", status_line::seconds(elapsed));
            if !text.is_empty() {
                line.push_str(&format!("  {}", status_line::tail(&text, 40)));
            }
            line
        })
    };
    let client = match LlmClient::spawn_with(command, options).await {
        Ok(client) => client,
        Err(err) => {
            status_line::stop(ticker).await;
            return Err(err);
        }
    };
    *phase.lock().unwrap_or_else(|p| p.into_inner()) = format!("waiting for {label}");
    let mut updates = client.subscribe_progress();
    let collector = tokio::spawn(async move {
        while let Ok(update) = updates.recv().await {
            if let Some(message) = update.message {
                streamed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_str(&message);
            }
        }
    });
    let outcome = client.complete_routed(request).await;
    collector.abort();
    status_line::stop(ticker).await;
    client.close().await;
    outcome
}

/// Writes the output text (with a final newline) or the record as one JSON line, with
/// `tried` when the supervisor answered.
fn print_answer(answer: &RoutedRecord, json: bool) -> ExitCode {
    let text = if json {
        let mut value = serde_json::to_value(&answer.record).unwrap_or_default();
        if let Value::Object(record) = &mut value
            && !answer.tried.is_empty()
        {
            record.insert("tried".into(), json!(answer.tried));
        }
        value.to_string()
    } else {
        answer.record.output.trim_end_matches('\n').to_string()
    };
    write_stdout(&text);
    ExitCode::from(exit_code::OK)
}

fn write_stdout(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not a failure of the call.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_failure_class_has_its_exit_code() {
        let tool = |kind| ClientError::Tool {
            kind,
            message: String::new(),
            tried: Vec::new(),
        };
        assert_eq!(
            exit_code_for(&tool(Some(ErrorKind::Auth))),
            exit_code::TOOL_ERROR
        );
        assert_eq!(exit_code_for(&tool(None)), exit_code::TOOL_ERROR);
        assert_eq!(
            exit_code_for(&tool(Some(ErrorKind::Timeout))),
            exit_code::TIMEOUT
        );
        let timeout = ClientError::Timeout {
            what: "x".into(),
            after: Duration::from_secs(1),
        };
        assert_eq!(exit_code_for(&timeout), exit_code::TIMEOUT);
        let closed = ClientError::Closed {
            what: "x".into(),
            stderr: Vec::new(),
        };
        assert_eq!(exit_code_for(&closed), exit_code::CONNECTION);
        let handshake = ClientError::Handshake {
            command: "x".into(),
            reason: "y".into(),
            stderr: Vec::new(),
        };
        assert_eq!(exit_code_for(&handshake), exit_code::START);
    }
}
