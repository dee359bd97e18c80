//! One `complete` or `chat` call of [`LlmServer`]: the request made from the arguments, shaped
//! for the model, sent under the rate limit, the concurrency limit, the whole-call timeout and
//! the client's cancellation (streaming when the client asked for progress), sent once more
//! without a parameter the provider refused, and turned into the record or a tool error.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::FutureExt;
use rmcp::model::CallToolResult;
use rmcp::{RoleServer, service::RequestContext};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::{Answer, Backend};
use crate::completion::{CompletionRequest, FinishReason, Record};
use crate::error::{ErrorKind, LlmError};
use crate::progress::{HEARTBEAT, Progress};
use crate::shape::adapt::adapt;
use crate::shape::learned::refused_parameter;
use crate::tool_args::{CompletionArgs, Limits};
use crate::tool_result::json_result;

use super::LlmServer;

impl<B: Backend> LlmServer<B> {
    /// The request a `complete` or `chat` call makes, and its timeout.
    pub(super) fn prepare(
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
    pub(super) async fn call(
        &self,
        prepared: Result<(CompletionRequest, Duration), LlmError>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let started = Instant::now();
        let outcome = match prepared {
            Ok((request, timeout)) => {
                let progress = crate::progress::wanted_token(&ctx.meta)
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
        let mut usage = super::totals::Usage {
            calls: 1,
            ..Default::default()
        };
        let result = match outcome {
            Ok(shaped) => {
                let record = self.record(shaped, started);
                // Counts and costs come from the provider: the totals saturate, never wrap.
                usage.tokens = record.tokens_used.unwrap_or(0);
                saturating_add(&stats.tokens, usage.tokens);
                usage.cost_micro_usd = (record.cost_usd.unwrap_or(0.0) * 1e6).round() as u64;
                saturating_add(&stats.cost_micro_usd, usage.cost_micro_usd);
                json_result(&record)
            }
            Err(err) => {
                usage.errors = 1;
                stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::info!(provider = %name, kind = %err.kind, "call failed");
                err.to_tool_result(name)
            }
        };
        if let Some(totals) = &self.inner.totals {
            totals.add(usage);
        }
        result
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

    /// The adaptations of `request` before it is sent (the catalog's, the learned ones, the
    /// replay filter's, the JSON fallback's, then the wire format's own), as warnings.
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
            request.cache_key.get_or_insert_with(|| config.name.clone());
        } else if request.cache_key.take().is_some() {
            warnings.push("cache_key ignored: this server runs with --prompt-cache off".into());
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
        // Last, so the wire format sees the request as it will be written.
        warnings.extend(self.inner.backend.adjust(request)?);
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

/// Adds `value` to `total`, stopping at `u64::MAX`.
fn saturating_add(total: &std::sync::atomic::AtomicU64, value: u64) {
    let _ = total.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
        Some(now.saturating_add(value))
    });
}
