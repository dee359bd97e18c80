//! Usage totals in Redis (`--redis URL`): every replica of the same `--name` adds its calls,
//! errors, tokens and cost to one hash (`llm-mcp:usage:NAME`), and `status` reports that
//! hash, so the replicas report one total. The hash is dropped after 30 days without a call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redis::aio::ConnectionManager;

/// The hash is dropped after this long without a call.
const IDLE_EXPIRY_S: i64 = 30 * 24 * 3600;

/// One call's contribution, or the totals: calls, errors, tokens, cost in micro-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub calls: u64,
    pub errors: u64,
    pub tokens: u64,
    pub cost_micro_usd: u64,
}

/// The shared totals of one server name.
#[derive(Clone)]
pub(crate) struct SharedTotals {
    connection: ConnectionManager,
    key: String,
    /// Whether the last write failed: logged once per outage.
    failing: Arc<AtomicBool>,
}

const FIELDS: [&str; 4] = ["calls", "errors", "tokens", "cost_micro_usd"];

impl SharedTotals {
    /// The totals of every server called `name` in the Redis of `redis`.
    pub fn new(redis: &crate::limits::SharedLimits, name: &str) -> Self {
        Self {
            connection: redis.connection(),
            key: format!("llm-mcp:usage:{name}"),
            failing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Adds one call's `usage`, in a task of its own so the call does not wait for Redis; a
    /// failure is logged (once until Redis answers again) and that call is counted here only.
    pub fn add(&self, usage: Usage) {
        let this = self.clone();
        tokio::spawn(async move {
            let values = [
                usage.calls,
                usage.errors,
                usage.tokens,
                usage.cost_micro_usd,
            ];
            let mut pipe = redis::pipe();
            pipe.atomic();
            for (field, value) in FIELDS.iter().zip(values) {
                // Redis counts in i64: a value beyond it is capped, never wrapped.
                pipe.hincr(&this.key, *field, value.min(i64::MAX as u64))
                    .ignore();
            }
            pipe.expire(&this.key, IDLE_EXPIRY_S).ignore();
            let mut connection = this.connection.clone();
            match pipe.query_async::<()>(&mut connection).await {
                Ok(()) => {
                    if this.failing.swap(false, Ordering::Relaxed) {
                        tracing::warn!("usage totals are shared through Redis again");
                    }
                }
                Err(err) => {
                    if !this.failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "usage totals cannot be shared, Redis cannot be reached ({err}): \
                             calls made meanwhile count only in this process's totals"
                        );
                    }
                }
            }
        });
    }

    /// The totals of every replica.
    pub async fn read(&self) -> Result<Usage, String> {
        let mut connection = self.connection.clone();
        let values: Vec<Option<u64>> = redis::cmd("HMGET")
            .arg(&self.key)
            .arg(&FIELDS[..])
            .query_async(&mut connection)
            .await
            .map_err(|err| format!("the shared totals in Redis cannot be reached: {err}"))?;
        let value = |i: usize| values.get(i).copied().flatten().unwrap_or(0);
        Ok(Usage {
            calls: value(0),
            errors: value(1),
            tokens: value(2),
            cost_micro_usd: value(3),
        })
    }
}
