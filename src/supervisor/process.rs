//! One child process in its own process group: spawn it, learn when it exits and how, and
//! end it together with everything it started.
//!
//! Why not rmcp's `TokioChildProcess`: it owns the child and discards the exit status, and its
//! `close()` signals only the leader. Here a watcher task owns the child (wrapped by
//! process-wrap's `ProcessGroup`, so every signal goes to the whole group), publishes the exit
//! status, and kills the group as soon as the leader is gone: a grandchild that inherited the
//! stdout pipe would otherwise keep it open and hide the exit from the MCP transport.

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use process_wrap::tokio::{ChildWrapper, CommandWrap, ProcessGroup};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::{mpsc, watch};

use super::config::ServerSpec;

/// SIGTERM and SIGKILL have these numbers on every Unix.
const SIGTERM: i32 = 15;
const SIGKILL: i32 = 9;

/// A running child: its pid (which is also its process group id) and a handle to end it.
#[derive(Debug)]
pub struct Process {
    /// The leader's pid and the group's id.
    pub pid: u32,
    signals: mpsc::UnboundedSender<i32>,
    exit: watch::Receiver<Option<String>>,
}

/// The pipes the MCP transport speaks over.
pub type Pipes = (ChildStdout, ChildStdin);

/// Spawns `spec` as the leader of a new process group; its stderr goes to ours.
pub fn spawn(spec: &ServerSpec) -> std::io::Result<(Process, Pipes)> {
    let mut command = CommandWrap::from(spec.command());
    command
        .command_mut()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command.wrap(ProcessGroup::leader());
    let mut child = command.spawn()?;
    let missing = || std::io::Error::other("the child's stdio pipes were not created");
    let stdout = child.inner_mut().stdout().take().ok_or_else(missing)?;
    let stdin = child.inner_mut().stdin().take().ok_or_else(missing)?;
    let pid = child.id().ok_or_else(missing)?;
    let (signals, signal_rx) = mpsc::unbounded_channel();
    let (exit_tx, exit) = watch::channel(None);
    tokio::spawn(watch_child(GroupGuard(child), signal_rx, exit_tx));
    Ok((Process { pid, signals, exit }, (stdout, stdin)))
}

/// Kills the whole group when dropped, so that even a panic or an aborted task leaves no
/// process behind.
struct GroupGuard(Box<dyn ChildWrapper>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        // ESRCH (the group is already empty) is the normal case.
        let _ = self.0.signal(SIGKILL);
    }
}

async fn watch_child(
    mut child: GroupGuard,
    mut signals: mpsc::UnboundedReceiver<i32>,
    exit: watch::Sender<Option<String>>,
) {
    let status = loop {
        tokio::select! {
            status = child.0.wait() => break status,
            Some(signal) = signals.recv() => {
                if let Err(err) = child.0.signal(signal) {
                    tracing::debug!(%err, signal, "signalling a child's process group failed");
                }
            }
        }
    };
    // The leader is gone: end the rest of its group before anyone hears of the exit, so that
    // "exited" always means "nothing of it is left".
    let _ = child.0.signal(SIGKILL);
    let _ = exit.send(Some(match status {
        Ok(status) => describe(status),
        Err(err) => format!("unknown ({err})"),
    }));
}

/// `exit code 3`, `killed by signal 9`.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

impl Process {
    /// Waits for the leader to exit and says how it ended.
    pub async fn exited(&self) -> String {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(status) => status.clone().unwrap_or_default(),
            Err(_) => "unknown (its watcher stopped)".to_string(),
        }
    }

    /// Kills the whole group at once (SIGKILL).
    pub fn kill(&self) {
        let _ = self.signals.send(SIGKILL);
    }

    /// Ends the group: waits `grace` for the leader to exit by itself (its stdin was closed),
    /// then SIGTERM, `grace` again, then SIGKILL. Returns how the leader ended.
    pub async fn terminate(&self, grace: Duration) -> String {
        for signal in [SIGTERM, SIGKILL] {
            if let Ok(status) = tokio::time::timeout(grace, self.exited()).await {
                return status;
            }
            let _ = self.signals.send(signal);
        }
        self.exited().await
    }
}
