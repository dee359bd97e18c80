//! [`RateLimiter`]: what a call waits on before it goes to the provider, and what it is
//! charged once it answers.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::bucket::Buckets;
use super::redis::SharedLimits;
use super::spec::RateSpec;
use crate::error::{ErrorKind, LlmError};

/// A rate limit in force: its buckets, and the name of the setting for messages.
#[derive(Debug)]
pub struct RateLimiter {
    spec: RateSpec,
    /// The flag or field that set it (`--rate-limit`, `rate_limit`), for the error text.
    setting: String,
    store: Store,
}

/// Where the buckets live.
#[derive(Debug)]
enum Store {
    /// In this process: seconds are counted from `origin` on tokio's clock, so tests can
    /// pause it.
    Local {
        origin: Instant,
        buckets: Mutex<Buckets>,
    },
    /// In Redis, shared with every process that names the same limit (`--redis`).
    Shared {
        redis: SharedLimits,
        name: String,
        spec: RateSpec,
    },
}

impl Store {
    fn local(spec: RateSpec) -> Self {
        Self::Local {
            origin: Instant::now(),
            buckets: Mutex::new(Buckets::new(spec, 0.0)),
        }
    }

    /// Runs `f` on the local buckets at the current time, or `op` with `arg` on the shared
    /// ones.
    async fn with<T>(
        &self,
        f: impl FnOnce(&mut Buckets, f64) -> T,
        op: &str,
        arg: f64,
        shared: impl FnOnce(f64) -> T,
    ) -> Result<T, String> {
        match self {
            Self::Local { origin, buckets } => {
                let now = origin.elapsed().as_secs_f64();
                let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
                Ok(f(&mut buckets, now))
            }
            Self::Shared { redis, name, spec } => {
                Ok(shared(redis.run(name, *spec, op, arg).await?))
            }
        }
    }

    /// The wait before this request's turn, or (`Err`) the longer wait that made it give up.
    async fn reserve(&self, max_wait: f64) -> Result<Result<f64, f64>, String> {
        let shared = |answer: f64| {
            if answer < 0.0 {
                Err(-answer)
            } else {
                Ok(answer)
            }
        };
        self.with(
            |b, now| b.reserve(now, max_wait),
            "reserve",
            max_wait,
            shared,
        )
        .await
    }

    async fn token_wait(&self) -> Result<f64, String> {
        self.with(|b, now| b.token_wait(now), "token_wait", 0.0, |w| w)
            .await
    }

    async fn charge(&self, used: u64) -> Result<(), String> {
        self.with(|b, now| b.charge(now, used), "charge", used as f64, |_| ())
            .await
    }

    fn refund(&self) {
        match self {
            Self::Local { origin, buckets } => {
                let now = origin.elapsed().as_secs_f64();
                let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
                buckets.refund(now);
            }
            // Given back from a drop: in its own task, best effort.
            Self::Shared { redis, name, spec } => {
                let (redis, name, spec) = (redis.clone(), name.clone(), *spec);
                tokio::spawn(async move {
                    if let Err(err) = redis.run(&name, spec, "refund", 0.0).await {
                        tracing::warn!("{name}: giving a rate-limit place back: {err}");
                    }
                });
            }
        }
    }
}

/// A Redis failure as the call's error: retryable, since Redis may be back in a moment. The
/// call is not let past the limit; the operator reads why on stderr too.
fn unreachable(err: String) -> LlmError {
    tracing::warn!("a call failed: {err}");
    LlmError::new(ErrorKind::Unreachable, err)
}

/// Gives a request's place back unless the request was sent.
struct Place<'a> {
    store: &'a Store,
    armed: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.store.refund();
        }
    }
}

impl RateLimiter {
    /// A limiter for `spec` in this process; `setting` names what configured it.
    pub fn local(spec: RateSpec, setting: impl Into<String>) -> Self {
        Self {
            spec,
            setting: setting.into(),
            store: Store::local(spec),
        }
    }

    /// A limiter for `spec` whose buckets are in Redis under `name`, shared by every process
    /// that uses the same Redis, name and limit; `setting` names what configured it.
    pub fn shared(
        spec: RateSpec,
        setting: impl Into<String>,
        redis: SharedLimits,
        name: impl Into<String>,
    ) -> Self {
        Self {
            spec,
            setting: setting.into(),
            store: Store::Shared {
                redis,
                name: name.into(),
                spec,
            },
        }
    }

    /// The limit.
    pub fn spec(&self) -> RateSpec {
        self.spec
    }

    /// Waits until one more request may go, at most until `deadline`; fails at once with
    /// `[rate_limited]` and the wait as retry-after when the request's turn comes after that.
    /// Dropping the future while it waits gives the place back.
    pub async fn admit(&self, deadline: Instant) -> Result<(), LlmError> {
        let left = || deadline.saturating_duration_since(Instant::now());
        let wait = self
            .store
            .reserve(left().as_secs_f64())
            .await
            .map_err(unreachable)?
            .map_err(|wait| self.over(wait, left()))?;
        let mut place = Place {
            store: &self.store,
            armed: true,
        };
        tokio::time::sleep(seconds(wait)).await;
        // Calls that answered meanwhile may have put the token bucket (back) in debt.
        loop {
            let wait = self.store.token_wait().await.map_err(unreachable)?;
            if wait <= 0.0 {
                break;
            }
            if seconds(wait) > left() {
                return Err(self.over(wait, left()));
            }
            tokio::time::sleep(seconds(wait)).await;
        }
        place.armed = false;
        Ok(())
    }

    /// Charges the tokens a call used (input and output, as its answer reports).
    pub async fn charge(&self, used: u64) {
        if let Err(err) = self.store.charge(used).await {
            tracing::warn!("charging {used} tokens to the rate limit: {err}");
        }
    }

    fn over(&self, wait: f64, left: Duration) -> LlmError {
        let wait = seconds(wait);
        LlmError::new(
            ErrorKind::RateLimited,
            format!(
                "over the {} of {}: the next call may go in {:.1} s, after this call's deadline (in {:.1} s)",
                self.setting,
                self.spec,
                wait.as_secs_f64(),
                left.as_secs_f64()
            ),
        )
        .with_hint("retry after the wait, or give the call a longer timeout_s to wait in line")
        .with_retry_after(Some(wait))
    }
}

/// Seconds as a duration, rounded up to the millisecond so a wait never ends early.
fn seconds(value: f64) -> Duration {
    Duration::from_millis((value.max(0.0) * 1000.0).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, tokens: Option<u64>) -> RateLimiter {
        let spec = RateSpec {
            requests_per_minute: requests,
            tokens_per_minute: tokens,
        };
        RateLimiter::local(spec, "--rate-limit")
    }

    fn later(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    #[tokio::test(start_paused = true)]
    async fn over_the_limit_a_call_waits_its_turn_within_its_deadline() {
        let limiter = limiter(2, None);
        let started = Instant::now();
        limiter.admit(later(60)).await.unwrap();
        limiter.admit(later(60)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        limiter.admit(later(60)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_after_the_deadline_fails_at_once_with_a_retry_after() {
        let limiter = limiter(2, None);
        limiter.admit(later(60)).await.unwrap();
        limiter.admit(later(60)).await.unwrap();
        let started = Instant::now();
        let err = limiter.admit(later(10)).await.unwrap_err();
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(30)));
        assert!(
            err.message.starts_with(
                "over the --rate-limit of 2 requests per minute: the next call may go in 30.0 s"
            ),
            "{}",
            err.message
        );
        // Nothing was taken: a call that may wait gets the next turn, 30 s on.
        limiter.admit(later(60)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_given_up_while_waiting_gives_its_place_back() {
        let limiter = limiter(2, None);
        limiter.admit(later(60)).await.unwrap();
        limiter.admit(later(60)).await.unwrap();
        // Cancelled 5 s into its 30 s wait.
        let cancelled =
            tokio::time::timeout(Duration::from_secs(5), limiter.admit(later(60))).await;
        assert!(cancelled.is_err());
        // The next call waits the 25 s left of that turn, not 55 s behind it.
        let started = Instant::now();
        limiter.admit(later(60)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(25));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_used_hold_later_calls_until_the_debt_is_paid() {
        let limiter = limiter(100, Some(600));
        limiter.admit(later(60)).await.unwrap();
        limiter.charge(900).await;
        // 300 tokens in debt at 10 a second: 30.1 s until a token is there.
        let err = limiter.admit(later(10)).await.unwrap_err();
        assert_eq!(err.retry_after, Some(Duration::from_millis(30_100)));
        let started = Instant::now();
        limiter.admit(later(60)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(30_100));
    }

    #[tokio::test(start_paused = true)]
    async fn debt_run_up_while_a_call_waits_holds_it_longer() {
        let limiter = std::sync::Arc::new(limiter(1, Some(600)));
        limiter.admit(later(60)).await.unwrap();
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                let started = Instant::now();
                limiter.admit(later(120)).await.map(|()| started.elapsed())
            }
        });
        tokio::task::yield_now().await;
        // The first call answers having used 1200 tokens: 60.1 s of debt from now.
        limiter.charge(1200).await;
        let waited = waiting.await.unwrap().unwrap();
        assert_eq!(waited, Duration::from_millis(60_100));
    }
}
