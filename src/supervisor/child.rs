//! One supervised child: a task that starts it, watches it (exit, closed pipes, unanswered
//! pings, a changed tool list), restarts it with backoff, and parks it in `crash_loop` when it
//! keeps crashing.
//!
//! Its state is published through a `watch` channel, so routing reads the live connection
//! without locks held across awaits, and `restart` can wait for the child to be ready again.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::Tool;
use rmcp::{Peer, RoleClient};
use serde::Serialize;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use super::child_client::{
    ChildClient, Connected, HubLink, ProgressRoutes, connect, list_tools, ping_until_failure,
};
use super::config::{ServerSpec, SupervisorConfig};
use super::process::{self, Process};
use crate::stdio::bypass::Bypass;

/// Where a child is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Spawned, not yet initialized.
    Starting,
    /// Initialized; its tools are listed.
    Ready,
    /// Crashed; waiting out the backoff delay.
    Restarting,
    /// Crashed too often; waits for `restart`.
    CrashLoop,
    /// Stopped by shutdown or reload.
    Stopped,
}

/// A ready child's connection.
pub struct Live {
    /// The MCP peer to send requests to.
    pub peer: Peer<RoleClient>,
    /// Progress routes of the calls in flight.
    pub routes: ProgressRoutes,
    /// Its tools, as it listed them.
    pub tools: Vec<Tool>,
    /// The way past rmcp to it, for passthrough calls ([`super::express`]).
    pub bypass: Bypass,
}

/// What `providers` shows, plus the live connection.
#[derive(Clone)]
pub struct Status {
    /// Its state.
    pub state: State,
    /// The leader's pid while it runs.
    pub pid: Option<u32>,
    /// How many times it was started again after the first start.
    pub restarts: u32,
    /// How its last run ended.
    pub last_exit: Option<String>,
    /// The connection, while ready.
    pub live: Option<Arc<Live>>,
}

/// What the supervisor can ask of a child's task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Restart now, and leave `crash_loop`.
    Restart,
    /// Stop for good.
    Stop,
}

/// The supervisor's handle on one child's task.
pub struct ChildHandle {
    /// The entry it runs.
    pub spec: ServerSpec,
    /// Its published state.
    pub status: watch::Receiver<Status>,
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl ChildHandle {
    /// Starts `spec` under supervision; `changed` is woken whenever its tools appear or go;
    /// its sampling requests go to `hub`.
    pub fn start(
        spec: ServerSpec,
        config: watch::Receiver<Arc<SupervisorConfig>>,
        changed: Arc<Notify>,
        hub: HubLink,
    ) -> Self {
        let (status_tx, status) = watch::channel(Status {
            state: State::Starting,
            pid: None,
            restarts: 0,
            last_exit: None,
            live: None,
        });
        let (commands, command_rx) = mpsc::unbounded_channel();
        let monitor = Monitor {
            spec: spec.clone(),
            status: status_tx,
            commands: command_rx,
            config,
            changed,
            hub,
        };
        let task = tokio::spawn(monitor.run());
        Self {
            spec,
            status,
            commands,
            task,
        }
    }

    /// The current state.
    pub fn snapshot(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Asks the task to restart the child now.
    pub fn restart(&self) {
        let _ = self.commands.send(Command::Restart);
    }

    /// Stops the child (closing it, then ending its process group) and waits for that.
    pub async fn stop(self) {
        let _ = self.commands.send(Command::Stop);
        let _ = self.task.await;
    }
}

/// How one run of the child ended.
enum End {
    Crashed { ran: Duration, exit: String },
    Restart,
    Stop,
}

struct Monitor {
    spec: ServerSpec,
    status: watch::Sender<Status>,
    commands: mpsc::UnboundedReceiver<Command>,
    config: watch::Receiver<Arc<SupervisorConfig>>,
    changed: Arc<Notify>,
    hub: HubLink,
}

/// How long a stopping child gets to exit by itself, then again after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(2);

impl Monitor {
    async fn run(mut self) {
        let mut crashes = 0u32;
        loop {
            match self.run_once().await {
                End::Stop => break,
                End::Restart => crashes = 0,
                End::Crashed { ran, exit } => {
                    let policy = self.config.borrow().restart;
                    if ran >= Duration::from_secs(policy.stable_after_s) {
                        crashes = 0;
                    }
                    crashes += 1;
                    tracing::warn!(child = %self.spec.name, %exit, crashes, "child ended");
                    self.status.send_modify(|s| s.last_exit = Some(exit));
                    match self.backoff(crashes).await {
                        Command::Stop => break,
                        Command::Restart => {}
                    }
                }
            }
            self.status.send_modify(|s| {
                s.state = State::Starting;
                s.restarts += 1;
            });
        }
        self.status.send_modify(|s| s.state = State::Stopped);
    }

    /// Waits before the next start: the backoff delay, or for `restart` in `crash_loop`. A
    /// command cuts the wait short; `Restart` means start again.
    async fn backoff(&mut self, crashes: u32) -> Command {
        let policy = self.config.borrow().restart;
        let command = if crashes >= policy.max_restarts {
            tracing::error!(child = %self.spec.name, crashes, "child is in a crash loop; call restart to try again");
            self.status.send_modify(|s| s.state = State::CrashLoop);
            self.commands.recv().await
        } else {
            self.status.send_modify(|s| s.state = State::Restarting);
            tokio::select! {
                _ = tokio::time::sleep(policy.delay(crashes - 1)) => Some(Command::Restart),
                command = self.commands.recv() => command,
            }
        };
        command.unwrap_or(Command::Stop)
    }

    /// Starts the child, serves it until it ends, and says how it ended.
    async fn run_once(&mut self) -> End {
        let started = Instant::now();
        let crashed = |exit: String| End::Crashed {
            ran: started.elapsed(),
            exit,
        };
        let (process, pipes) = match process::spawn(&self.spec).await {
            Ok(spawned) => spawned,
            Err(err) => {
                return crashed(match self.spec.locate() {
                    Err(missing) => format!("could not start: {missing}"),
                    Ok(program) => format!("could not start {}: {err}", program.display()),
                });
            }
        };
        self.status.send_modify(|s| s.pid = Some(process.pid));
        let offer = self.config.borrow().sampling != super::config::SamplingMode::Refuse;
        let client = ChildClient::for_child(&self.spec.name, self.hub.clone(), offer);
        let limit = self.config.borrow().health.start_timeout();
        let connected = match tokio::time::timeout(limit, connect(client.clone(), pipes)).await {
            Ok(Ok(connected)) => connected,
            Ok(Err(err)) => return crashed(self.abandon(&process, err).await),
            Err(_) => {
                let err = format!("did not initialize within {} ms", limit.as_millis());
                return crashed(self.abandon(&process, err).await);
            }
        };
        let end = self.serve(connected, &process, &client).await;
        self.status.send_modify(|s| {
            s.state = if end.is_ok() {
                State::Stopped
            } else {
                State::Restarting
            };
            s.live = None;
            s.pid = None;
        });
        self.changed.notify_one();
        match end {
            Ok(Command::Restart) => End::Restart,
            Ok(_) => End::Stop,
            Err(exit) => crashed(exit),
        }
    }

    /// Ends a child that failed to start and says why: its exit status when it exited by
    /// itself (the usual case: a bad command or flag), else the error and that it was killed.
    async fn abandon(&self, process: &Process, err: String) -> String {
        if let Ok(exit) = tokio::time::timeout(Duration::from_millis(200), process.exited()).await {
            return format!("{exit} during start");
        }
        process.kill();
        format!("{err}; killed ({})", process.exited().await)
    }

    /// Serves a connected child until a command (`Ok`) or its end (`Err` with the reason).
    async fn serve(
        &mut self,
        connected: Connected,
        process: &Process,
        client: &ChildClient,
    ) -> Result<Command, String> {
        let Connected {
            running,
            tools,
            bypass,
        } = connected;
        let peer = running.peer().clone();
        let stop_service = running.cancellation_token();
        let mut quit = tokio::spawn(running.waiting());
        self.publish(&peer, client, &bypass, tools);
        let health = self.config.borrow().health;
        let outcome = loop {
            tokio::select! {
                exit = process.exited() => break Err(exit),
                _ = &mut quit => break Err(self.closed(process).await),
                err = ping_until_failure(&peer, health.ping_interval(), health.ping_timeout()) => {
                    process.kill();
                    break Err(format!("{err}; killed ({})", process.exited().await));
                }
                _ = client.tools_changed.notified() => {
                    if let Ok(tools) = list_tools(&peer, health.start_timeout()).await {
                        self.publish(&peer, client, &bypass, tools);
                    }
                }
                command = self.commands.recv() => break Ok(command.unwrap_or(Command::Stop)),
            }
        };
        // Closing the service closes the child's stdin and fails the calls still in flight.
        stop_service.cancel();
        if outcome.is_ok() {
            self.status.send_modify(|s| {
                s.state = State::Stopped;
                s.live = None;
            });
            self.changed.notify_one();
            let exit = process.terminate(STOP_GRACE).await;
            self.status.send_modify(|s| s.last_exit = Some(exit));
        }
        outcome
    }

    /// The child closed its stdout but may still run: give it a moment, then end its group.
    /// Its exit status when it is exiting anyway (the pipe closes a moment before the exit is
    /// reaped).
    async fn closed(&self, process: &Process) -> String {
        let moment = Duration::from_millis(200);
        if let Ok(exit) = tokio::time::timeout(moment, process.exited()).await {
            return exit;
        }
        let exit = process.terminate(moment).await;
        format!("closed its connection; ended ({exit})")
    }

    fn publish(
        &self,
        peer: &Peer<RoleClient>,
        client: &ChildClient,
        bypass: &Bypass,
        tools: Vec<Tool>,
    ) {
        let live = Arc::new(Live {
            peer: peer.clone(),
            routes: client.routes.clone(),
            tools,
            bypass: bypass.clone(),
        });
        self.status.send_modify(|s| {
            s.state = State::Ready;
            s.live = Some(live);
        });
        self.changed.notify_one();
    }
}
