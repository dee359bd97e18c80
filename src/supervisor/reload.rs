//! Reload: on SIGHUP, or when the config file's modification time or size changes (polled
//! every second, so no file-watching dependency and no missed events on editors that replace
//! the file), the file is read again and only the children whose entry changed are touched.
//! A file that does not parse is reported on stderr and the running configuration stays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::config::{ServerSpec, SupervisorConfig};
use super::hub::Hub;

/// How often the file is checked.
pub const POLL: Duration = Duration::from_secs(1);

/// What a new configuration changes among the children.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Entries that are new.
    pub start: Vec<String>,
    /// Entries that are gone.
    pub stop: Vec<String>,
    /// Entries whose command, arguments or environment changed.
    pub restart: Vec<String>,
}

/// Compares the children of two configurations by name.
pub fn diff(old: &[ServerSpec], new: &[ServerSpec]) -> Changes {
    let find = |list: &[ServerSpec], name: &str| list.iter().find(|s| s.name == name).cloned();
    let mut changes = Changes::default();
    for spec in new {
        match find(old, &spec.name) {
            None => changes.start.push(spec.name.clone()),
            Some(before) if &before != spec => changes.restart.push(spec.name.clone()),
            Some(_) => {}
        }
    }
    changes.stop = old
        .iter()
        .filter(|s| find(new, &s.name).is_none())
        .map(|s| s.name.clone())
        .collect();
    changes
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Watches `path` and SIGHUP until the task is aborted.
pub async fn watch(hub: Arc<Hub>, path: PathBuf) {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|err| tracing::warn!(%err, "SIGHUP will not reload: no signal handler"))
        .ok();
    let mut seen = stamp(&path);
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => None } } => {}
            _ = tick.tick() => {
                let now = stamp(&path);
                if now == seen {
                    continue;
                }
                seen = now;
            }
        }
        reload(&hub, &path).await;
    }
}

/// Reads `path` again and applies it.
pub async fn reload(hub: &Hub, path: &Path) {
    let config = match SupervisorConfig::load(path, &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("reload: {err}; keeping the running configuration");
            return;
        }
    };
    let changes = diff(&hub.config().servers, &config.servers);
    tracing::warn!(
        start = ?changes.start,
        stop = ?changes.stop,
        restart = ?changes.restart,
        "reloading {}",
        path.display()
    );
    hub.apply(config).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(text: &str) -> Vec<ServerSpec> {
        SupervisorConfig::parse(text, &|_| None).unwrap().servers
    }

    #[test]
    fn only_changed_entries_are_touched() {
        let old = specs(
            r#"{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}, "c": {"command": "z"}}}"#,
        );
        let new = specs(
            r#"{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y", "args": ["-v"]}, "d": {"command": "w"}}}"#,
        );
        let changes = diff(&old, &new);
        assert_eq!(
            changes,
            Changes {
                start: vec!["d".into()],
                stop: vec!["c".into()],
                restart: vec!["b".into()],
            }
        );
        assert_eq!(diff(&new, &new), Changes::default());
    }
}
