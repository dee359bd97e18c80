//! The scenarios of design §9, in the order they run, and the summary measures they yield.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use reqwest::Client;

use crate::Bins;
use crate::fake::Fake;
use crate::http::HttpServer;
use crate::load::{self, Outcome, Plan};
use crate::procfs;
use crate::report::{Measure, RunRow};
use crate::rpc::{Server, call_line};
use crate::summary::{Idle, Peaks, footprint, per_call};

/// How long and how often.
pub struct Settings {
    /// Spawns per binary for the start-up medians.
    pub spawns: usize,
    /// The measured window of a run with an instant provider.
    pub window: Duration,
    /// Warm-up before each window.
    pub warmup: Duration,
}

/// What [`run_all`] found.
pub struct Found {
    /// The summary against the targets.
    pub measures: Vec<Measure>,
    /// Every load run.
    pub runs: Vec<RunRow>,
}

/// The prompt every call sends.
const PROMPT: &str = "Explain Rust's ownership and borrowing rules in one short paragraph, \
    for a reader who knows C++ and Python.";
/// The model every call asks for.
const MODEL: &str = "gpt-4.1-mini";
/// The delays of the fake provider, in milliseconds.
const DELAYS: [u64; 2] = [0, 200];
/// Calls in flight.
const INFLIGHT: [usize; 3] = [1, 16, 64];

fn mib(kib: Option<u64>) -> f64 {
    kib.unwrap_or(0) as f64 / 1024.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Spawn to the `initialize` result and to the `tools/list` result, `n` times, in ms.
async fn spawn_times(program: &Path, args: &[String], n: usize) -> Result<(f64, f64)> {
    let (mut init, mut list) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let started = Instant::now();
        let mut server = Server::spawn(program, args)?;
        let id = server.send_initialize().await?;
        server.wait_for(id).await?;
        init.push(started.elapsed().as_secs_f64() * 1e3);
        server.initialized().await?;
        let reply = server.request("tools/list", serde_json::json!({})).await?;
        if reply.failed() || !server.last_line().contains("\"complete\"") {
            bail!("tools/list: {}", server.last_line());
        }
        list.push(started.elapsed().as_secs_f64() * 1e3);
        server.close().await?;
    }
    Ok((median(init), median(list)))
}

/// A few calls, so the server has allocated what a working server holds, then its VmRSS.
async fn warm_rss(server: &mut Server, tool: &str, arguments: &str) -> Result<f64> {
    for _ in 0..5 {
        let id = server.id();
        server.send(&call_line(id, tool, arguments)).await?;
        if server.wait_for(id).await?.failed() {
            bail!("warm-up call failed: {}", server.last_line());
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(mib(procfs::status_kib(server.pid, "VmRSS")))
}

/// `llm-mcp serve` with one child, llm-mcp-openai pointed at the fake, ready to call.
async fn start_serve(bins: &Bins, openai_args: &[String]) -> Result<(Server, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(format!("llm-mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = serde_json::json!({
        "mcpServers": {"openai": {"command": bins.openai, "args": openai_args}},
        "default": "openai",
        "expose": ["openai__complete"]
    });
    let path = dir.join("servers.json");
    std::fs::write(&path, config.to_string())?;
    let args = vec![
        "serve".to_string(),
        "--config".into(),
        path.display().to_string(),
    ];
    let mut server = Server::spawn(&bins.llm_mcp, &args)?;
    server.initialize().await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        server.request("tools/list", serde_json::json!({})).await?;
        if server.last_line().contains("\"openai__complete\"") {
            return Ok((server, dir));
        }
        if Instant::now() > deadline {
            bail!("the supervisor's child never listed its tools");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The same lines echoed by `cat`: what the pipes and wake-ups of any stdio server cost,
/// before it does any work.
async fn echo(plan: Plan, arguments: &str) -> Result<Outcome> {
    let mut cat = Server::spawn(Path::new("cat"), &[])?;
    let outcome = load::stdio(&mut cat, "complete", arguments, plan, false).await?;
    cat.close().await?;
    Ok(outcome)
}

/// llm-mcp-openai behind a bare relay, `cat | llm-mcp-openai | cat`: two more pipe hops and
/// two more processes woken per call, and no work: the least any supervisor in front of the
/// same child adds on this machine.
async fn relayed(
    bins: &Bins,
    openai_args: &[String],
    arguments: &str,
    plan: Plan,
) -> Result<Outcome> {
    let mut args = vec![
        "-c".to_string(),
        "cat | \"$0\" \"$@\" | cat".into(),
        bins.openai.display().to_string(),
    ];
    args.extend_from_slice(openai_args);
    let mut relay = Server::spawn(Path::new("sh"), &args)?;
    relay.initialize().await?;
    let outcome = load::stdio(&mut relay, "complete", arguments, plan, false).await?;
    relay.close().await?;
    Ok(outcome)
}

fn row(path: &'static str, delay_ms: u64, inflight: usize, o: &Outcome) -> RunRow {
    RunRow {
        path,
        delay_ms,
        inflight,
        calls_per_s: o.calls_per_s,
        p50_us: o.quantile_us(0.50),
        p95_us: o.quantile_us(0.95),
        p99_us: o.quantile_us(0.99),
        samples: o.latencies_us.len(),
        cpu_us_per_call: o.cpu_us_per_call,
        own_cpu_us_per_call: o.own_cpu_us_per_call,
        throughput_vs_floor: None,
        p50_vs_floor: None,
    }
}

/// Runs everything; see the crate docs.
pub async fn run_all(bins: &Bins, fake: &Fake, settings: &Settings) -> Result<Found> {
    let openai_args: Vec<String> = ["--base-url", &fake.base_url(), "--model", MODEL]
        .map(String::from)
        .to_vec();
    let arguments = serde_json::json!({"prompt": PROMPT, "max_tokens": 256}).to_string();
    let direct_body = serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 256
    })
    .to_string();

    eprintln!("spawning each server {} times", settings.spawns);
    let openai_spawn = spawn_times(&bins.openai, &openai_args, settings.spawns).await?;
    let mock_spawn = spawn_times(&bins.mock, &[], settings.spawns).await?;

    let mut mock = Server::spawn(&bins.mock, &[])?;
    mock.initialize().await?;
    let mock_idle = warm_rss(&mut mock, "complete", &arguments).await?;
    mock.close().await?;

    let mut openai = Server::spawn(&bins.openai, &openai_args)?;
    openai.initialize().await?;
    let openai_idle = warm_rss(&mut openai, "complete", &arguments).await?;
    let openai_anon = mib(procfs::status_kib(openai.pid, "RssAnon"));
    let (mut serve, serve_dir) = start_serve(bins, &openai_args).await?;
    let over_http = HttpServer::start(&bins.openai, &openai_args).await?;
    let serve_idle = warm_rss(&mut serve, "openai__complete", &arguments).await?;
    let serve_child = procfs::servers(serve.pid).first().copied();

    let client = Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()?;
    let url = fake.chat_url();
    let mut runs = Vec::new();
    for delay in DELAYS {
        fake.set_delay(Duration::from_millis(delay));
        let window = if delay == 0 {
            settings.window
        } else {
            settings.window.mul_f64(1.5)
        };
        for inflight in INFLIGHT {
            let plan = Plan {
                inflight,
                warmup: settings.warmup,
                window,
            };
            eprintln!("provider delay {delay} ms, {inflight} in flight");
            let direct = load::direct(&client, &url, &direct_body, plan).await?;
            let through = load::stdio(&mut openai, "complete", &arguments, plan, false).await?;
            let served =
                load::stdio(&mut serve, "openai__complete", &arguments, plan, true).await?;
            let floor = row("direct", delay, inflight, &direct);
            let http = load::http(&over_http, "complete", &arguments, plan).await?;
            let mut paths = vec![("openai", through), ("serve", served), ("http", http)];
            if delay == 0 {
                paths.push(("cat", echo(plan, &arguments).await?));
                let relay = relayed(bins, &openai_args, &arguments, plan).await?;
                paths.push(("relay", relay));
            }
            for (path, outcome) in paths {
                let mut r = row(path, delay, inflight, &outcome);
                r.throughput_vs_floor = Some(r.calls_per_s / floor.calls_per_s);
                r.p50_vs_floor = Some(r.p50_us / floor.p50_us);
                runs.push(r);
            }
            runs.push(floor);
        }
    }
    let peaks = Peaks {
        openai: mib(procfs::status_kib(openai.pid, "VmHWM")),
        serve: mib(procfs::status_kib(serve.pid, "VmHWM")),
        serve_child: mib(serve_child.and_then(|pid| procfs::status_kib(pid, "VmHWM"))),
    };
    openai.close().await?;
    serve.close().await?;
    over_http.close().await?;
    let _ = std::fs::remove_dir_all(serve_dir);
    runs.sort_by_key(|r| {
        (
            r.delay_ms,
            r.inflight,
            r.path != "direct",
            r.path == "serve",
        )
    });
    let idle = Idle {
        openai: openai_idle,
        openai_anon,
        mock: mock_idle,
        serve: serve_idle,
    };
    let mut measures = footprint(openai_spawn, mock_spawn, &idle, &peaks);
    measures.extend(per_call(&runs)?);
    Ok(Found { measures, runs })
}
