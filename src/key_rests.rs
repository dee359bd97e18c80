//! Key rest periods in Redis (`--redis URL`): a key one replica saw rate limited rests on
//! every replica of the same `--name`, so none of them sends it to the provider again before
//! its retry-after has passed.
//!
//! Each rest is one key, `llm-mcp:keyrest:NAME:COUNT:INDEX` (the key's place in a ring of
//! COUNT keys, never the key itself), living as long as the rest (`PX`). A ring reads the
//! rests of all its keys (one pipelined round trip) before it picks one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::ConnectionManager;

/// The rests of one ring's keys in Redis.
pub struct SharedRests {
    connection: ConnectionManager,
    prefix: String,
    /// Whether the last exchange failed: the warning is logged once per outage, not per call.
    failing: AtomicBool,
}

impl std::fmt::Debug for SharedRests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedRests({})", self.prefix)
    }
}

impl SharedRests {
    /// The rests of the `count` keys of the server `name`, in the Redis of `redis`.
    pub fn new(redis: &crate::limits::SharedLimits, name: &str, count: usize) -> Self {
        Self {
            connection: redis.connection(),
            prefix: format!("llm-mcp:keyrest:{name}:{count}:"),
            failing: AtomicBool::new(false),
        }
    }

    fn outcome<T>(&self, result: redis::RedisResult<T>) -> Option<T> {
        match result {
            Ok(value) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::warn!("key rest periods are shared through Redis again");
                }
                Some(value)
            }
            Err(err) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "key rest periods cannot be shared, Redis cannot be reached ({err}): \
                         this process counts only the rests it saw itself until it is back"
                    );
                }
                None
            }
        }
    }

    /// The rest left of each of the `count` keys (`None` for one not resting); `None` when
    /// Redis cannot be reached (logged).
    pub async fn load(&self, count: usize) -> Option<Vec<Option<Duration>>> {
        let mut pipe = redis::pipe();
        for index in 0..count {
            pipe.pttl(format!("{}{index}", self.prefix));
        }
        let mut connection = self.connection.clone();
        let left: Vec<i64> = self.outcome(pipe.query_async(&mut connection).await)?;
        Some(
            (left.into_iter())
                .map(|ms| u64::try_from(ms).ok().filter(|ms| *ms > 0))
                .map(|ms| ms.map(Duration::from_millis))
                .collect(),
        )
    }

    /// Rests the key `index` for `delay` on every replica (logged when Redis cannot be
    /// reached).
    pub async fn rest(&self, index: usize, delay: Duration) {
        let ms = (delay.as_millis().min(u128::from(u64::MAX)) as u64).max(1);
        let mut connection = self.connection.clone();
        let set = redis::cmd("SET")
            .arg(format!("{}{index}", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(ms)
            .query_async::<()>(&mut connection)
            .await;
        self.outcome(set);
    }
}
