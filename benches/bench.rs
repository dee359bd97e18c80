//! The benchmark of design §9, as `cargo bench`: whole processes measured side by side against
//! an in-process loopback fake provider.
//!
//! One run measures spawn to `initialize` and to `tools/list` results, idle and peak RSS, and
//! calls per second with latency percentiles at 1, 16 and 64 calls in flight with the provider
//! answering at once or after 200 ms, along four paths: straight over HTTP from the harness
//! (the floor), through `llm-mcp-openai` on stdio, through the same binary over Streamable
//! HTTP (`--listen`, one session), and through `llm-mcp serve` with that server as its one
//! child; with the instant provider also the request lines echoed by `cat` (what the pipes
//! cost) and the same server behind a bare relay, `cat | llm-mcp-openai | cat` (the least any
//! supervisor adds on the machine). It prints markdown tables and writes target/bench/results.json. Last, it prints the
//! size of `tools/list` for one backend and for `llm-mcp serve` with six children in its
//! default configuration, against their budgets, and that supervisor's memory.
//!
//! Knobs (environment): `LLM_MCP_BENCH_SPAWNS` (default 50), `LLM_MCP_BENCH_SECS` (the
//! measured window of a run with an instant provider, default 4; runs with a 200 ms provider
//! get 1.5 times as long).

// The tables on stdout are what the harness is for.
#![allow(clippy::print_stdout)]

mod fake;
mod http;
mod load;
mod procfs;
mod report;
mod rpc;
mod scenario;
mod summary;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use fake::Fake;
use report::Report;

/// The binaries under test.
pub struct Bins {
    /// llm-mcp-openai.
    pub openai: PathBuf,
    /// llm-mcp-mock.
    pub mock: PathBuf,
    /// llm-mcp.
    pub llm_mcp: PathBuf,
    /// The target directory (results go in its `bench/`).
    pub target: PathBuf,
    /// The cargo profile they were built with.
    pub profile: String,
}

impl Bins {
    /// The binaries of the profile `$LLM_MCP_BENCH_PROFILE` (default `release`, what `cargo
    /// install` and `cargo build --release` make; `dist` for the published binaries), in the
    /// target directory of this bench executable (target/release/deps/bench-HASH), built with
    /// `cargo build --profile PROFILE --bins` when missing.
    fn locate() -> Result<Self> {
        let profile = std::env::var("LLM_MCP_BENCH_PROFILE").unwrap_or_else(|_| "release".into());
        let exe = std::env::current_exe()?;
        let target = exe
            .parent()
            .and_then(Path::parent)
            .and_then(Path::parent)
            .context("the bench executable is not in target/PROFILE/deps")?;
        let dir = target.join(&profile);
        let bins = Self {
            openai: dir.join("llm-mcp-openai"),
            mock: dir.join("llm-mcp-mock"),
            llm_mcp: dir.join("llm-mcp"),
            target: target.to_path_buf(),
            profile,
        };
        if ![&bins.openai, &bins.mock, &bins.llm_mcp]
            .iter()
            .all(|p| p.exists())
        {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            eprintln!("building the {} binaries", bins.profile);
            let status = std::process::Command::new(cargo)
                .args(["build", "--profile", &bins.profile, "--bins"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()?;
            if !status.success() {
                bail!("cargo build --profile {} --bins failed", bins.profile);
            }
        }
        eprintln!(
            "measuring the binaries of the {} profile in {}",
            bins.profile,
            dir.display()
        );
        Ok(bins)
    }
}

/// Reads a number from the environment.
fn knob(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; a filter argument (as for libtest) selects nothing here.
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    // One worker per core, set here so that TOKIO_WORKER_THREADS (which the servers under
    // test inherit) changes only them.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let bins = Bins::locate()?;
    let fake = Fake::start().await?;
    let spawns = knob("LLM_MCP_BENCH_SPAWNS", 50.0) as usize;
    let secs = knob("LLM_MCP_BENCH_SECS", 4.0);
    let load_before = report::loadavg();
    let date = report::utc_now();
    eprintln!("load before: {load_before}");
    let settings = scenario::Settings {
        spawns,
        window: Duration::from_secs_f64(secs),
        warmup: Duration::from_millis(500),
    };
    let found = scenario::run_all(&bins, &fake, &settings).await?;
    let report = Report {
        date,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        load_after: report::loadavg(),
        version: env!("CARGO_PKG_VERSION"),
        profile: bins.profile.clone(),
        measures: found.measures,
        runs: found.runs,
    };
    println!("{}", report.markdown());
    println!("{}", tool_list_sizes(&bins).await?);
    let path = report.save(&bins.target.join("bench"))?;
    eprintln!(
        "wrote {} ({} provider requests served)",
        path.display(),
        fake.served()
    );
    Ok(())
}

/// The `tools/list` response line of `server`, whole, in bytes.
async fn tools_list_bytes(server: &mut rpc::Server) -> Result<usize> {
    let reply = server.request("tools/list", serde_json::json!({})).await?;
    if reply.failed() {
        bail!("tools/list failed: {}", server.last_line());
    }
    Ok(server.last_line().trim_end().len())
}

/// A markdown table: `tools/list` of llm-mcp-mock, and of `llm-mcp serve` with six children
/// (every backend as `llm-mcp backend NAME`, endpoints on a closed loopback port) in its
/// default configuration, each against its budget.
async fn tool_list_sizes(bins: &Bins) -> Result<String> {
    use llm_mcp::schema::{BACKEND_TOOLS_BUDGET, SERVE_TOOLS_BUDGET};
    let mut mock = rpc::Server::spawn(&bins.mock, &[])?;
    mock.initialize().await?;
    let backend = tools_list_bytes(&mut mock).await?;
    mock.close().await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let vars = [
        (
            "anthropic",
            &[("ANTHROPIC_API_KEY", "k"), ("ANTHROPIC_BASE_URL", &closed)][..],
        ),
        (
            "openai",
            &[("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", &closed)],
        ),
        (
            "gemini",
            &[("GEMINI_API_KEY", "k"), ("GEMINI_BASE_URL", &closed)],
        ),
        (
            "mistral",
            &[("MISTRAL_API_KEY", "k"), ("MISTRAL_BASE_URL", &closed)],
        ),
        ("ollama", &[("OLLAMA_HOST", &closed)]),
        ("mock", &[]),
    ];
    let mut servers = serde_json::Map::new();
    for (name, env) in vars {
        let env: serde_json::Map<String, serde_json::Value> = env
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        let entry =
            serde_json::json!({"command": bins.llm_mcp, "args": ["backend", name], "env": env});
        servers.insert(name.to_string(), entry);
    }
    let dir = std::env::temp_dir().join(format!("llm-mcp-bench-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("servers.json");
    let config = serde_json::json!({"mcpServers": servers, "default": "mock"});
    std::fs::write(&path, config.to_string())?;
    let args = [
        "serve".to_string(),
        "--config".into(),
        path.display().to_string(),
    ];
    let mut serve = rpc::Server::spawn(&bins.llm_mcp, &args)?;
    serve.initialize().await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        serve
            .request(
                "tools/call",
                serde_json::json!({"name": "providers", "arguments": {}}),
            )
            .await?;
        let reply: serde_json::Value = serde_json::from_str(serve.last_line())?;
        let providers = &reply["result"]["structuredContent"]["providers"];
        let ready = (providers.as_array().into_iter().flatten())
            .filter(|p| p["state"] == "ready")
            .count();
        if ready == 6 {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "serve's six children never were all ready: {}",
                serve.last_line()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let supervisor = tools_list_bytes(&mut serve).await?;
    // The supervisor's memory with its six children: its own, with the six servers, and with
    // the keeper each runs under too.
    let kib = |pid: u32| procfs::status_kib(pid, "VmRSS").unwrap_or(0);
    let own = kib(serve.pid);
    let with_servers = own + procfs::servers(serve.pid).into_iter().map(kib).sum::<u64>();
    let all = own
        + procfs::descendants(serve.pid)
            .into_iter()
            .map(kib)
            .sum::<u64>();
    serve.close().await?;
    let _ = std::fs::remove_dir_all(&dir);

    let row = |what: &str, bytes: usize, budget: usize| {
        let verdict = if bytes <= budget {
            "within"
        } else {
            "OVER BUDGET"
        };
        format!("| {what} | {bytes} | {budget} | {verdict} |\n")
    };
    let memory = format!(
        "\n### llm-mcp serve with six children\n\n| VmRSS | MiB |\n|---|---:|\n\
         | the supervisor | {:.1} |\n| the supervisor and its six children | {:.1} |\n\
         | the supervisor, its six children and their keepers | {:.1} |\n",
        own as f64 / 1024.0,
        with_servers as f64 / 1024.0,
        all as f64 / 1024.0
    );
    Ok(format!(
        "### tools/list size\n\n| response | bytes | budget | |\n|---|---:|---:|---|\n{}{}{memory}",
        row("one backend (llm-mcp-mock)", backend, BACKEND_TOOLS_BUDGET),
        row(
            "llm-mcp serve, six children, default configuration",
            supervisor,
            SERVE_TOOLS_BUDGET
        ),
    ))
}
