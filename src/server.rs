//! [`LlmServer`]: the MCP tools every backend server shares (`complete`, `chat`,
//! `list_models`, `status`), generic over the [`Backend`] it calls.
//!
//! A call is checked, resolved against the configuration, sent under the whole-call timeout and
//! the request's cancellation token, and answered with the [`Record`] or a tool error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
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
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::backend::{Answer, Backend};
use crate::catalog::adapt::adapt;
use crate::catalog::learned::{Learned, refused_parameter};
use crate::completion::{CompletionRequest, FinishReason, Record};
use crate::config::ServerConfig;
use crate::error::{ErrorKind, LlmError};
use crate::limits::RateLimiter;
use crate::progress::{HEARTBEAT, Progress};
use crate::tasks::{Tasks, handler as tasks};
use crate::tool_args::{ChatArgs, Checked, CompleteArgs, CompletionArgs, Limits};
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
    /// Parameters each model refused in this process (see [`crate::catalog::learned`]).
    learned: Learned,
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
        Self {
            inner: Arc::new(Inner {
                backend,
                config,
                binary,
                stats: Stats::default(),
                limiter,
                rate,
                learned: Learned::default(),
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
        description = "Send one prompt to the model; returns the record (output, model, tokens_used, ...).",
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
        description = "Continue a conversation, optionally with tools; returns the record.",
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
        description = "The provider's models, the default model and the aliases.",
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
        description = "Endpoint, credentials, reachability and counters; spends no tokens.",
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
            calls: stats.calls.load(Ordering::Relaxed),
            errors: stats.errors.load(Ordering::Relaxed),
            tokens: stats.tokens.load(Ordering::Relaxed),
            cost_usd: stats.cost_micro_usd.load(Ordering::Relaxed) as f64 / 1e6,
        }))
    }
}

impl<B: Backend> LlmServer<B> {
    /// The request a `complete` or `chat` call makes, and its timeout.
    fn prepare(
        &self,
        args: Result<impl CompletionArgs, LlmError>,
    ) -> Result<(CompletionRequest, Duration), LlmError> {
        let config = &self.inner.config;
        let args = args?;
        let timeout = args.options().timeout(config)?;
        Ok((args.into_request(config, &self.limits())?, timeout))
    }

    fn limits(&self) -> Limits {
        Limits {
            temperature_max: self.inner.config.profile.temperature_max,
        }
    }

    /// Runs one completion under the timeout and the cancellation token, and turns the outcome
    /// into the record or a tool error.
    async fn call(
        &self,
        prepared: Result<(CompletionRequest, Duration), LlmError>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let started = Instant::now();
        let outcome = match prepared {
            Ok((request, timeout)) => {
                let progress = ctx
                    .meta
                    .get_progress_token()
                    .map(|token| Progress::new(ctx.peer.clone(), token));
                tokio::select! {
                    // Dropping the provider future closes its connection at once.
                    _ = ctx.ct.cancelled() => Err(LlmError::new(ErrorKind::Cancelled, "the call was cancelled by the client")),
                    outcome = self.answer(request, started + timeout, progress) => outcome,
                }
            }
            Err(err) => Err(err),
        };
        let stats = &self.inner.stats;
        stats.calls.fetch_add(1, Ordering::Relaxed);
        let name = &self.inner.config.name;
        match outcome {
            Ok(shaped) => {
                let record = self.record(shaped, started);
                stats
                    .tokens
                    .fetch_add(record.tokens_used.unwrap_or(0), Ordering::Relaxed);
                let micro = (record.cost_usd.unwrap_or(0.0) * 1e6).round() as u64;
                stats.cost_micro_usd.fetch_add(micro, Ordering::Relaxed);
                json_result(&record)
            }
            Err(err) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::info!(provider = %name, kind = %err.kind, "call failed");
                err.to_tool_result(name)
            }
        }
    }

    /// Waits its turn under the rate limit and for a concurrency slot, then sends under the
    /// timeout, and charges the rate limit the tokens used; a panic becomes `[internal]`. With
    /// `progress`, the call streams: new text and heartbeats go out as notifications (while
    /// it waits its turn too).
    async fn send(
        &self,
        request: CompletionRequest,
        deadline: Instant,
        progress: Option<&mut Progress>,
    ) -> Result<Answer, LlmError> {
        let started = Instant::now();
        let timeout = deadline.saturating_duration_since(started);
        let (deltas, mut received) = mpsc::unbounded_channel();
        let streaming = progress.is_some();
        let work = async {
            if let Some(rate) = &self.inner.rate {
                rate.admit(deadline).await?;
            }
            let _permit = match &self.inner.limiter {
                Some(limiter) => Some(limiter.acquire().await.map_err(|_| {
                    LlmError::new(ErrorKind::Internal, "the concurrency limiter was closed")
                })?),
                None => None,
            };
            let backend = &self.inner.backend;
            let answer = if streaming {
                backend.complete_streaming(request, deadline, deltas).await
            } else {
                backend.complete(request, deadline).await
            };
            if let (Some(rate), Ok(answer)) = (&self.inner.rate, &answer) {
                rate.charge(answer.completion.usage.total().unwrap_or(0))
                    .await;
            }
            answer
        };
        let guarded =
            tokio::time::timeout_at(deadline, std::panic::AssertUnwindSafe(work).catch_unwind());
        let outcome = match progress {
            None => guarded.await,
            Some(progress) => {
                tokio::pin!(guarded);
                let mut heartbeat = tokio::time::interval_at(started + HEARTBEAT, HEARTBEAT);
                loop {
                    tokio::select! {
                        outcome = &mut guarded => {
                            // Text that arrived with the last event goes out before the result.
                            while let Ok(delta) = received.try_recv() {
                                progress.text(&delta).await;
                            }
                            break outcome;
                        }
                        Some(delta) = received.recv() => {
                            progress.text(&delta).await;
                            heartbeat.reset();
                        }
                        _ = heartbeat.tick() => progress.heartbeat(started.elapsed()).await,
                    }
                }
            }
        };
        match outcome {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_panic)) => Err(LlmError::new(
                ErrorKind::Internal,
                "the call failed inside llm-mcp (a bug: please report it)",
            )),
            Err(_) => Err(LlmError::new(
                ErrorKind::Timeout,
                format!(
                    "no answer within {:.0} s; raise timeout_s or the server's --timeout",
                    timeout.as_secs_f64()
                ),
            )),
        }
    }

    fn record(&self, shaped: Shaped, started: Instant) -> Record {
        let config = &self.inner.config;
        let Shaped {
            answer,
            warnings,
            local_stop,
            include_reasoning,
            json,
        } = shaped;
        let mut completion = answer.completion;
        if let Some(at) = first_stop(&completion.output, &local_stop) {
            completion.output.truncate(at);
            completion.finish_reason = FinishReason::Stop;
        }
        let message = completion.message();
        let cost_usd = config.prices.cost(&completion.model, &completion.usage);
        Record {
            tokens_used: completion.usage.total(),
            output: completion.output,
            provider: config.name.clone(),
            usage: completion.usage,
            finish_reason: completion.finish_reason,
            latency_ms: started.elapsed().as_millis() as u64,
            attempts: answer.attempts,
            cost_usd,
            tool_calls: completion.tool_calls,
            model: completion.model,
            warnings,
            reasoning: completion.reasoning.filter(|_| include_reasoning),
            json,
            message,
        }
    }

    /// Shapes `request` for its model (the catalog's rules, then what the model refused before
    /// in this process, then the provider state it cannot replay), sends it, and when the
    /// provider refuses a parameter in one of the documented ways, sends it once more without
    /// it and remembers that for the model.
    async fn answer(
        &self,
        mut request: CompletionRequest,
        deadline: Instant,
        mut progress: Option<Progress>,
    ) -> Result<Shaped, LlmError> {
        let mut warnings = self.shape(&mut request)?;
        let local_stop = std::mem::take(&mut request.local_stop);
        let include_reasoning = request.reasoning.as_ref().is_some_and(|r| r.include);
        let format = request.response_format.clone();
        let again = request.clone();
        let asked_model = request.model.clone();
        let first = self.send(request, deadline, progress.as_mut()).await;
        let mut answer = match first {
            Err(err) if err.kind == ErrorKind::BadRequest => {
                let Some(param) = refused_parameter(&err.message).filter(|p| p.present(&again))
                else {
                    return Err(err);
                };
                let mut request = again;
                self.inner.learned.remember(&request.model, param);
                let stripped = param.strip(&mut request)?;
                warnings.push(format!(
                    "{stripped} (the provider refused it; sent again without)"
                ));
                self.send(request, deadline, progress.as_mut()).await?
            }
            other => other?,
        };
        // The state belongs to the model the caller asked for (an alias such as
        // `gemini-flash-latest` answers with a dated version): the next turn, asking for the
        // same model, may replay it; a turn to another model may not (see replay.rs).
        if let Some(state) = &mut answer.completion.provider_state {
            state.model = asked_model;
        }
        // Checked on the output as the record will hold it, after any local stop.
        let json = match &format {
            Some(format) => {
                let mut output = answer.completion.output.as_str();
                if let Some(at) = first_stop(output, &local_stop) {
                    output = &output[..at];
                }
                Some(crate::structured::parse_answer(format, output)?)
            }
            None => None,
        };
        Ok(Shaped {
            answer,
            warnings,
            local_stop,
            include_reasoning,
            json,
        })
    }

    /// The adaptations of `request` before it is sent, as warnings.
    fn shape(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        let config = &self.inner.config;
        let mut warnings = Vec::new();
        let entry = config
            .catalog_provider
            .as_deref()
            .and_then(|provider| {
                let model = config.catalog_model(&request.model);
                (config.catalog).lookup(provider, config.base_url.host_str(), model)
            })
            .map(|found| Arc::new(found.entry.clone()));
        if let Some(entry) = entry {
            warnings.extend(adapt(request, &entry)?);
            request.model_info = Some(entry);
        }
        warnings.extend(self.inner.learned.apply(request)?);
        if config.prompt_cache == crate::config::PromptCache::Auto {
            // A cached prefix must be byte-identical, so tools go in one order whatever
            // order the caller listed them in.
            request.tools.sort_by(|a, b| a.name.cmp(&b.name));
            request.cache_key = Some(config.name.clone());
        }
        warnings.extend(crate::replay::keep_own_state(
            request,
            config.profile.backend,
        ));
        if let Some(format) = &request.response_format
            && !self.inner.backend.maps_response_format(request)
        {
            // The documented fallback of a provider without a JSON control: ask in the
            // system prompt; the answer is checked either way.
            let line = crate::structured::instruction(format);
            request.system = Some(match request.system.take() {
                Some(system) => format!("{system}\n\n{line}"),
                None => line,
            });
            warnings.push(format!(
                "response_format asked for in the system prompt: {} has no JSON control for {}",
                config.profile.backend, request.model
            ));
        }
        Ok(warnings)
    }
}

/// An answer and what the server did to the request on its way.
struct Shaped {
    answer: Answer,
    /// Every adaptation of the request, for the record.
    warnings: Vec<String>,
    /// Stop sequences the model does not take, applied to its output here.
    local_stop: Vec<String>,
    /// Whether the caller asked for the reasoning text.
    include_reasoning: bool,
    /// The answer as JSON, when the caller asked for a response_format.
    json: Option<serde_json::Value>,
}

/// Where the output must end: the start of the first of `stops` in it.
fn first_stop(output: &str, stops: &[String]) -> Option<usize> {
    stops
        .iter()
        .filter(|stop| !stop.is_empty())
        .filter_map(|stop| output.find(stop.as_str()))
        .min()
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

#[cfg(test)]
mod tests;
