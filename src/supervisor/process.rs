//! One child process behind its keeper: spawn it, learn when it exits and how, and end it
//! together with everything it started, even what left its process group, and even when
//! `serve` is killed.
//!
//! Each child runs under a [`super::keeper`] (the `llm-mcp` binary in its keeper mode), which
//! `serve` spawns with the child's pipes, environment and directory. The keeper starts the
//! child in a process group of its own, kills every descendant of the child when it ends,
//! when asked (SIGHUP), and when `serve` dies (its parent-death signal); it exits as the child
//! did. So here, "the keeper exited" means "nothing of the child is left", and that is when
//! [`Process::exited`] answers.
//!
//! The parent-death signal follows the thread that forked the keeper, and tokio may run a
//! task on any of its threads (and ends idle blocking threads), so every keeper is forked by
//! one [`spawner`] thread that lives as long as the process.
//!
//! Elsewhere than Linux (no subreaper, no parent-death signal) the child is spawned directly
//! as the leader of its own process group, and ending it ends that group.
//!
//! Why not rmcp's `TokioChildProcess`: it owns the child and discards the exit status, and its
//! `close()` signals only the leader. Here a watcher task owns the keeper and publishes the
//! exit status.

use std::os::unix::process::ExitStatusExt;
#[cfg(target_os = "linux")]
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

#[cfg(target_os = "linux")]
use nix::sys::signal::kill;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, watch};

use super::config::ServerSpec;
#[cfg(target_os = "linux")]
use super::{keeper, proc_tree};

/// How long the keeper may take to end the subtree after SIGHUP before its group and the
/// child's are killed outright (it takes milliseconds unless stopped or starved).
const KEEPER_GRACE: Duration = Duration::from_secs(5);

/// How long the keeper may take to start the child before its own pid is shown instead.
#[cfg(target_os = "linux")]
const START_LIMIT: Duration = Duration::from_secs(10);

/// A running child: its pid (which is also its process group id) and a handle to end it.
#[derive(Debug)]
pub struct Process {
    /// The child's pid and its group's id (the keeper's pid in the rare case that the child
    /// exited before it could be seen).
    pub pid: u32,
    requests: mpsc::UnboundedSender<Request>,
    exit: watch::Receiver<Option<String>>,
}

/// What the watcher is asked to do to the child.
#[derive(Debug, Clone, Copy)]
enum Request {
    /// SIGTERM to the child's group.
    Terminate,
    /// SIGKILL to everything the child started.
    Kill,
}

/// The pipes the MCP transport speaks over.
pub type Pipes = (ChildStdout, ChildStdin);

/// Spawns `spec` under a keeper (on Linux); its stderr goes to ours.
pub async fn spawn(spec: &ServerSpec) -> std::io::Result<(Process, Pipes)> {
    spec.locate().map_err(|missing| {
        std::io::Error::new(std::io::ErrorKind::NotFound, missing.to_string())
    })?;
    let mut keeper = spawner::spawn(spawned_command(spec)?).await?;
    let missing = || std::io::Error::other("the child's stdio pipes were not created");
    let stdout = keeper.stdout.take().ok_or_else(missing)?;
    let stdin = keeper.stdin.take().ok_or_else(missing)?;
    let keeper_pid = keeper.id().ok_or_else(missing)?;
    // Without a keeper, the spawned process is the child.
    #[cfg(not(target_os = "linux"))]
    let (pid, child) = (keeper_pid, Some(keeper_pid));
    #[cfg(target_os = "linux")]
    let child = match find_child(&mut keeper, keeper_pid).await {
        Found::Child(pid) => Some(pid),
        Found::Exited(status) if status.code() == Some(keeper::COULD_NOT_START) => {
            return Err(std::io::Error::other(
                "it could not be executed (the reason is logged above)",
            ));
        }
        Found::Exited(_) | Found::NotYet => None,
    };
    #[cfg(target_os = "linux")]
    let pid = child.unwrap_or(keeper_pid);
    let (requests, request_rx) = mpsc::unbounded_channel();
    let (exit_tx, exit) = watch::channel(None);
    let guard = KeeperGuard { keeper, child };
    tokio::spawn(watch_child(guard, request_rx, exit_tx));
    Ok((
        Process {
            pid,
            requests,
            exit,
        },
        (stdout, stdin),
    ))
}

/// The child itself, leader of its own process group (where there is no keeper).
#[cfg(not(target_os = "linux"))]
fn spawned_command(spec: &ServerSpec) -> std::io::Result<tokio::process::Command> {
    let mut command = spec.command();
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    Ok(command)
}

/// `llm-mcp __keep SERVE_PID PROGRAM ARGS...`, with the child's environment and directory.
#[cfg(target_os = "linux")]
fn spawned_command(spec: &ServerSpec) -> std::io::Result<tokio::process::Command> {
    let child = spec.command();
    let child = child.as_std();
    let mut command = tokio::process::Command::new(keeper_program()?);
    command
        .arg(keeper::MODE)
        .arg(std::process::id().to_string())
        .arg(child.get_program())
        .args(child.get_args())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // Its own group, so that a terminal's signals (Ctrl-C to serve) do not reach it.
        .process_group(0);
    for (name, value) in child.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    if let Some(dir) = child.get_current_dir() {
        command.current_dir(dir);
    }
    Ok(command)
}

/// The `llm-mcp` binary: the running one (serve), else the one beside it or on `PATH` (a
/// program embedding the supervisor).
#[cfg(target_os = "linux")]
fn keeper_program() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    if exe.file_name().is_some_and(|name| name == "llm-mcp") {
        return Ok(exe);
    }
    super::config::find_program("llm-mcp").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "llm-mcp (each child runs under it) is neither beside this program nor on PATH",
        )
    })
}

#[cfg(target_os = "linux")]
enum Found {
    Child(u32),
    Exited(ExitStatus),
    NotYet,
}

/// The keeper's child, once the keeper has started it (its first and, until the child
/// abandons one of its own, only child) and is ready: it has blocked the signals it waits
/// for, which it does just before it points its stdout at /dev/null. Before that, a SIGTERM
/// or SIGHUP from us would end the keeper alone.
#[cfg(target_os = "linux")]
async fn find_child(keeper: &mut Child, keeper_pid: u32) -> Found {
    let deadline = tokio::time::Instant::now() + START_LIMIT;
    let stdout = format!("/proc/{keeper_pid}/fd/1");
    loop {
        let ready = std::fs::read_link(&stdout).is_ok_and(|p| p.as_os_str() == "/dev/null");
        if let (true, Some(&child)) = (ready, proc_tree::children(keeper_pid).first()) {
            return Found::Child(child);
        }
        if let Ok(Some(status)) = keeper.try_wait() {
            return Found::Exited(status);
        }
        if tokio::time::Instant::now() >= deadline {
            return Found::NotYet;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The keeper and the child's pid. Dropped (a panic, an aborted task) before the keeper was
/// reaped, it asks the keeper to end everything, so nothing is left behind.
struct KeeperGuard {
    keeper: Child,
    child: Option<u32>,
}

impl KeeperGuard {
    /// Carries out `request`: through the keeper on Linux, else on the child's group.
    fn ask(&self, request: Request) {
        #[cfg(target_os = "linux")]
        self.signal(match request {
            Request::Terminate => Signal::SIGTERM,
            Request::Kill => Signal::SIGHUP,
        });
        #[cfg(not(target_os = "linux"))]
        self.signal_group(match request {
            Request::Terminate => Signal::SIGTERM,
            Request::Kill => Signal::SIGKILL,
        });
    }

    /// Signals the group the spawned process leads, while it is ours.
    #[cfg(not(target_os = "linux"))]
    fn signal_group(&self, signal: Signal) {
        if let Some(pid) = self.keeper.id()
            && let Err(err) = killpg(Pid::from_raw(pid as i32), signal)
        {
            tracing::debug!(%err, %signal, "signalling a child's process group failed");
        }
    }

    /// Signals the keeper while it is ours: tokio forgets its pid once it is reaped, so the
    /// signal never reaches a process that reused the pid.
    #[cfg(target_os = "linux")]
    fn signal(&self, signal: Signal) {
        if let Some(pid) = self.keeper.id()
            && let Err(err) = kill(Pid::from_raw(pid as i32), signal)
        {
            tracing::debug!(%err, %signal, "signalling a child's keeper failed");
        }
    }

    /// The last resort: SIGKILL to the keeper's group and to the child's.
    fn kill_groups(&self) {
        if let Some(pid) = self.keeper.id() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        self.kill_child_group();
    }

    /// What is left of the child's group when the keeper did not end it (ESRCH, the group is
    /// empty, is the normal case).
    fn kill_child_group(&self) {
        if let Some(child) = self.child {
            let _ = killpg(Pid::from_raw(child as i32), Signal::SIGKILL);
        }
    }
}

impl Drop for KeeperGuard {
    fn drop(&mut self) {
        self.ask(Request::Kill);
    }
}

async fn watch_child(
    mut guard: KeeperGuard,
    mut requests: mpsc::UnboundedReceiver<Request>,
    exit: watch::Sender<Option<String>>,
) {
    let mut overdue = None;
    let status = loop {
        let last_resort = async {
            match overdue {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = guard.keeper.wait() => break status,
            Some(request) = requests.recv() => {
                guard.ask(request);
                if let Request::Kill = request {
                    overdue.get_or_insert(tokio::time::Instant::now() + KEEPER_GRACE);
                }
            }
            () = last_resort => {
                tracing::warn!("a child's keeper did not end it within {KEEPER_GRACE:?}; killing its groups");
                guard.kill_groups();
                overdue = None;
            }
        }
    };
    // A keeper killed from outside leaves the child's group: end it before anyone hears of
    // the exit, so that "exited" always means "nothing of it is left".
    guard.kill_child_group();
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
    /// Waits for the child and everything it started to be gone, and says how it ended.
    pub async fn exited(&self) -> String {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(status) => status.clone().unwrap_or_default(),
            Err(_) => "unknown (its watcher stopped)".to_string(),
        }
    }

    /// Kills the child and everything it started at once (SIGKILL).
    pub fn kill(&self) {
        let _ = self.requests.send(Request::Kill);
    }

    /// Ends the child: waits `grace` for it to exit by itself (its stdin was closed), then
    /// SIGTERM to its group, `grace` again, then SIGKILL to all it started. Returns how the
    /// child ended.
    pub async fn terminate(&self, grace: Duration) -> String {
        for request in [Request::Terminate, Request::Kill] {
            if let Ok(status) = tokio::time::timeout(grace, self.exited()).await {
                return status;
            }
            let _ = self.requests.send(request);
        }
        self.exited().await
    }
}

/// The one thread that forks keepers (see the module doc): it lives as long as the process, so
/// a keeper's parent-death signal fires only when `serve` dies.
mod spawner {
    use std::sync::OnceLock;
    use std::sync::mpsc::{Sender, channel};

    use tokio::process::{Child, Command};
    use tokio::runtime::Handle;
    use tokio::sync::oneshot;

    struct Order {
        command: Command,
        runtime: Handle,
        reply: oneshot::Sender<std::io::Result<Child>>,
    }

    fn orders() -> std::io::Result<&'static Sender<Order>> {
        static ORDERS: OnceLock<Sender<Order>> = OnceLock::new();
        if let Some(orders) = ORDERS.get() {
            return Ok(orders);
        }
        let (tx, rx) = channel::<Order>();
        std::thread::Builder::new()
            .name("llm-mcp-spawner".to_string())
            .spawn(move || {
                // The sender lives in a static: this loop ends only with the process.
                for mut order in rx {
                    // tokio's child handling (its SIGCHLD driver) belongs to the caller's runtime.
                    let _entered = order.runtime.enter();
                    let _ = order.reply.send(order.command.spawn());
                }
            })?;
        // Two racing first calls each start a thread; the loser's ends when its sender drops.
        Ok(ORDERS.get_or_init(|| tx))
    }

    /// Spawns `command` on the spawner thread.
    pub async fn spawn(command: Command) -> std::io::Result<Child> {
        let (reply, answer) = oneshot::channel();
        let order = Order {
            command,
            runtime: Handle::current(),
            reply,
        };
        orders()?
            .send(order)
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        answer
            .await
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
    }
}
