//! Long calls as MCP tasks (the `io.modelcontextprotocol/tasks` extension, SEP-2663): when a
//! client declares the extension, `complete` and `chat` (backends) and `complete` and
//! `compare` (the supervisor) answer at once with a task; the client polls `tasks/get`,
//! may `tasks/cancel`, and reads the result from the finished task.
//!
//! - [`args`]: `--task-dir` and `--task-ttl`, resolved once at start.
//! - `record`: one task as it is stored, and as `tasks/get` shows it.
//! - `store`: where tasks are kept: on disk, or in Redis.
//! - `disk`: the store on disk, one file per task in a directory, written atomically.
//! - `redis`: the store in Redis (`--redis`), shared by replicas.
//! - `manager`: [`Tasks`]: running a call as a task, polling, cancelling, retention.
//! - [`handler`]: the `tasks/*` methods and the task decision, for a `ServerHandler`.
//!
//! rmcp's own `TaskManager` is not used: it keeps tasks in memory only and fails a task that
//! is still running five minutes after it was created. Here a task runs as long as the call
//! it wraps (the call's own timeout bounds it), its result is kept for `--task-ttl` counted
//! from when it finished, and a finished task survives a restart of the process (or, in
//! Redis, is answered by any replica).

pub mod args;
mod disk;
pub mod handler;
mod manager;
mod record;
mod redis;
mod store;

pub use args::TaskArgs;
pub use manager::{Tasks, wanted};

#[cfg(test)]
mod tests;
