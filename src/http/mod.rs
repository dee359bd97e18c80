//! The only code that talks to providers: one connection pool per server, connect timeout,
//! retries with exponential backoff and jitter that honour `retry-after`, key rotation, a bound
//! on body size, and errors that name the variable to fix but never the key.
//!
//! The whole-call timeout and cancellation are applied around these futures by the server:
//! dropping a future here drops its connection, which is how a cancelled call stops costing.
//!
//! Submodules depend only downwards (`stream` on `sse`, `ndjson` and `body`), never on this
//! file: [`body`] bounds what is read, [`stream`] reads a streamed answer by its framing.

pub mod body;
pub mod credential;
pub mod ndjson;
pub mod sse;
pub mod stream;

pub use body::MAX_BODY_BYTES;
use body::{answers_whole, read_body, read_whole_body};
use stream::read_stream;

use std::future::Future;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;
use reqwest::{Client, Url};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::{Answer, Backend, Probe};
use crate::completion::CompletionRequest;
use crate::config::ServerConfig;
use crate::error::{ErrorKind, LlmError};
use crate::keys::KeyRing;
use crate::provider::{Credential, Provider, WireRequest};

/// Waits longer than this are not worth sleeping through: the caller is better off falling back.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A wire format with the IO that sends it.
pub struct HttpBackend<P> {
    provider: P,
    credential: Credential,
    client: Client,
    keys: KeyRing,
    key_env: String,
    key_required: bool,
    base_url: Url,
    max_retries: u32,
    backoff: ExponentialBuilder,
}

impl<P: Provider> HttpBackend<P> {
    /// A backend for `provider` configured by `config`.
    pub fn new(provider: P, config: &ServerConfig) -> Result<Self, LlmError> {
        let mut builder = Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("llm-mcp/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the key's header to wherever it points; LLM APIs do not
            // redirect, so a 3xx is reported instead of followed.
            .redirect(reqwest::redirect::Policy::none());
        if config.base_url.scheme() == "http" {
            // With redirects off, nothing ever leaves for https: skip loading the system's
            // certificate store (a faster start and less memory for local servers).
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let client = builder.build().map_err(|err| {
            LlmError::new(
                ErrorKind::Internal,
                format!("cannot build the HTTP client: {err}"),
            )
        })?;
        Ok(Self {
            credential: provider.credential(),
            provider,
            client,
            keys: KeyRing::new(config.keys.clone()),
            key_env: config.key_env.clone(),
            key_required: config.profile.key_required,
            base_url: config.base_url.clone(),
            max_retries: config.max_retries,
            // The official SDKs start at 0.5 s and cap at 8 s; jitter spreads a thundering herd.
            backoff: ExponentialBuilder::new()
                .with_min_delay(Duration::from_millis(500))
                .with_max_delay(Duration::from_secs(8))
                .with_factor(2.0)
                .with_jitter(),
        })
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
        if self.key_required && self.keys.is_empty() {
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
        loop {
            attempts += 1;
            let picked = self.keys.pick();
            let mut wire = build()?;
            let key = picked.map(|(_, key)| key);
            credential::attach(&mut wire, &self.credential, key, SystemTime::now())?;
            let outcome = match self.send_once(wire, picked.is_some()).await {
                Ok(response) => consume(response).await,
                Err(err) => Err(err),
            };
            let err = match outcome {
                Ok(value) => return Ok((value, attempts)),
                Err(err) => err,
            };
            if !err.retryable {
                return Err(err);
            }
            let Some(backoff) = delays.next() else {
                return Err(exhausted(err, attempts));
            };
            let wait = match (err.kind, picked) {
                // Another key can serve at once while this one rests.
                (ErrorKind::RateLimited, Some((index, _))) if self.keys.another_is_free(index) => {
                    self.keys.rest(index, err.retry_after.unwrap_or(backoff));
                    Duration::ZERO
                }
                // The provider's retry-after is the wait it asked for; otherwise back off.
                _ => err.retry_after.unwrap_or(backoff),
            };
            if wait > MAX_RETRY_AFTER || Instant::now() + wait >= deadline {
                return Err(exhausted(err, attempts));
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
        err.message = self.keys.redact(&err.message);
        err
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
            .map_err(|err| self.transport_error(&err))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if (300..400).contains(&status) {
            return Err(redirect_error(status, response.headers()));
        }
        let retry_after = retry_after(response.headers());
        let body = read_body(&mut response).await?;
        let err = self.provider.parse_error(status, &body);
        // A header wins; else a wait the body asked for (Gemini's RetryInfo) counts.
        let wait = retry_after.or(err.retry_after);
        let mut err = err.with_status(status).with_retry_after(wait);
        if err.kind == ErrorKind::Auth && key_sent {
            err.message = format!(
                "HTTP {status}, the key in {} was rejected: {}",
                self.key_env, err.message
            );
        } else if err.kind == ErrorKind::Auth {
            // No key went out: the endpoint wants one, nothing was rejected.
            err.message = format!(
                "HTTP {status}, the endpoint asks for a key and none was sent: set {} (or {}_FILE) and restart the server: {}",
                self.key_env, self.key_env, err.message
            );
        }
        Err(err)
    }

    fn transport_error(&self, err: &reqwest::Error) -> LlmError {
        let host = self.base_url.host_str().unwrap_or("the provider");
        let port = self
            .base_url
            .port_or_known_default()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        // Errors are printed without their URL; the endpoint is named here, never a key.
        let cause = std::error::Error::source(err)
            .map(|s| s.to_string())
            .unwrap_or_else(|| err.to_string());
        if err.is_timeout() {
            LlmError::new(
                ErrorKind::Timeout,
                format!("no connection to {host}{port} within the connect timeout"),
            )
        } else if err.is_connect() {
            LlmError::new(
                ErrorKind::Unreachable,
                format!("cannot connect to {host}{port}: {cause}"),
            )
        } else {
            LlmError::new(
                ErrorKind::Unreachable,
                format!("connection to {host}{port} failed: {cause}"),
            )
        }
    }
}

/// A redirect is reported, not followed: it would carry the key's header elsewhere.
fn redirect_error(status: u16, headers: &HeaderMap) -> LlmError {
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|location| format!(" to {location}"))
        .unwrap_or_default();
    LlmError::new(
        ErrorKind::BadRequest,
        format!(
            "HTTP {status}, the endpoint redirects{target}; redirects are not followed, so that a key never travels elsewhere: point --base-url at the final address"
        ),
    )
    .with_status(status)
}

fn exhausted(mut err: LlmError, attempts: u32) -> LlmError {
    if attempts > 1 {
        err.message = format!("{} (gave up after {attempts} attempts)", err.message);
    }
    err
}

/// `retry-after-ms` (OpenAI, Anthropic) or `retry-after` in seconds (RFC 9110; the HTTP-date
/// form is not used by these APIs and is ignored).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
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
            completion,
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
            completion: completion.map_err(|err| self.scrub(err))?,
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
        let key = self.keys.pick().map(|(_, k)| k);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::openai::{OpenAi, PROFILE};
    use clap::Parser;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_milliseconds_first_then_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        let mut dated = HeaderMap::new();
        dated.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), None);
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        common: crate::config::CommonArgs,
    }

    #[tokio::test]
    async fn clients_build_for_https_and_for_plain_http_endpoints() {
        for base in ["https://api.openai.com/v1", "http://127.0.0.1:9/v1"] {
            let cli = Cli::parse_from(["x", "--base-url", base]);
            let config = cli.common.resolve(PROFILE, &|_| None).unwrap();
            let backend = HttpBackend::new(OpenAi::new(config.base_url.clone()), &config);
            assert!(backend.is_ok(), "{base}");
        }
    }

    /// Issue 12: a 401 to a request that carried no key says none was sent, not that a key
    /// was rejected; with a key it names the variable whose key was rejected.
    #[tokio::test]
    async fn a_401_names_a_rejected_key_only_when_one_was_sent() {
        use crate::config::Profile;
        use crate::test_server::{config, serve};
        let keyless = Profile {
            key_required: false,
            ..PROFILE
        };
        let body = r#"{"error": {"message": "Missing bearer authentication in header", "type": "invalid_request_error", "param": null, "code": null}}"#;
        for key in [None, Some("sk-test-key")] {
            let (base, server) = serve("401 Unauthorized", "application/json", body.into()).await;
            let config = config(keyless, &format!("{base}/v1"), key);
            let backend = HttpBackend::new(OpenAi::new(config.base_url.clone()), &config).unwrap();
            let request = crate::completion::CompletionRequest {
                model: "gpt-5.5".into(),
                system: None,
                messages: vec![crate::completion::Message::user("Hi")],
                tools: Vec::new(),
                tool_choice: None,
                sampling: Default::default(),
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            let err = backend.complete(request, deadline).await.unwrap_err();
            let head = server.await.unwrap().head.to_ascii_lowercase();
            assert_eq!(err.kind, ErrorKind::Auth);
            assert_eq!(err.status, Some(401));
            assert!(
                err.message.contains("Missing bearer authentication"),
                "{}",
                err.message
            );
            if key.is_some() {
                assert!(head.contains("authorization: bearer"));
                assert!(
                    err.message
                        .contains("the key in OPENAI_API_KEY was rejected"),
                    "{}",
                    err.message
                );
            } else {
                assert!(!head.contains("authorization"));
                assert!(!err.message.contains("rejected"), "{}", err.message);
                assert!(
                    err.message.contains("none was sent: set OPENAI_API_KEY"),
                    "{}",
                    err.message
                );
            }
        }
    }
}
