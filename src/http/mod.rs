//! The only code that talks to providers: one connection pool per server, connect timeout,
//! retries with exponential backoff and jitter that honour `retry-after`, key rotation, a bound
//! on body size, and errors that name the variable to fix but never the key.
//!
//! The whole-call timeout and cancellation are applied around these futures by the server:
//! dropping a future here drops its connection, which is how a cancelled call stops costing.
//!
//! Submodules depend only downwards, never on this file: [`client`] builds the client and names
//! transport failures, [`retry`] decides waits, [`credential`] attaches the key, [`body`] bounds
//! what is read, [`stream`] reads a streamed answer through [`sse`] or [`ndjson`], split into
//! bounded lines by [`lines`].

pub mod body;
pub mod client;
pub mod credential;
pub mod framer;
pub mod lines;
pub mod ndjson;
pub mod retry;
pub mod sse;
pub mod stream;
#[cfg(test)]
mod tests;

use body::{answers_whole, read_body, read_whole_body};
use stream::read_stream;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::{Client, Url};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::{Answer, Backend, CredentialStatus, Probe};
use crate::completion::{Completion, CompletionRequest};
use crate::config::ServerConfig;
use crate::error::{ErrorKind, LlmError};
use crate::keys::KeyRing;
use crate::provider::{Credential, Provider, WireRequest};
use crate::secret::Secret;
use credential::TokenSource;

/// A wire format with the IO that sends it.
pub struct HttpBackend<P> {
    provider: P,
    credential: Credential,
    client: Client,
    keys: Arc<KeyRing>,
    /// A login read before each attempt instead of `keys` (see [`TokenSource`]).
    token_source: Option<Arc<dyn TokenSource>>,
    key_env: String,
    key_required: bool,
    base_url: Url,
    max_retries: u32,
    backoff: ExponentialBuilder,
}

impl<P: Provider> HttpBackend<P> {
    /// A backend for `provider` configured by `config`.
    pub fn new(provider: P, config: &ServerConfig) -> Result<Self, LlmError> {
        let client = client::build(config)?;
        Ok(Self {
            credential: provider.credential(),
            provider,
            client,
            keys: Arc::new(match &config.shared {
                Some(redis) => KeyRing::shared(config.keys.clone(), redis, &config.name),
                None => KeyRing::new(config.keys.clone()),
            }),
            token_source: None,
            key_env: config.key_env.clone(),
            key_required: config.profile.key_required,
            base_url: config.base_url.clone(),
            max_retries: config.max_retries,
            backoff: retry::backoff(),
        })
    }

    /// The same backend authenticating with `source` (a login) instead of the configured keys.
    pub fn with_token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token_source = Some(source);
        self
    }

    /// Another wire format at the same endpoint, sharing this one's connection pool, keys
    /// (and their rate-limit rests) and login: Chat Completions and Responses of one server.
    pub fn sharing<Q: Provider>(&self, provider: Q) -> HttpBackend<Q> {
        HttpBackend {
            credential: provider.credential(),
            provider,
            client: self.client.clone(),
            keys: Arc::clone(&self.keys),
            token_source: self.token_source.clone(),
            key_env: self.key_env.clone(),
            key_required: self.key_required,
            base_url: self.base_url.clone(),
            max_retries: self.max_retries,
            backoff: self.backoff,
        }
    }

    /// The token of the login, when there is one.
    async fn login_token(&self) -> Result<Option<Secret>, LlmError> {
        match &self.token_source {
            Some(source) => source.token().await.map(Some),
            None => Ok(None),
        }
    }

    /// Sends the request `build` makes and hands a 2xx response to `consume`, retrying
    /// retryable failures of either step while `deadline` allows. Returns what `consume`
    /// made and the number of attempts.
    async fn send<T, Fut>(
        &self,
        build: impl Fn() -> Result<WireRequest, LlmError>,
        consume: impl Fn(reqwest::Response) -> Fut,
        deadline: Instant,
    ) -> Result<(T, u32), LlmError>
    where
        Fut: Future<Output = Result<T, LlmError>>,
    {
        if self.token_source.is_none() && self.key_required && self.keys.is_empty() {
            return Err(LlmError::new(
                ErrorKind::Auth,
                format!(
                    "no key: set {} (or {}_FILE) and restart the server",
                    self.key_env, self.key_env
                ),
            ));
        }
        let mut delays = self
            .backoff
            .with_max_times(self.max_retries as usize)
            .build();
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            let token = self.login_token().await?;
            if token.is_none() {
                self.keys.refresh().await;
            }
            let picked = self.keys.pick().filter(|_| token.is_none());
            let mut wire = build()?;
            let key = token.as_ref().or(picked.map(|(_, key)| key));
            credential::attach(&mut wire, &self.credential, key, SystemTime::now())?;
            let outcome = match self.send_once(wire, key.is_some()).await {
                Ok(response) => consume(response).await,
                Err(err) => Err(err),
            };
            let err = match outcome {
                Ok(value) => return Ok((value, attempts)),
                Err(err) => err,
            };
            // A login's token the provider refused: refresh it once and try again at once
            // (the Codex CLI's recovery on 401, codex-rs/login/src/auth/manager.rs).
            if let (ErrorKind::Auth, false, Some(source), Some(token)) =
                (err.kind, refreshed, &self.token_source, &token)
            {
                refreshed = true;
                source.rejected(token).await?;
                continue;
            }
            if !err.retryable {
                return Err(err);
            }
            let Some(backoff) = delays.next() else {
                return Err(retry::exhausted(err, attempts));
            };
            let wait = match (err.kind, picked) {
                // Another key can serve at once while this one rests.
                (ErrorKind::RateLimited, Some((index, _))) if self.keys.another_is_free(index) => {
                    self.keys
                        .rest(index, err.retry_after.unwrap_or(backoff))
                        .await;
                    Duration::ZERO
                }
                // The provider's retry-after is the wait it asked for; otherwise back off.
                _ => err.retry_after.unwrap_or(backoff),
            };
            if wait > retry::MAX_RETRY_AFTER || Instant::now() + wait >= deadline {
                return Err(retry::exhausted(err, attempts));
            }
            tracing::debug!(kind = %err.kind, ?wait, attempts, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange: the 2xx response (body unread), or the error it amounts to, with
    /// any key the provider quoted back removed from its message. `key_sent` says whether the
    /// request carries a key, so that an auth failure names the right fix.
    async fn send_once(
        &self,
        wire: WireRequest,
        key_sent: bool,
    ) -> Result<reqwest::Response, LlmError> {
        self.exchange(wire, key_sent)
            .await
            .map_err(|err| self.scrub(err))
    }

    /// The error without any configured key in its message.
    fn scrub(&self, mut err: LlmError) -> LlmError {
        err.message = self.redact(&err.message);
        err.code = err.code.map(|code| self.redact(&code));
        err
    }

    /// `text` without any key or login token in it.
    fn redact(&self, text: &str) -> String {
        let text = self.keys.redact(text);
        match &self.token_source {
            Some(source) => source.redact(&text),
            None => text,
        }
    }

    /// A body without any key or login token in it (a body that is not UTF-8 holds no text a
    /// provider quoted a key in, and is kept as it is).
    fn redact_body(&self, body: Vec<u8>) -> Vec<u8> {
        match std::str::from_utf8(&body) {
            Ok(text) => self.redact(text).into_bytes(),
            Err(_) => body,
        }
    }

    /// A completion without any key or login token in its text, its reasoning or its tool
    /// calls' arguments: a model can be made to echo the key it was called with.
    fn scrub_completion(&self, mut completion: Completion) -> Completion {
        completion.output = self.redact(&completion.output);
        completion.reasoning = completion.reasoning.map(|r| self.redact(&r));
        for call in &mut completion.tool_calls {
            let text = serde_json::Value::Object(std::mem::take(&mut call.arguments)).to_string();
            let clean = self.redact(&text);
            call.arguments = serde_json::from_str(&clean).unwrap_or_default();
        }
        completion
    }

    async fn exchange(
        &self,
        wire: WireRequest,
        key_sent: bool,
    ) -> Result<reqwest::Response, LlmError> {
        let mut builder = self
            .client
            .request(wire.method, wire.url)
            .headers(wire.headers);
        if let Some(body) = &wire.body {
            builder = builder.json(body);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|err| client::transport_error(&self.base_url, &err))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if (300..400).contains(&status) {
            return Err(client::redirect_error(status, response.headers()));
        }
        let retry_after = retry::retry_after(response.headers());
        let should_retry = retry::should_retry(response.headers());
        let body = read_body(&mut response).await?;
        // Before the provider reads it: its excerpt is cut at a length, and a key across the
        // cut would leave a piece of it that no later redaction recognises.
        let body = self.redact_body(body);
        let mut err = self.provider.parse_error(status, &body);
        // The provider's own `x-should-retry` overrules what the status suggests.
        err.retryable = should_retry.unwrap_or(err.retryable);
        // A header wins; else a wait the body asked for (Gemini's RetryInfo) counts.
        let wait = retry_after.or(err.retry_after);
        let err = err.with_status(status).with_retry_after(wait);
        Err(match err.kind {
            ErrorKind::Auth if self.token_source.is_some() => {
                let hint = self.token_source.as_ref().map(|s| s.hint()).unwrap_or_default();
                err.with_hint(hint)
            }
            ErrorKind::Auth if key_sent => {
                err.with_hint(format!("the key in {} was rejected", self.key_env))
            }
            // No key went out: the endpoint wants one, nothing was rejected.
            ErrorKind::Auth => err.with_hint(format!(
                "the endpoint asks for a key and none was sent: set {} (or {}_FILE) and restart the server",
                self.key_env, self.key_env
            )),
            _ => err,
        })
    }
}

impl<P: Provider> Backend for HttpBackend<P> {
    async fn complete(
        &self,
        request: CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, LlmError> {
        let (body, attempts) = self
            .send(
                || self.provider.completion_request(&request),
                read_whole_body,
                deadline,
            )
            .await?;
        let completion = self
            .provider
            .parse_completion(&body)
            .map_err(|err| self.scrub(err))?;
        Ok(Answer {
            completion: self.scrub_completion(completion),
            attempts,
        })
    }

    async fn complete_streaming(
        &self,
        request: CompletionRequest,
        deadline: Instant,
        deltas: mpsc::UnboundedSender<String>,
    ) -> Result<Answer, LlmError> {
        let Some(framing) = self.provider.stream_framing() else {
            return self.complete(request, deadline).await;
        };
        // Retries cover failures before the first byte; once text has gone to the client a
        // broken stream is reported, not silently restarted.
        let (response, attempts) = self
            .send(
                || self.provider.stream_request(&request),
                |response| std::future::ready(Ok(response)),
                deadline,
            )
            .await?;
        let completion = if answers_whole(&response) {
            // Some compatible servers ignore `stream: true` and answer in one JSON body.
            let body = read_body(&mut { response }).await?;
            let completion = self.provider.parse_completion(&body);
            if let Ok(done) = &completion {
                let _ = deltas.send(done.output.clone());
            }
            completion
        } else {
            read_stream(&self.provider, response, framing, &deltas)
                .await
                .and_then(|state| state.finish(&request.model))
        };
        Ok(Answer {
            completion: self.scrub_completion(completion.map_err(|err| self.scrub(err))?),
            attempts,
        })
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let (body, _) = self
            .send(|| self.provider.models_request(), read_whole_body, deadline)
            .await?;
        self.provider
            .parse_models(&body)
            .map_err(|err| self.scrub(err))
    }

    async fn probe(&self) -> Probe {
        let started = Instant::now();
        // A login is not refreshed for a probe; without one it goes out bare, and an answer
        // still proves the endpoint.
        let token = self.token_source.as_ref().and_then(|source| source.peek());
        let key = token.as_ref().or(self.keys.pick().map(|(_, k)| k));
        let built = self.provider.models_request().and_then(|mut wire| {
            credential::attach(&mut wire, &self.credential, key, SystemTime::now())?;
            Ok(wire)
        });
        let wire = match built {
            Ok(wire) => wire,
            Err(err) => {
                return Probe {
                    reachable: false,
                    latency_ms: None,
                    detail: Some(err.message),
                };
            }
        };
        let sent =
            tokio::time::timeout(Duration::from_secs(10), self.send_once(wire, key.is_some()))
                .await;
        let latency_ms = Some(started.elapsed().as_millis() as u64);
        match sent {
            Ok(Ok(_)) => Probe {
                reachable: true,
                latency_ms,
                detail: None,
            },
            // An HTTP error status still proves the endpoint answers.
            Ok(Err(err)) if err.status.is_some() => Probe {
                reachable: true,
                latency_ms,
                detail: Some(err.to_string()),
            },
            Ok(Err(err)) => Probe {
                reachable: false,
                latency_ms: None,
                detail: Some(err.to_string()),
            },
            Err(_) => Probe {
                reachable: false,
                latency_ms: None,
                detail: Some("no answer within 10 s".into()),
            },
        }
    }

    fn endpoint(&self) -> String {
        self.base_url.to_string()
    }

    fn adjust(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        self.provider.adjust(request)
    }

    fn maps_response_format(&self, request: &CompletionRequest) -> bool {
        self.provider.maps_response_format(request)
    }

    fn credential_status(&self) -> Option<CredentialStatus> {
        self.token_source.as_ref().map(|source| source.status())
    }
}
