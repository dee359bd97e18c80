//! `--task-dir` and `--task-ttl`: where tasks are kept and for how long, resolved once at
//! start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::disk::DiskStore;
use super::manager::Tasks;
use super::redis::RedisStore;
use super::store::Store;

/// The longest `--task-ttl`: a week.
const MAX_TTL_S: f64 = 7.0 * 24.0 * 3600.0;

/// The task flags every server takes.
#[derive(Debug, Clone, clap::Args)]
pub struct TaskArgs {
    /// Where tasks (calls a client runs as MCP tasks) are kept, so a finished result survives
    /// a restart. Default: llm-mcp/tasks/BINARY under the user's state directory
    /// ($XDG_STATE_HOME, else ~/.local/state; %LOCALAPPDATA% on Windows).
    #[arg(long, value_name = "DIR")]
    pub task_dir: Option<PathBuf>,
    /// How long a finished task's result is kept, in seconds from when it finished (not from
    /// when it started: a long call is never dropped for its length).
    #[arg(long, default_value_t = DEFAULT_TTL_S, value_name = "SECONDS")]
    pub task_ttl: f64,
}

/// The default `--task-ttl`: an hour.
const DEFAULT_TTL_S: f64 = 3600.0;

impl Default for TaskArgs {
    fn default() -> Self {
        Self {
            task_dir: None,
            task_ttl: DEFAULT_TTL_S,
        }
    }
}

/// The user's state directory: `$XDG_STATE_HOME`, else `$HOME/.local/state`
/// (`%LOCALAPPDATA%` on Windows); `None` when the environment names none.
pub fn state_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if cfg!(windows) {
        set("LOCALAPPDATA").map(PathBuf::from)
    } else {
        set("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|home| Path::new(&home).join(".local").join("state")))
    }
}

/// The default task directory of `binary`, when the environment names a state directory.
pub fn default_dir(binary: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    Some(state_dir(env)?.join("llm-mcp").join("tasks").join(binary))
}

impl TaskArgs {
    /// The tasks of the server `binary`: `Ok(None)` when no directory is known (no
    /// `--task-dir` and no state directory: calls then never run as tasks, and a warning
    /// says why); an error for a bad flag or a `--task-dir` that cannot be created. The
    /// default directory is created by the first task (a failure then runs that call
    /// without a task, with a warning).
    pub fn resolve(
        &self,
        binary: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Arc<Tasks>>, String> {
        let ttl = self.ttl()?;
        if let Some(dir) = &self.task_dir {
            return DiskStore::open(dir.clone())
                .map(|store| Some(Tasks::new(Store::Disk(store), ttl)))
                .map_err(|err| format!("--task-dir: {err}"));
        }
        let Some(dir) = default_dir(binary, env) else {
            tracing::warn!(
                "{binary}: no state directory (HOME is unset): calls never run as tasks; --task-dir DIR names one"
            );
            return Ok(None);
        };
        Ok(Some(Tasks::new(Store::Disk(DiskStore::lazy(dir)), ttl)))
    }

    /// The tasks of the server `binary` in Redis (`--redis`), shared by every replica of
    /// `binary` using it; `--task-dir` is refused beside it (tasks are kept in one place).
    pub fn resolve_shared(
        &self,
        binary: &str,
        redis: &crate::limits::SharedLimits,
    ) -> Result<Arc<Tasks>, String> {
        let ttl = self.ttl()?;
        if let Some(dir) = &self.task_dir {
            return Err(format!(
                "--task-dir {} and --redis: the tasks are kept in Redis; give one of them",
                dir.display()
            ));
        }
        let store = RedisStore::new(redis.connection(), binary, ttl);
        Ok(Tasks::new(Store::Redis(store), ttl))
    }

    fn ttl(&self) -> Result<Duration, String> {
        if !(self.task_ttl.is_finite() && self.task_ttl > 0.0 && self.task_ttl <= MAX_TTL_S) {
            return Err(format!(
                "--task-ttl {}: expected seconds, more than 0 and at most {MAX_TTL_S}",
                self.task_ttl
            ));
        }
        Ok(Duration::from_secs_f64(self.task_ttl))
    }
}
