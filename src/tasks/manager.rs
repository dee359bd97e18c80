//! [`Tasks`]: running a tool call as a task, answering `tasks/get` and `tasks/cancel` from the
//! store, and dropping finished tasks once their retention has passed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResponse, CreateTaskResult, GetTaskResult, JsonObject, TaskStatus};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tokio_util::sync::CancellationToken;

use super::disk::valid_id;
use super::record::{TaskRecord, now_ms};
use super::store::Store;

/// How often a running task's record is refreshed, and a cancellation asked for by another
/// process looked for.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// A working task not refreshed for this long lost its process (a restart, a crash): it is
/// reported failed.
const STALE: Duration = Duration::from_secs(15);

/// The poll interval suggested to clients.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Tasks kept at most; when full, expired ones are dropped first, then the oldest finished
/// ones; when every one is still running, a new call runs without a task.
pub(crate) const MAX_TASKS: usize = 1000;

/// How often the store is swept for expired tasks.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The tasks of one server (shared by all its sessions).
pub struct Tasks {
    store: Store,
    ttl: Duration,
    /// The tasks this process runs, with the tokens that cancel them.
    running: Mutex<HashMap<String, CancellationToken>>,
    last_sweep: Mutex<Option<Instant>>,
}

/// Whether the client of this request declared the tasks extension (on `initialize`, or in
/// the request's own `_meta` in the stateless lifecycle).
pub fn wanted(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .is_some_and(|caps| caps.supports_tasks())
}

fn unknown(id: &str) -> ErrorData {
    ErrorData::invalid_params(
        format!("unknown task {id:?}: never created here, or its result expired"),
        None,
    )
}

fn object<T: serde::Serialize>(value: &T) -> JsonObject {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => JsonObject::new(),
    }
}

fn new_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Tasks {
    /// Tasks kept in `store`, each result for `ttl` after its task finished.
    pub(crate) fn new(store: Store, ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            store,
            ttl,
            running: Mutex::new(HashMap::new()),
            last_sweep: Mutex::new(None),
        })
    }

    /// Where the tasks are kept.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Runs `op` (a tool call) as a task and answers with the task at once; `op` gets a
    /// context of its own, cancelled by `tasks/cancel` rather than by the request (which ends
    /// now), and without the request's progress token. When no task can be stored (the store
    /// fails, or holds `MAX_TASKS` running tasks), `op` runs as a plain call instead.
    pub async fn run<F, Fut>(
        self: &Arc<Self>,
        context: RequestContext<RoleServer>,
        op: F,
    ) -> Result<CallToolResponse, ErrorData>
    where
        F: FnOnce(RequestContext<RoleServer>) -> Fut,
        Fut: Future<Output = Result<CallToolResponse, ErrorData>> + Send + 'static,
    {
        let record = match self.create().await {
            Ok(record) => record,
            Err(reason) => {
                tracing::warn!("running a call without a task: {reason}");
                return op(context).await;
            }
        };
        let token = CancellationToken::new();
        let mut detached = context.clone();
        detached.ct = token.clone();
        detached.meta.remove("progressToken");
        let work = op(detached);
        let seed = record.detailed(self.ttl, POLL_INTERVAL).task;
        self.running
            .lock()
            .expect("the task map is never poisoned")
            .insert(record.id.clone(), token.clone());
        let tasks = self.clone();
        tokio::spawn(async move { tasks.drive(record, token, work).await });
        Ok(CallToolResponse::Task(CreateTaskResult::new(seed)))
    }

    /// Stores a new working task, making room first when the store is full.
    async fn create(&self) -> Result<TaskRecord, String> {
        self.sweep(false).await;
        if self.store.ids().await?.len() >= MAX_TASKS {
            self.sweep(true).await;
            if self.store.ids().await?.len() >= MAX_TASKS {
                return Err(format!("{MAX_TASKS} tasks are running"));
            }
        }
        let id = new_id().ok_or("no random numbers for a task id")?;
        let record = TaskRecord::working(id);
        self.store.put(&record).await?;
        Ok(record)
    }

    /// Runs `work` to its end (or its cancellation), refreshing the record meanwhile, then
    /// stores the outcome.
    async fn drive(
        self: Arc<Self>,
        mut record: TaskRecord,
        token: CancellationToken,
        work: impl Future<Output = Result<CallToolResponse, ErrorData>>,
    ) {
        tokio::pin!(work);
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await;
        let outcome = loop {
            tokio::select! {
                outcome = &mut work => break Some(outcome),
                // Dropping the call abandons its provider request, as a cancelled call does.
                _ = token.cancelled() => break None,
                _ = beat.tick() => {
                    if self.store.cancel_requested(&record.id).await {
                        token.cancel();
                        continue;
                    }
                    record.touch();
                    if let Err(err) = self.store.put(&record).await {
                        tracing::warn!("task {}: {err}", record.id);
                    }
                }
            }
        };
        // A call that saw the cancellation first answers with a `[cancelled]` tool error; the
        // task was cancelled all the same.
        let outcome = outcome.filter(|_| !token.is_cancelled());
        match outcome {
            None => record.finish(TaskStatus::Cancelled, None, None),
            Some(Ok(CallToolResponse::Complete(result))) => {
                record.finish(TaskStatus::Completed, Some(object(&result)), None)
            }
            Some(Ok(_)) => {
                let error = ErrorData::internal_error("the call asked for input", None);
                record.finish(TaskStatus::Failed, None, Some(object(&error)))
            }
            Some(Err(error)) => record.finish(TaskStatus::Failed, None, Some(object(&error))),
        }
        if let Err(err) = self.store.put(&record).await {
            tracing::error!("task {}: its result is lost: {err}", record.id);
        }
        self.running
            .lock()
            .expect("the task map is never poisoned")
            .remove(&record.id);
        self.store.clear_cancel(&record.id).await;
    }

    fn runs_here(&self, id: &str) -> bool {
        self.running
            .lock()
            .expect("the task map is never poisoned")
            .contains_key(id)
    }

    /// The task `id` as it is now (`tasks/get`).
    pub async fn get(&self, id: &str) -> Result<GetTaskResult, ErrorData> {
        self.sweep(false).await;
        let mut record = self.load(id).await?;
        if !self.runs_here(id) && record.abandoned(now_ms(), STALE) {
            let error = ErrorData::internal_error(
                "the server running this task stopped before it finished (restarted or crashed); call again",
                None,
            );
            record.finish(TaskStatus::Failed, None, Some(object(&error)));
            self.store
                .put(&record)
                .await
                .map_err(|err| ErrorData::internal_error(err, None))?;
        }
        Ok(GetTaskResult::new(record.detailed(self.ttl, POLL_INTERVAL)))
    }

    /// Asks the task `id` to stop (`tasks/cancel`); a finished task is left as it is.
    pub async fn cancel(&self, id: &str) -> Result<(), ErrorData> {
        let record = self.load(id).await?;
        if record.finished_ms.is_some() {
            return Ok(());
        }
        let local = (self.running.lock().expect("the task map is never poisoned"))
            .get(id)
            .cloned();
        match local {
            Some(token) => token.cancel(),
            None => self
                .store
                .request_cancel(id)
                .await
                .map_err(|err| ErrorData::internal_error(err, None))?,
        }
        Ok(())
    }

    /// The stored task `id`, unless it is unknown or expired.
    async fn load(&self, id: &str) -> Result<TaskRecord, ErrorData> {
        if !valid_id(id) {
            return Err(unknown(id));
        }
        let record = (self.store.get(id).await)
            .map_err(|err| ErrorData::internal_error(err, None))?
            .ok_or_else(|| unknown(id))?;
        if record.expired(now_ms(), self.ttl) {
            self.store.remove(id).await;
            return Err(unknown(id));
        }
        Ok(record)
    }

    /// Drops expired tasks, at most once a [`SWEEP_EVERY`] unless `full`; with `full` (the
    /// store is full), also the oldest finished tasks down to three quarters of
    /// [`MAX_TASKS`].
    async fn sweep(&self, full: bool) {
        {
            let mut last = self.last_sweep.lock().expect("never poisoned");
            if !full && last.is_some_and(|at| at.elapsed() < SWEEP_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        // Redis drops expired keys itself; only a full store needs sweeping there.
        let shared = matches!(self.store, Store::Redis(_));
        if shared && !full {
            return;
        }
        let ids = match self.store.ids().await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!("sweeping the tasks: {err}");
                return;
            }
        };
        let now = now_ms();
        let mut finished = Vec::new();
        let mut kept: usize = 0;
        for id in ids {
            match self.store.get(&id).await {
                Ok(Some(record)) if record.expired(now, self.ttl) => self.store.remove(&id).await,
                Ok(Some(record)) => {
                    kept += 1;
                    if let Some(at) = record.finished_ms {
                        finished.push((at, id));
                    }
                }
                // Redis out of reach: the task is there, only not readable now.
                Err(_) if shared => kept += 1,
                // Gone, or unreadable: not ours to keep.
                Ok(None) | Err(_) => self.store.remove(&id).await,
            }
        }
        if full {
            finished.sort();
            let excess = kept.saturating_sub(MAX_TASKS * 3 / 4);
            for (_, id) in finished.into_iter().take(excess) {
                self.store.remove(&id).await;
            }
        }
    }
}
