//! The task store in Redis (`--redis URL`), so every replica of a server answers for every
//! task: a task started on one is polled, fetched and cancelled through any other.
//!
//! Keys, all under `llm-mcp:task:BINARY:` and all with a TTL:
//! - `ID`: the record as JSON. A working task's key lives [`WORKING_EXPIRY`] past its last
//!   heartbeat (so a task whose process died is dropped even when nobody asks for it); a
//!   finished one lives its `--task-ttl`, counted from when it finished.
//! - `ID:cancel`: a cancellation asked for by a replica other than the runner, which looks
//!   for it on each heartbeat.
//! - `index`: a sorted set of the ids, scored by when each record's key expires, so the
//!   store is counted (and bounded) without scanning Redis.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::record::{TaskRecord, now_ms};

/// How long a working task's record outlives its last heartbeat.
const WORKING_EXPIRY: Duration = Duration::from_secs(600);

/// How long an unanswered cancellation request is kept.
const CANCEL_EXPIRY_S: u64 = 600;

/// A record larger than this is refused as corrupt, as on disk.
const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// The tasks of one server binary in Redis.
#[derive(Clone)]
pub(crate) struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisStore({})", self.prefix)
    }
}

fn failed(err: redis::RedisError) -> String {
    format!("the task store in Redis cannot be reached: {err}")
}

impl RedisStore {
    /// The tasks of `binary` over `connection`, each finished one kept `ttl`.
    pub fn new(connection: ConnectionManager, binary: &str, ttl: Duration) -> Self {
        Self {
            connection,
            prefix: format!("llm-mcp:task:{binary}:"),
            ttl,
        }
    }

    /// Where the tasks are, for messages.
    pub fn location(&self) -> String {
        format!("Redis, under {}*", self.prefix)
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    fn cancel_key(&self, id: &str) -> String {
        format!("{}{id}:cancel", self.prefix)
    }

    fn index(&self) -> String {
        format!("{}index", self.prefix)
    }

    /// How long the key of `record` lives from now: its TTL from completion, or the
    /// heartbeat allowance of a working task.
    fn expiry(&self, record: &TaskRecord, now: u64) -> u64 {
        let ms = match record.finished_ms {
            Some(finished) => {
                let end = finished.saturating_add(self.ttl.as_millis() as u64);
                end.saturating_sub(now)
            }
            None => WORKING_EXPIRY.as_millis() as u64,
        };
        ms.max(1)
    }

    /// Writes `record` whole, with its expiry, and counts it in the index.
    pub async fn put(&self, record: &TaskRecord) -> Result<(), String> {
        let json = serde_json::to_string(record).map_err(|err| err.to_string())?;
        let now = now_ms();
        let expiry = self.expiry(record, now);
        let longest = (self.ttl.max(WORKING_EXPIRY).as_millis() as u64).saturating_add(60_000);
        let mut connection = self.connection.clone();
        redis::pipe()
            .atomic()
            .pset_ex(self.key(&record.id), json, expiry)
            .ignore()
            .zadd(self.index(), &record.id, now.saturating_add(expiry))
            .ignore()
            .pexpire(self.index(), longest as i64)
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(failed)
    }

    /// The task `id`, or `None` when there is none (never stored, or expired).
    pub async fn get(&self, id: &str) -> Result<Option<TaskRecord>, String> {
        let mut connection = self.connection.clone();
        let json: Option<String> = connection.get(self.key(id)).await.map_err(failed)?;
        let Some(json) = json else { return Ok(None) };
        if json.len() > MAX_RECORD_BYTES {
            return Err(format!(
                "the task {id} in Redis is larger than {MAX_RECORD_BYTES} bytes"
            ));
        }
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|err| format!("the task {id} in Redis is not a task record: {err}"))
    }

    /// Drops the task `id` and its cancellation request.
    pub async fn remove(&self, id: &str) {
        let mut connection = self.connection.clone();
        let removed = redis::pipe()
            .del(self.key(id))
            .ignore()
            .del(self.cancel_key(id))
            .ignore()
            .zrem(self.index(), id)
            .ignore()
            .query_async::<()>(&mut connection)
            .await;
        if let Err(err) = removed {
            tracing::warn!("dropping the task {id}: {}", failed(err));
        }
    }

    /// Asks the runner of `id`, whichever replica it is, to cancel it.
    pub async fn request_cancel(&self, id: &str) -> Result<(), String> {
        let mut connection = self.connection.clone();
        connection
            .set_ex::<_, _, ()>(self.cancel_key(id), 1, CANCEL_EXPIRY_S)
            .await
            .map_err(failed)
    }

    /// Forgets a cancellation request for `id` (its task has ended).
    pub async fn clear_cancel(&self, id: &str) {
        let mut connection = self.connection.clone();
        if let Err(err) = connection.del::<_, ()>(self.cancel_key(id)).await {
            tracing::warn!("task {id}: {}", failed(err));
        }
    }

    /// Whether a cancellation of `id` was asked for; a Redis that cannot be reached is
    /// logged and counts as no request (the next heartbeat asks again).
    pub async fn cancel_requested(&self, id: &str) -> bool {
        let mut connection = self.connection.clone();
        match connection.exists(self.cancel_key(id)).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!("task {id}: looking for a cancellation: {}", failed(err));
                false
            }
        }
    }

    /// The ids of the stored tasks, those whose key has expired taken out of the index first.
    pub async fn ids(&self) -> Result<Vec<String>, String> {
        let mut connection = self.connection.clone();
        let (ids,): (Vec<String>,) = redis::pipe()
            .atomic()
            .zrembyscore(self.index(), "-inf", now_ms())
            .ignore()
            .zrange(self.index(), 0, -1)
            .query_async(&mut connection)
            .await
            .map_err(failed)?;
        Ok(ids)
    }
}
