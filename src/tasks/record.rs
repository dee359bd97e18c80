//! One task as the store keeps it, and as `tasks/get` shows it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmcp::model::{DetailedTask, JsonObject, Task, TaskPayload, TaskStatus};
use serde::{Deserialize, Serialize};

/// A task: its state, its timestamps, and its outcome once it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TaskRecord {
    /// 32 lowercase hex digits (128 random bits): unguessable, and safe as a file name.
    pub id: String,
    pub status: TaskStatus,
    /// ISO 8601, as the wire shows it.
    pub created_at: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// ISO 8601 of the last change or heartbeat.
    pub updated_at: String,
    /// Milliseconds since the Unix epoch of the last change or heartbeat: a working task
    /// whose runner stopped updating it was lost with its process.
    pub updated_ms: u64,
    /// When the task reached its terminal status; its retention counts from here.
    #[serde(default)]
    pub finished_ms: Option<u64>,
    #[serde(default)]
    pub status_message: Option<String>,
    /// The `CallToolResult` of a completed task.
    #[serde(default)]
    pub result: Option<JsonObject>,
    /// The JSON-RPC error of a failed task.
    #[serde(default)]
    pub error: Option<JsonObject>,
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().min(u128::from(u64::MAX)) as u64
}

impl TaskRecord {
    /// A task that starts working now.
    pub fn working(id: String) -> Self {
        let now = rmcp::task_manager::current_timestamp();
        let ms = now_ms();
        Self {
            id,
            status: TaskStatus::Working,
            created_at: now.clone(),
            created_ms: ms,
            updated_at: now,
            updated_ms: ms,
            finished_ms: None,
            status_message: None,
            result: None,
            error: None,
        }
    }

    /// Marks the record updated now (a heartbeat, or a change).
    pub fn touch(&mut self) {
        self.updated_at = rmcp::task_manager::current_timestamp();
        self.updated_ms = now_ms();
    }

    /// Ends the task with `status` and its payload, now.
    pub fn finish(
        &mut self,
        status: TaskStatus,
        result: Option<JsonObject>,
        error: Option<JsonObject>,
    ) {
        self.touch();
        self.status = status;
        self.finished_ms = Some(self.updated_ms);
        self.result = result;
        self.error = error;
    }

    /// Whether the task has finished and its retention (`ttl` from then) has passed.
    pub fn expired(&self, now_ms: u64, ttl: Duration) -> bool {
        self.finished_ms
            .is_some_and(|finished| now_ms >= finished.saturating_add(millis(ttl)))
    }

    /// Whether the task still says `working` although nobody has updated it for `stale`.
    pub fn abandoned(&self, now_ms: u64, stale: Duration) -> bool {
        self.finished_ms.is_none() && now_ms.saturating_sub(self.updated_ms) > millis(stale)
    }

    /// The task as `tasks/get` shows it. `ttlMs` counts from creation on the wire, so a
    /// working task says `null` (kept as long as it runs) and a finished one says how long
    /// after its creation it will be dropped: its run plus `ttl`.
    pub fn detailed(&self, ttl: Duration, poll_interval: Duration) -> DetailedTask {
        let mut task = Task::new(
            self.id.clone(),
            self.status,
            self.created_at.clone(),
            self.updated_at.clone(),
        );
        task.ttl_ms = self
            .finished_ms
            .map(|finished| finished.saturating_sub(self.created_ms) + millis(ttl));
        task.poll_interval_ms = Some(millis(poll_interval));
        task.status_message = self.status_message.clone();
        let payload = match self.status {
            TaskStatus::Completed => TaskPayload::Completed {
                result: self.result.clone().unwrap_or_default(),
            },
            TaskStatus::Failed => TaskPayload::Failed {
                error: self.error.clone().unwrap_or_default(),
            },
            TaskStatus::Cancelled => TaskPayload::Cancelled,
            _ => TaskPayload::Working,
        };
        DetailedTask::new(task, payload)
    }
}
