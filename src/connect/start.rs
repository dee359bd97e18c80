//! Finding the shared supervisor at `http://127.0.0.1:PORT/mcp`, or starting it.
//!
//! Two clients launched together (an editor opening two windows) must start one supervisor,
//! not two: the one that creates the lock file (`connect-PORT.lock` in the runtime
//! directory, with `create_new`) starts it and waits until it answers; the others wait for
//! the lock to go and connect to what it started. A lock older than the start timeout was
//! left by a process that died while starting, and is taken over.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use rmcp::RoleClient;
use rmcp::ServiceExt;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;

use crate::supervisor::child_client::ChildClient;

/// A connection to the shared supervisor.
pub(crate) type Upstream = RunningService<RoleClient, ChildClient>;

/// How often a waiting client tries again.
const RETRY: Duration = Duration::from_millis(100);

/// Where the shared supervisor of one port listens, and its lock, pid and log files.
pub(crate) struct Place {
    port: u16,
    /// `$XDG_RUNTIME_DIR/llm-mcp`, else `llm-mcp-UID`-like under the temp dir.
    runtime: PathBuf,
    /// Where the started supervisor's stderr goes: `llm-mcp` under the state directory,
    /// else the runtime directory.
    logs: PathBuf,
}

impl Place {
    /// The place of `port`, directories from the environment read through `env`.
    pub fn new(port: u16, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let runtime = match set("XDG_RUNTIME_DIR") {
            Some(dir) => PathBuf::from(dir).join("llm-mcp"),
            None => {
                let user = set("USER").unwrap_or_else(|| "user".into());
                std::env::temp_dir().join(format!("llm-mcp-{user}"))
            }
        };
        let logs = crate::tasks::args::state_dir(env)
            .map(|dir| dir.join("llm-mcp"))
            .unwrap_or_else(|| runtime.clone());
        Self {
            port,
            runtime,
            logs,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    fn lock(&self) -> PathBuf {
        self.runtime.join(format!("connect-{}.lock", self.port))
    }

    /// The file holding the pid of the supervisor a `connect` started on this port.
    pub fn pid_file(&self) -> PathBuf {
        self.runtime.join(format!("serve-{}.pid", self.port))
    }

    fn log(&self) -> PathBuf {
        self.logs.join(format!("serve-{}.log", self.port))
    }
}

/// Connects to the shared supervisor, starting it first when none answers.
pub(crate) async fn reach_or_start(
    place: &Place,
    config: Option<&Path>,
    timeout: Duration,
) -> Result<Upstream, String> {
    if let Ok(upstream) = reach(place).await {
        return Ok(upstream);
    }
    crate::atomic_file::create_private_dir(&place.runtime)
        .map_err(|err| format!("cannot create {}: {err}", place.runtime.display()))?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(place.lock())
        {
            Ok(_) => {
                let started = start_holding_lock(place, config, deadline).await;
                let _ = std::fs::remove_file(place.lock());
                return started;
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                if stale(&place.lock(), timeout) {
                    let _ = std::fs::remove_file(place.lock());
                    continue;
                }
            }
            Err(err) => return Err(format!("cannot create {}: {err}", place.lock().display())),
        }
        // Another client is starting it.
        if let Ok(upstream) = reach(place).await {
            return Ok(upstream);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "no supervisor answered at {} within {:.0} s (another client holds {})",
                place.url(),
                timeout.as_secs_f64(),
                place.lock().display()
            ));
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Whether the lock at `path` is older than `timeout`.
fn stale(path: &Path, timeout: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|at| SystemTime::now().duration_since(at).ok())
        .is_some_and(|age| age > timeout)
}

/// Initializes a client session with the supervisor at `place`.
async fn reach(place: &Place) -> Result<Upstream, String> {
    // A port nobody listens on is found out here, quietly: rmcp logs every failed
    // session at ERROR, which the client would show its user while a start is awaited.
    tokio::net::TcpStream::connect(("127.0.0.1", place.port))
        .await
        .map_err(|err| err.to_string())?;
    let transport = StreamableHttpClientTransport::from_uri(place.url());
    ChildClient::new()
        .serve(transport)
        .await
        .map_err(|err| err.to_string())
}

/// With the lock held: checks once more that none runs (it may have come up between the
/// first try and the lock), starts `llm-mcp serve --listen 127.0.0.1:PORT` in its own
/// process group (it outlives this client), and waits until it answers.
async fn start_holding_lock(
    place: &Place,
    config: Option<&Path>,
    deadline: tokio::time::Instant,
) -> Result<Upstream, String> {
    if let Ok(upstream) = reach(place).await {
        return Ok(upstream);
    }
    let exe =
        std::env::current_exe().map_err(|err| format!("cannot find llm-mcp itself: {err}"))?;
    crate::atomic_file::create_private_dir(&place.logs)
        .map_err(|err| format!("cannot create {}: {err}", place.logs.display()))?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(place.log())
        .map_err(|err| format!("cannot open {}: {err}", place.log().display()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", place.port));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    // Its own process group: a terminal's Ctrl-C to this client does not reach it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start llm-mcp serve: {err}"))?;
    let pid = child.id();
    let _ = crate::atomic_file::write_private(&place.pid_file(), pid.to_string().as_bytes());
    tracing::info!("started llm-mcp serve (pid {pid}) at {}", place.url());
    loop {
        if let Ok(upstream) = reach(place).await {
            // Reaped by nobody: it outlives this process on purpose; init adopts it.
            drop(child);
            return Ok(upstream);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "llm-mcp serve exited at start ({status}); its log: {}",
                place.log().display()
            ));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "llm-mcp serve (pid {pid}) did not answer at {} in time; its log: {}",
                place.url(),
                place.log().display()
            ));
        }
        tokio::time::sleep(RETRY).await;
    }
}
