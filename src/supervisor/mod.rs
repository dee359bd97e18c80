//! The supervisor behind `llm-mcp serve`: children, routing, restarts, reload; served on stdio
//! to one client or over Streamable HTTP to many ([`run_http`]).
//!
//! - [`config`]: the file (`mcpServers`, default, fallback, tiers, restart, health).
//! - `config_error`: the error of a file that cannot be used.
//! - `process`: one child process behind its keeper; exit status; ending all it started.
//! - `keeper`: `llm-mcp __keep`, between serve and a child: subreaper, parent-death signal.
//! - `proc_tree`: children and descendants of a process, from /proc.
//! - `child_env`: what a child's environment holds (not every key of the supervisor's).
//! - `child_client`: the MCP client side of a child connection; progress routing.
//! - `child`: one child's supervision task: start, ping, restart with backoff, crash loop.
//! - `hub`: the set of children, the configuration in force, list_changed upstream.
//! - [`config::expose`]: which child tools the list shows (the config's `expose`).
//! - [`tool_policy`]: which child tools exist at all (each entry's `tools`, `exclude_tools`).
//! - `tool_index`: the aggregated `NAME__tool` list and its reverse lookup.
//! - `forward`: one `tools/call` to a named child, with timeout, progress and cancellation.
//! - `express`: the same for a `NAME__tool` call without progress, past rmcp on stdio.
//! - [`budget`]: what the config's budgets have spent, over rolling windows, on disk.
//! - `budget_gate`: the budgets' say on one call: block, downgrade, warn, count.
//! - `usage_log`: `--usage-log`, one JSON line per provider call.
//! - `router`: where `complete` goes (provider, tier, default, fallback; the `auto` rule)
//!   and which failures move on to the next provider.
//! - `routing`: the `latency` rule: the planned servers sorted by health.
//! - [`health`]: a child's rolling latency p50/p95, error rate and last error.
//! - [`breaker`]: a child's circuit breaker (closed, open for a cooldown, half-open probe).
//! - `board`: every child's health and breaker, by name.
//! - `attempt`: one routed call to a child, under its breaker, measured into its health.
//! - [`tool_defs`]: the own tools' arguments, results and definitions.
//! - `llm_tools`: the own `complete` (routed, with fallback, under the budgets).
//! - `compare`: the own `compare`, with its deadline and judge.
//! - [`sampling`]: a child's `sampling/createMessage`, answered by the supervisor (bridge),
//!   passed upstream (forward) or refused.
//! - `deadline`: `compare`'s `deadline_s`: each call under its own cancellation token.
//! - `judge`: `compare`'s `judge`: rank or merge the answers through a routed `complete`.
//! - `server`: the supervisor's MCP server.
//! - `reload`: SIGHUP and config-file watching.

pub(crate) mod attempt;
pub(crate) mod board;
pub mod breaker;
pub mod budget;
pub(crate) mod budget_gate;
pub(crate) mod child;
pub(crate) mod child_client;
mod child_env;
pub(crate) mod compare;
pub mod config;
mod config_error;
pub(crate) mod deadline;
pub(crate) mod express;
pub(crate) mod forward;
pub mod health;
pub(crate) mod hub;
pub(crate) mod judge;
#[cfg(target_os = "linux")]
pub(crate) mod keeper;
pub(crate) mod llm_tools;
#[cfg(target_os = "linux")]
mod proc_tree;
pub(crate) mod process;
pub(crate) mod reload;
pub(crate) mod router;
pub(crate) mod routing;
pub mod sampling;
pub(crate) mod server;
pub mod tool_defs;
pub(crate) mod tool_index;
pub mod tool_policy;
pub(crate) mod usage_log;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use rmcp::{RoleServer, ServiceExt, transport::IntoTransport};

use crate::tasks::Tasks;

/// Runs the supervisor: starts the children of `config` (waiting briefly for them, so the
/// first `tools/list` already shows their tools), serves MCP on `transport`, reloads from `path`
/// on change or SIGHUP, runs `complete` and `compare` as tasks in `tasks` for clients that
/// declare the extension, and shuts down when the client disconnects or `stop` completes:
/// in-flight calls are cancelled, children are closed, then their process groups are ended.
pub async fn run<T, E, A>(
    config: config::SupervisorConfig,
    options: Options,
    tasks: Option<Arc<Tasks>>,
    transport: T,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError>
where
    T: IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    with_children(config, options, |hub| serve(hub, tasks, transport, stop))
        .await
        .map_err(ServeError)
}

/// Runs the supervisor as [`run`] does on stdio, where a `NAME__tool` call that asks for no
/// progress is passed to its child past rmcp ([`express`]).
pub async fn run_stdio<R>(
    config: config::SupervisorConfig,
    options: Options,
    tasks: Option<Arc<Tasks>>,
    mut transport: crate::stdio::Stdio<R>,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    with_children(config, options, |hub| {
        transport.set_shortcut(Arc::new(express::Express::new(hub.clone())));
        serve(hub, tasks, transport, stop)
    })
    .await
    .map_err(ServeError)
}

/// Why the supervisor stopped on a failure: a file it could not open, an address it could
/// not listen on, a client that never initialized. The text says which.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServeError(pub String);

/// How `serve` was started, besides its configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The config file, watched for changes (none: the built-in default).
    pub config_path: Option<PathBuf>,
    /// `--usage-log`: the JSON-lines file every provider call is appended to.
    pub usage_log: Option<PathBuf>,
    /// Where the budgets' spend is kept ([`budget::default_path`] by default).
    pub budget_file: Option<PathBuf>,
    /// `--redis`, connected: the children's `rate_limit` buckets shared with other replicas.
    pub redis: Option<crate::limits::SharedLimits>,
}

/// Runs the supervisor as [`run`] does, serving any number of clients over Streamable HTTP
/// (`llm-mcp serve --listen`) until `stop` completes; then calls in flight are drained
/// within the listener's bound and the children are closed.
pub async fn run_http(
    config: config::SupervisorConfig,
    options: Options,
    tasks: Option<Arc<Tasks>>,
    http: crate::transport::HttpOptions,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    with_children(config, options, |hub| {
        let make = move || server::Supervisor::new(hub.clone(), tasks.clone());
        crate::transport::serve_http(make, http, "llm-mcp serve", stop)
    })
    .await
    .map_err(ServeError)
}

/// Starts the children (waiting briefly for them), watches `path` for changes, runs `serve`
/// on them, then shuts them down.
async fn with_children<F, Fut>(
    config: config::SupervisorConfig,
    options: Options,
    serve: F,
) -> Result<(), String>
where
    F: FnOnce(std::sync::Arc<hub::Hub>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let usage_log = match &options.usage_log {
        Some(path) => Some(
            usage_log::UsageLog::open(path)
                .map_err(|err| format!("--usage-log {}: {err}", path.display()))?,
        ),
        None => None,
    };
    let budget_file = (options.budget_file.clone())
        .or_else(|| budget::default_path(&|name| std::env::var(name).ok()));
    let accounting = hub::Accounting {
        budgets: Some(budget::Budgets::open(budget_file)),
        usage_log,
        redis: options.redis.clone(),
    };
    let start_limit = config.health.start_timeout();
    let hub = hub::Hub::start(config, accounting);
    hub.settle(start_limit).await;
    let watcher = (options.config_path).map(|path| tokio::spawn(reload::watch(hub.clone(), path)));
    let outcome = serve(hub.clone()).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    hub.shutdown().await;
    outcome
}

async fn serve<T, E, A>(
    hub: std::sync::Arc<hub::Hub>,
    tasks: Option<Arc<Tasks>>,
    transport: T,
    stop: impl Future<Output = ()>,
) -> Result<(), String>
where
    T: IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let running = server::Supervisor::new(hub.clone(), tasks)
        .serve(transport)
        .await
        .map_err(|err| format!("the client did not initialize: {err}"))?;
    let cancel = running.cancellation_token();
    let waiting = running.waiting();
    tokio::pin!(waiting);
    tokio::select! {
        _ = &mut waiting => {}
        _ = stop => {
            // Cancels every in-flight request, whose forwarders tell the children.
            cancel.cancel();
            let _ = waiting.await;
        }
    }
    Ok(())
}
