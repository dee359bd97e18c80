//! `llm-mcp serve`: the supervisor, on stdio or over Streamable HTTP (`--listen`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::supervisor::config::SupervisorConfig;

/// Arguments of `llm-mcp serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The configuration file: {"mcpServers": {NAME: {command, args, env}}, default, fallback,
    /// tiers, restart, health, expose, budgets}. Without it: one child per backend whose key is set, and mock.
    /// The file is reloaded on change and on SIGHUP.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Append one JSON line per provider call (time, provider, model, tokens, cost, latency,
    /// outcome) to FILE.
    #[arg(long, value_name = "FILE")]
    usage_log: Option<PathBuf>,
    /// Serving over Streamable HTTP instead of stdio, to many clients at once.
    #[command(flatten)]
    listen: crate::transport::ListenArgs,
    /// Where calls run as MCP tasks are kept, and for how long.
    #[command(flatten)]
    tasks: crate::tasks::TaskArgs,
    /// Share state with every replica of `serve` using this Redis
    /// (redis://[:PASSWORD@]HOST[:PORT][/DB]): the children's rate_limit buckets and the
    /// tasks. The variable's value is never shown in --help.
    #[arg(
        long,
        env = "LLM_MCP_REDIS",
        hide_env_values = true,
        value_name = "URL"
    )]
    redis: Option<String>,
}

/// Runs `llm-mcp serve` until stdin closes (on stdio), SIGTERM or SIGINT; exits 2 on a bad
/// config file or listener.
pub async fn run(args: ServeArgs) -> ExitCode {
    crate::run::init_logging();
    let env = |name: &str| std::env::var(name).ok();
    let http = match args.listen.resolve(&env) {
        Ok(http) => http,
        Err(err) => {
            eprintln!("llm-mcp serve: {err}");
            return ExitCode::from(2);
        }
    };
    let redis = match &args.redis {
        Some(url) => match crate::limits::SharedLimits::connect(url).await {
            Ok(redis) => Some(redis),
            Err(err) => {
                eprintln!("llm-mcp serve: {err}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let tasks = match &redis {
        Some(redis) => args.tasks.resolve_shared("llm-mcp-serve", redis).map(Some),
        None => args.tasks.resolve("llm-mcp-serve", &env),
    };
    let tasks = match tasks {
        Ok(tasks) => tasks,
        Err(err) => {
            eprintln!("llm-mcp serve: {err}");
            return ExitCode::from(2);
        }
    };
    let config = match &args.config {
        Some(path) => match SupervisorConfig::load(path, &env) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("llm-mcp serve: {err}");
                return ExitCode::from(2);
            }
        },
        None => SupervisorConfig::builtin(&env),
    };
    let stop = crate::run::terminated();
    let options = crate::supervisor::Options {
        config_path: args.config,
        usage_log: args.usage_log,
        budget_file: None,
        redis,
    };
    let outcome = match http {
        Some(http) => crate::supervisor::run_http(config, options, tasks, http, stop).await,
        None => {
            let transport = crate::stdio::stdio();
            // stdin closed or stdout failed: shut down as on a signal, cancelling every call.
            let ended = transport.ended();
            let stop = async move {
                tokio::select! {
                    _ = stop => {}
                    _ = ended.cancelled() => {}
                }
            };
            crate::supervisor::run_stdio(config, options, tasks, transport, stop).await
        }
    };
    let code = match outcome {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("llm-mcp serve: {err}");
            1
        }
    };
    // The children are gone by now. Exit at once: tokio's stdin reader is a blocking thread
    // that would keep the runtime from shutting down after a signal.
    std::process::exit(code)
}
