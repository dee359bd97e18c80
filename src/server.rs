//! [`LlmServer`]: the MCP tools every backend server shares (`complete`, `chat`,
//! `list_models`, `status`), generic over the [`Backend`] it calls.
//!
//! A call is checked, resolved against the configuration, sent under the whole-call timeout and
//! the request's cancellation token, and answered with the [`Record`] or a tool error.
//!
//! Annotations, honestly: `complete` and `chat` spend the account's tokens and money (not
//! read-only, not idempotent: each call costs again; not destructive: nothing is overwritten)
//! and reach the provider (open world); `list_models` and `status` only read, from the
//! provider too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, CustomRequest,
    CustomResult, GetTaskParams, GetTaskResult, Implementation, ServerCapabilities,
    ServerConfig as McpServerConfig, UpdateTaskParams,
};
use rmcp::{
    ErrorData, RoleServer, ServerHandler, service::RequestContext, tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::backend::Backend;
use crate::completion::Record;
use crate::config::ServerConfig;
use crate::limits::RateLimiter;
use crate::shape::learned::Learned;
use crate::tasks::{Tasks, handler as tasks};
use crate::tool_args::{ChatArgs, Checked, CompleteArgs};
use crate::tool_result::json_result;

/// The result of `list_models`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelList {
    /// The server's instance name.
    pub provider: String,
    /// The model used when a call names none.
    pub default_model: String,
    /// Short names and the ids they stand for.
    pub aliases: std::collections::BTreeMap<String, String>,
    /// The provider's own listing (empty when it could not be fetched; see `error`).
    pub models: Vec<String>,
    /// The listed models the model catalog knows (`llm-mcp models` shows what it knows).
    pub cataloged: Vec<String>,
    /// Why the listing could not be fetched, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of `status`. It never spends tokens and never shows a key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Status {
    /// The server's instance name.
    pub provider: String,
    /// The backend (wire format or preset).
    pub backend: String,
    /// The endpoint calls go to.
    pub endpoint: String,
    /// The default model.
    pub model: String,
    /// `present`, `missing`, `not required`, or `unexpanded` (the variable holds a literal
    /// `${...}`).
    pub credentials: String,
    /// The variable (or file variable) the key comes from, or should; for a login
    /// (`--auth codex`), which one and its file.
    pub credentials_source: String,
    /// When a login's token expires (RFC 3339); absent for keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_expires_at: Option<String>,
    /// Which source holds the key: `env`, `file`, `keychain` or `vault PATH`; absent without
    /// a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_store: Option<String>,
    /// Whether the endpoint answered a listing request.
    pub reachable: bool,
    /// How long it took.
    pub latency_ms: Option<u64>,
    /// What went wrong reaching it, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The llm-mcp version.
    pub version: String,
    /// Completed `complete` and `chat` calls since start.
    pub calls: u64,
    /// Of which failed.
    pub errors: u64,
    /// Tokens used by them.
    pub tokens: u64,
    /// Their known cost in USD.
    pub cost_usd: f64,
    /// With `--redis`: whose calls the four totals above count: every replica of this name,
    /// or (when Redis cannot be reached) this process only, saying why. Absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals_scope: Option<String>,
}

/// Counters for `status`.
#[derive(Debug, Default)]
struct Stats {
    calls: AtomicU64,
    errors: AtomicU64,
    tokens: AtomicU64,
    /// Cost in micro-dollars, so it can be an atomic integer.
    cost_micro_usd: AtomicU64,
}

struct Inner<B> {
    backend: B,
    config: ServerConfig,
    binary: &'static str,
    stats: Stats,
    limiter: Option<Semaphore>,
    /// `--rate-limit`: requests and tokens per minute.
    rate: Option<RateLimiter>,
    /// Parameters each model refused in this process (see [`crate::shape::learned`]).
    learned: Learned,
    /// `--redis`: the totals every replica of this name adds to.
    totals: Option<totals::SharedTotals>,
}

/// The MCP server of one backend.
pub struct LlmServer<B: Backend> {
    inner: Arc<Inner<B>>,
    tool_router: ToolRouter<Self>,
    /// Where `complete` and `chat` run when a client asks for tasks (`--task-dir`).
    tasks: Option<Arc<Tasks>>,
}

impl<B: Backend> Clone for LlmServer<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            tool_router: self.tool_router.clone(),
            tasks: self.tasks.clone(),
        }
    }
}

/// The tools that run as tasks for a client that declared the extension: the ones that
/// call the model.
const TASK_TOOLS: &[&str] = &["complete", "chat"];

#[tool_router]
impl<B: Backend> LlmServer<B> {
    /// A server for `backend`, reporting itself as `binary` in `serverInfo`.
    pub fn new(backend: B, config: ServerConfig, binary: &'static str) -> Self {
        let limiter = config.max_concurrency.map(Semaphore::new);
        let rate = (config.rate_limit).map(|spec| RateLimiter::local(spec, "--rate-limit"));
        let totals =
            (config.shared.as_ref()).map(|redis| totals::SharedTotals::new(redis, &config.name));
        Self {
            inner: Arc::new(Inner {
                backend,
                config,
                binary,
                stats: Stats::default(),
                limiter,
                rate,
                learned: Learned::default(),
                totals,
            }),
            tool_router: Self::tool_router(),
            tasks: None,
        }
    }

    /// The same server with its `--rate-limit` buckets in Redis, shared by every replica of
    /// the same name; call it before the server is cloned (it does nothing after).
    pub fn with_shared_limits(mut self, redis: crate::limits::SharedLimits) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner)
            && let Some(spec) = inner.config.rate_limit
        {
            let name = inner.config.name.clone();
            inner.rate = Some(RateLimiter::shared(spec, "--rate-limit", redis, name));
        }
        self
    }

    /// The same server, running `complete` and `chat` as tasks in `tasks` for clients that
    /// declare the tasks extension.
    pub fn with_tasks(mut self, tasks: Option<Arc<Tasks>>) -> Self {
        self.tasks = tasks;
        self
    }

    /// Forward one prompt to the model.
    #[tool(
        title = "Complete",
        description = "Send one prompt to the model; returns the record (output, model, tokens_used, ...).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        ),
        input_schema = crate::schema::input::<CompleteArgs>(),
        output_schema = crate::schema::output::<Record>()
    )]
    async fn complete(
        &self,
        Parameters(Checked(args)): Parameters<Checked<CompleteArgs>>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(self.call(self.prepare(args), ctx).await)
    }

    /// A conversation turn, with tool calling.
    #[tool(
        title = "Chat",
        description = "Continue a conversation, optionally with tools; returns the record.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        ),
        input_schema = crate::schema::input::<ChatArgs>(),
        output_schema = crate::schema::output::<Record>()
    )]
    async fn chat(
        &self,
        Parameters(Checked(args)): Parameters<Checked<ChatArgs>>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(self.call(self.prepare(args), ctx).await)
    }

    /// The provider's models, the default and the aliases.
    #[tool(
        title = "List models",
        description = "The provider's models, the default model and the aliases.",
        input_schema = crate::schema::no_input(),
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = crate::schema::output::<ModelList>()
    )]
    async fn list_models(&self) -> Result<CallToolResult, ErrorData> {
        let config = &self.inner.config;
        let (models, error) = match self.inner.backend.list_models().await {
            Ok(models) => (models, None),
            Err(err) => (Vec::new(), Some(err.render(&config.name))),
        };
        let host = config.base_url.host_str();
        let cataloged = match config.catalog_provider.as_deref() {
            Some(provider) => (models.iter())
                .filter(|m| config.catalog.lookup(provider, host, m).is_some())
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        Ok(json_result(&ModelList {
            provider: config.name.clone(),
            default_model: config.resolve_model(&config.model),
            aliases: config.aliases.clone(),
            models,
            cataloged,
            error,
        }))
    }

    /// Configuration, reachability and counters; spends no tokens.
    #[tool(
        title = "Status",
        description = "Endpoint, credentials, reachability and counters; spends no tokens.",
        input_schema = crate::schema::no_input(),
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = crate::schema::output::<Status>()
    )]
    async fn status(&self) -> Result<CallToolResult, ErrorData> {
        let inner = &self.inner;
        let probe = inner.backend.probe().await;
        let key_source = &inner.config.key_source;
        let (credentials, source, expires_at) = match inner.backend.credential_status() {
            Some(login) => (login.state, login.source, login.expires_at),
            None => (
                key_source
                    .state(inner.config.profile.key_required)
                    .to_string(),
                key_source.variable().to_string(),
                None,
            ),
        };
        let stats = &inner.stats;
        let local = totals::Usage {
            calls: stats.calls.load(Ordering::Relaxed),
            errors: stats.errors.load(Ordering::Relaxed),
            tokens: stats.tokens.load(Ordering::Relaxed),
            cost_micro_usd: stats.cost_micro_usd.load(Ordering::Relaxed),
        };
        let name = &inner.config.name;
        let (usage, totals_scope) = match &inner.totals {
            None => (local, None),
            Some(shared) => match shared.read().await {
                Ok(usage) => (usage, Some(format!("every replica named {name} (Redis)"))),
                Err(err) => (local, Some(format!("this process only: {err}"))),
            },
        };
        Ok(json_result(&Status {
            provider: inner.config.name.clone(),
            backend: inner.config.profile.backend.to_string(),
            endpoint: inner.backend.endpoint(),
            model: inner.config.resolve_model(&inner.config.model),
            credentials,
            credentials_source: source,
            credentials_expires_at: expires_at,
            credentials_store: key_source.store(),
            reachable: probe.reachable,
            latency_ms: probe.latency_ms,
            detail: probe.detail,
            version: env!("CARGO_PKG_VERSION").to_string(),
            calls: usage.calls,
            errors: usage.errors,
            tokens: usage.tokens,
            cost_usd: usage.cost_micro_usd as f64 / 1e6,
            totals_scope,
        }))
    }
}

#[tool_handler(router = self.tool_router)]
impl<B: Backend> ServerHandler for LlmServer<B> {
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(crate::misfit::answer(&request))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(tasks) = tasks::for_call(self.tasks.as_ref(), &request.name, TASK_TOOLS, &context)
        else {
            return (self.tool_router)
                .call(ToolCallContext::new(self, request, context))
                .await;
        };
        let server = self.clone();
        tasks
            .run(context, move |detached| async move {
                let call = ToolCallContext::new(&server, request, detached);
                server.tool_router.call(call).await
            })
            .await
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        tasks::get(self.tasks.as_ref(), request).await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        tasks::cancel(self.tasks.as_ref(), request).await
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        tasks::update(self.tasks.as_ref(), request).await
    }

    fn get_info(&self) -> McpServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools().build();
        McpServerConfig::new(tasks::declare(capabilities, self.tasks.as_ref()))
            .with_server_info(Implementation::new(self.inner.binary, env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "LLM provider '{}' as MCP tools: complete (one prompt), chat (conversation with tool calling), list_models, status.",
                self.inner.config.name
            ))
    }
}

mod calls;
#[cfg(test)]
mod tests;
mod totals;
