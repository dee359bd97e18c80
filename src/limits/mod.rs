//! Rate limits: `--rate-limit RPM[,TPM]` on a backend and `rate_limit` on a supervisor child,
//! requests and tokens per minute as token buckets.
//!
//! - [`spec`]: the `RPM[,TPM]` text and what it means.
//! - [`bucket`]: the buckets' arithmetic, pure, on seconds.
//! - [`limiter`]: [`RateLimiter`], what a call waits on before it is sent and what it is
//!   charged after it answers.
//! - [`registry`]: the supervisor's limiters, one per child.
//! - [`redis`]: the buckets in Redis (`--redis URL`), shared by replicas.
//!
//! A call over the limit waits its turn up to its deadline; when its turn comes later than
//! that it fails at once `[rate_limited]` with the wait as its retry-after, rather than
//! holding a slot it cannot use. Tokens are known only when a call answers, so a call is
//! charged its actual usage then, and the next call waits while the token bucket is in debt.

pub mod bucket;
pub mod limiter;
pub mod redis;
pub mod registry;
pub mod spec;

pub use limiter::RateLimiter;
pub use redis::SharedLimits;
pub use registry::Registry;
pub use spec::RateSpec;
