//! Finding the shared supervisor on its Unix socket (`$XDG_RUNTIME_DIR/llm-mcp/serve.sock`,
//! the default on Unix) or at `http://127.0.0.1:PORT/mcp`, or starting it.
//!
//! Two clients launched together (an editor opening two windows) must start one supervisor,
//! not two: the one that creates the lock file (`serve.sock.lock` beside the socket, or
//! `connect-PORT.lock` in the runtime directory, with `create_new`) starts it and waits until
//! it answers; the others wait for the lock to go and connect to what it started. A lock
//! older than the start timeout was left by a process that died while starting, and is
//! taken over.

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

/// Where the shared supervisor listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `127.0.0.1:PORT`.
    Tcp(u16),
    /// A Unix socket (mode 0600 in a private directory).
    #[cfg(unix)]
    Unix(PathBuf),
}

/// Where the shared supervisor listens, and its lock, pid and log files.
pub(crate) struct Place {
    endpoint: Endpoint,
    /// `$XDG_RUNTIME_DIR/llm-mcp`, else `llm-mcp-UID`-like under the temp dir.
    runtime: PathBuf,
    /// Where the started supervisor's stderr goes: `llm-mcp` under the state directory,
    /// else the runtime directory.
    logs: PathBuf,
}

impl Place {
    /// The place of `endpoint` (`None`: the default socket, or port on other systems),
    /// directories from the environment read through `env`.
    pub fn new(endpoint: Option<Endpoint>, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let runtime = runtime_dir(env);
        let endpoint = endpoint.unwrap_or_else(|| default_endpoint(&runtime));
        let logs = crate::tasks::args::state_dir(env)
            .map(|dir| dir.join("llm-mcp"))
            .unwrap_or_else(|| runtime.clone());
        Self {
            endpoint,
            runtime,
            logs,
        }
    }

    /// Where it is, for messages.
    fn url(&self) -> String {
        match &self.endpoint {
            Endpoint::Tcp(port) => format!("http://127.0.0.1:{port}/mcp"),
            #[cfg(unix)]
            Endpoint::Unix(path) => format!("unix:{}", path.display()),
        }
    }

    /// What `serve --listen` is given to listen there.
    fn listen(&self) -> String {
        match &self.endpoint {
            Endpoint::Tcp(port) => format!("127.0.0.1:{port}"),
            #[cfg(unix)]
            Endpoint::Unix(path) => format!("unix:{}", path.display()),
        }
    }

    /// The directory the lock and pid files go to (the socket's own, for a socket).
    fn private_dir(&self) -> PathBuf {
        match &self.endpoint {
            Endpoint::Tcp(_) => self.runtime.clone(),
            #[cfg(unix)]
            Endpoint::Unix(path) => (path.parent())
                .filter(|dir| !dir.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        }
    }

    /// The name the lock, pid and log files are made from.
    fn tag(&self) -> String {
        match &self.endpoint {
            Endpoint::Tcp(port) => port.to_string(),
            #[cfg(unix)]
            Endpoint::Unix(path) => (path.file_name())
                .map_or_else(|| "sock".into(), |name| name.to_string_lossy().into_owned()),
        }
    }

    fn lock(&self) -> PathBuf {
        self.private_dir()
            .join(format!("connect-{}.lock", self.tag()))
    }

    /// The file holding the pid of the supervisor a `connect` started here.
    pub fn pid_file(&self) -> PathBuf {
        self.private_dir().join(format!("serve-{}.pid", self.tag()))
    }

    fn log(&self) -> PathBuf {
        self.logs.join(format!("serve-{}.log", self.tag()))
    }
}

/// `$XDG_RUNTIME_DIR/llm-mcp`, else `llm-mcp-USER` under the temp directory.
fn runtime_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    match set("XDG_RUNTIME_DIR") {
        Some(dir) => PathBuf::from(dir).join("llm-mcp"),
        None => {
            let user = set("USER").unwrap_or_else(|| "user".into());
            std::env::temp_dir().join(format!("llm-mcp-{user}"))
        }
    }
}

/// The Unix socket `serve.sock` in the runtime directory; loopback TCP where there are no
/// Unix sockets.
fn default_endpoint(runtime: &Path) -> Endpoint {
    #[cfg(unix)]
    return Endpoint::Unix(runtime.join("serve.sock"));
    #[cfg(not(unix))]
    {
        let _ = runtime;
        Endpoint::Tcp(super::DEFAULT_PORT)
    }
}

/// Connects to the shared supervisor, starting it first when none answers.
pub(crate) async fn reach_or_start(
    place: &Place,
    config: Option<&Path>,
    timeout: Duration,
) -> Result<Upstream, String> {
    let dir = place.private_dir();
    crate::atomic_file::create_private_dir(&dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    // Someone else's directory could hold someone else's server: never talk to it.
    #[cfg(unix)]
    if matches!(place.endpoint, Endpoint::Unix(_)) {
        crate::transport::check_private_dir(&dir)?;
    }
    if let Ok(upstream) = reach(place).await {
        return Ok(upstream);
    }
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
    // A port (or socket) nobody listens on is found out here, quietly: rmcp logs every
    // failed session at ERROR, which the client would show its user while a start is awaited.
    match &place.endpoint {
        Endpoint::Tcp(port) => {
            tokio::net::TcpStream::connect(("127.0.0.1", *port))
                .await
                .map_err(|err| err.to_string())?;
            let transport = StreamableHttpClientTransport::from_uri(place.url());
            ChildClient::new().serve(transport).await
        }
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            tokio::net::UnixStream::connect(path)
                .await
                .map_err(|err| err.to_string())?;
            let shown = path.display().to_string();
            let path = path.to_str().ok_or(format!("{shown}: not a UTF-8 path"))?;
            let transport =
                StreamableHttpClientTransport::from_unix_socket(path, "http://localhost/mcp");
            ChildClient::new().serve(transport).await
        }
    }
    .map_err(|err| err.to_string())
}

/// With the lock held: checks once more that none runs (it may have come up between the
/// first try and the lock), starts `llm-mcp serve --listen unix:PATH` (or `127.0.0.1:PORT`)
/// in its own
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
    command.arg("serve").arg("--listen").arg(place.listen());
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
