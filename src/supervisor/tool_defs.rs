//! The supervisor's own tools (`complete`, `compare`, `providers`, `restart`, `status`): their arguments,
//! their results, and their definitions in `tools/list`. Descriptions are short on purpose:
//! every tool's schema costs the calling model context.

use rmcp::model::{Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::breaker::BreakerView;
use super::child::State;
use super::health::Health;
use crate::completion::{Record, RoutedRecord};
use crate::schema::{input, no_input, output};

crate::call_arguments! {
    /// Arguments of the supervisor's `complete`.
    pub struct RoutedCompleteArgs {
        /// The prompt.
        pub prompt: String,
        /// The server to send it to (see providers); tried alone, without fallback.
        #[serde(default)]
        pub provider: Option<String>,
        /// fast, primary, premium, or auto (picked from prompt size).
        #[serde(default)]
        pub tier: Option<String>,
    }
}

crate::call_arguments! {
    /// Arguments of `compare`.
    pub struct CompareArgs {
        /// The prompt.
        pub prompt: String,
        /// The servers to ask; every server with a complete tool when absent.
        #[serde(default)]
        pub providers: Option<Vec<String>>,
        /// Answer after this many seconds with what has arrived; the rest are timeout.
        #[serde(default)]
        pub deadline_s: Option<f64>,
        /// Then have a provider or tier rank the answers or merge them.
        #[serde(default)]
        pub judge: Option<JudgeArgs>,
    }
}

/// `compare`'s judge: who judges (a provider alone, or a tier with fallback; the default
/// route when neither), and how.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeArgs {
    /// The server that judges.
    #[serde(default)]
    pub provider: Option<String>,
    /// Or the tier that judges.
    #[serde(default)]
    pub tier: Option<String>,
    /// rank (default): best first; merge: one answer from all.
    #[serde(default)]
    pub mode: JudgeMode,
}

/// What the judge does with the answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JudgeMode {
    /// Order them best first.
    #[default]
    Rank,
    /// Write one answer from all of them.
    Merge,
}

/// The judge's verdict, or why there is none.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Judgement {
    /// rank or merge.
    pub mode: JudgeMode,
    /// rank: the providers that answered, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<String>>,
    /// rank: the judge's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// merge: the merged answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The judge's own record (provider, model, usage, cost, tried).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RoutedRecord>,
    /// Why there is no verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Arguments of `restart`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct RestartArgs {
    /// The server to restart.
    pub name: String,
}

/// One provider's answer in `compare`: its record or its error.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CompareEntry {
    /// The server asked.
    pub provider: String,
    /// Its record, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Record>,
    /// Its error text (`[kind] provider: ...`), when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's kind, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The result of `compare`, in the order the providers were asked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Comparison {
    /// One entry per provider.
    pub results: Vec<CompareEntry>,
    /// The judge's verdict, when a judge was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
}

/// One child as `providers` shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProviderInfo {
    /// Its name; its tools appear as `NAME__tool`.
    pub name: String,
    /// starting, ready, restarting, crash_loop or stopped.
    pub state: State,
    /// The process id while it runs.
    pub pid: Option<u32>,
    /// Restarts since the supervisor started it.
    pub restarts: u32,
    /// How its last run ended.
    pub last_exit: Option<String>,
    /// Its tools, by their own names.
    pub tools: Vec<String>,
    /// Latency, error rate and last error over its last 100 routed calls.
    pub health: Health,
    /// Its circuit breaker.
    pub breaker: BreakerView,
}

impl JsonSchema for State {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "State".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["starting", "ready", "restarting", "crash_loop", "stopped"]
        })
    }
}

/// The result of `providers`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProviderList {
    /// Every configured server, in configuration order.
    pub providers: Vec<ProviderInfo>,
}

/// The result of the supervisor's `status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SupervisorStatus {
    /// Each budget of the config with its spend in its window, in name order.
    pub budgets: Vec<crate::supervisor::budget::BudgetStatus>,
    /// Each child's health and circuit breaker, in name order (as `providers` shows them).
    pub health: Vec<ChildHealth>,
}

/// One child's health and breaker, for `status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChildHealth {
    /// The child's name in the config.
    pub name: String,
    /// Its routed calls: latency, error rate, last error.
    pub health: Health,
    /// Its circuit breaker.
    pub breaker: BreakerView,
}

/// The own tools' names.
pub const OWN_TOOLS: [&str; 5] = ["complete", "compare", "providers", "restart", "status"];

/// The own tools as `tools/list` shows them (built once: every `tools/list` asks).
pub fn tools() -> Vec<Tool> {
    static TOOLS: std::sync::LazyLock<Vec<Tool>> = std::sync::LazyLock::new(own_tools);
    TOOLS.clone()
}

/// A call to an LLM: it spends tokens and money (so not read-only, and each call costs again:
/// not idempotent), overwrites nothing (not destructive), and reaches a provider (open world).
fn generates() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(false)
        .destructive(false)
        .idempotent(false)
        .open_world(true)
}

fn own_tools() -> Vec<Tool> {
    vec![
        Tool::new(
            "complete",
            "Send a prompt to an LLM: to provider, else the tier's server, else the default, falling back on rate limits and outages, passing over open circuit breakers. Returns the record with provider, tried and skipped.",
            input::<RoutedCompleteArgs>(),
        )
        .with_title("Complete (routed)")
        .with_annotations(generates())
        .with_raw_output_schema(output::<RoutedRecord>()),
        Tool::new(
            "compare",
            "Send one prompt to several providers at once; one record or error per provider. deadline_s: return what arrived by then; judge: rank or merge the answers.",
            input::<CompareArgs>(),
        )
        .with_title("Compare providers")
        .with_annotations(generates())
        .with_raw_output_schema(output::<Comparison>()),
        Tool::new(
            "providers",
            "List the supervised servers: state, pid, restarts, last exit, tools, health (latency p50/p95, error rate, last error) and circuit breaker.",
            no_input(),
        )
        .with_title("Providers")
        // Reads the supervisor's own state: no child or provider is asked.
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false))
        .with_raw_output_schema(output::<ProviderList>()),
        Tool::new(
            "restart",
            "Restart one supervised server now (also leaves crash_loop).",
            input::<RestartArgs>(),
        )
        .with_title("Restart a server")
        // Ends the child's calls in flight, and does so again on every call.
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(false),
        )
        .with_raw_output_schema(output::<ProviderInfo>()),
        Tool::new(
            "status",
            "Spend against each budget of the config (USD, tokens, window, when it frees up).",
            no_input(),
        )
        .with_title("Status")
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false))
        .with_raw_output_schema(output::<SupervisorStatus>()),
    ]
}
