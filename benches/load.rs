//! Closed-loop load: keep N calls in flight for a while, through a stdio server (pipelined
//! `tools/call` lines, responses matched by id), through a server over Streamable HTTP (one
//! session, a POST per call), or straight over HTTP (the floor), and measure
//! calls per second, latency percentiles and, for a server, CPU time per call.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use reqwest::Client;

use crate::http::HttpServer;
use crate::procfs;
use crate::rpc::{Server, call_line};

/// How long and how hard one run pushes.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Calls kept in flight.
    pub inflight: usize,
    /// Calls completing before this much time has passed are not counted.
    pub warmup: Duration,
    /// The measured window after the warm-up.
    pub window: Duration,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Latencies of the calls started and finished inside the window, sorted, in microseconds.
    pub latencies_us: Vec<f64>,
    /// Calls finished inside the window per second of it.
    pub calls_per_s: f64,
    /// CPU time (user + system) per call of the measured processes, in microseconds.
    pub cpu_us_per_call: Option<f64>,
    /// Of which the server process itself, without its children (the supervisor alone).
    pub own_cpu_us_per_call: Option<f64>,
}

impl Outcome {
    /// The `q` quantile (0..=1) of the latencies, nearest rank, in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        let n = self.latencies_us.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.latencies_us[rank - 1]
    }
}

/// Window bookkeeping shared by both drivers.
struct Clock {
    warm_end: Instant,
    end: Instant,
    latencies_us: Vec<f64>,
    in_window: u64,
}

impl Clock {
    fn new(plan: &Plan) -> Self {
        let warm_end = Instant::now() + plan.warmup;
        Self {
            warm_end,
            end: warm_end + plan.window,
            latencies_us: Vec::new(),
            in_window: 0,
        }
    }

    /// Notes a call that started at `started` and just finished.
    fn done(&mut self, started: Instant) -> Instant {
        let now = Instant::now();
        if now >= self.warm_end && now <= self.end {
            self.in_window += 1;
            if started >= self.warm_end {
                self.latencies_us.push((now - started).as_secs_f64() * 1e6);
            }
        }
        now
    }

    fn outcome(mut self, window: Duration, cpu_us_per_call: Option<f64>) -> Outcome {
        self.latencies_us.sort_by(f64::total_cmp);
        Outcome {
            latencies_us: self.latencies_us,
            calls_per_s: self.in_window as f64 / window.as_secs_f64(),
            cpu_us_per_call,
            own_cpu_us_per_call: None,
        }
    }
}

/// Keeps `plan.inflight` calls of `tool` with `arguments` in flight through `server`. CPU time
/// is read from `server` (and its children when `with_children`, with the server's own share
/// apart).
pub async fn stdio(
    server: &mut Server,
    tool: &str,
    arguments: &str,
    plan: Plan,
    with_children: bool,
) -> Result<Outcome> {
    // (the whole tree, the server alone)
    let cpu = |pid: u32| {
        let own = procfs::cpu_seconds(pid).unwrap_or(0.0);
        let tree = if with_children {
            procfs::tree_cpu_seconds(pid)
        } else {
            own
        };
        (tree, own)
    };
    let mut clock = Clock::new(&plan);
    let mut pending: HashMap<u64, Instant> = HashMap::with_capacity(plan.inflight * 2);
    for _ in 0..plan.inflight {
        let id = server.id();
        pending.insert(id, Instant::now());
        server.send(&call_line(id, tool, arguments)).await?;
    }
    let (mut completed, mut cpu_start) = (0u64, None);
    while !pending.is_empty() {
        let reply = server.recv().await?;
        let Some(started) = reply.id.and_then(|id| pending.remove(&id)) else {
            continue;
        };
        if reply.failed() {
            bail!("a call failed: {}", server.last_line());
        }
        let now = clock.done(started);
        completed += 1;
        if cpu_start.is_none() && now >= clock.warm_end {
            cpu_start = Some((cpu(server.pid), completed));
        }
        if now < clock.end {
            let id = server.id();
            pending.insert(id, Instant::now());
            server.send(&call_line(id, tool, arguments)).await?;
        }
    }
    let per_call = cpu_start.and_then(|((tree, own), at)| {
        let calls = completed - at;
        let (tree_now, own_now) = cpu(server.pid);
        let per = |spent: f64| spent * 1e6 / calls as f64;
        (calls > 0).then(|| (per(tree_now - tree), per(own_now - own)))
    });
    let mut outcome = clock.outcome(plan.window, per_call.map(|c| c.0));
    if with_children {
        outcome.own_cpu_us_per_call = per_call.map(|c| c.1);
    }
    Ok(outcome)
}

/// The floor: the same calls made by the harness itself with one pooled HTTP client.
pub async fn direct(client: &Client, url: &str, body: &str, plan: Plan) -> Result<Outcome> {
    let clock = Clock::new(&plan);
    let (warm_end, end) = (clock.warm_end, clock.end);
    let mut tasks = Vec::new();
    for _ in 0..plan.inflight {
        let (client, url, body) = (client.clone(), url.to_string(), body.to_string());
        tasks.push(tokio::spawn(async move {
            let mut clock = Clock {
                warm_end,
                end,
                latencies_us: Vec::new(),
                in_window: 0,
            };
            while Instant::now() < end {
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?
                    .error_for_status()?;
                let bytes = response.bytes().await?;
                // A client reads what it asked for; the servers parse it too.
                let parsed: serde_json::Value = serde_json::from_slice(&bytes)?;
                anyhow::ensure!(parsed["choices"][0]["message"]["content"].is_string());
                clock.done(started);
            }
            anyhow::Ok((clock.latencies_us, clock.in_window))
        }));
    }
    let mut total = clock;
    for task in tasks {
        let (latencies, in_window) = task.await??;
        total.latencies_us.extend(latencies);
        total.in_window += in_window;
    }
    Ok(total.outcome(plan.window, None))
}

/// Keeps `plan.inflight` calls of `tool` with `arguments` in flight through `server`'s
/// Streamable HTTP session. CPU per call counts the server's CPU over the whole run (warm-up
/// included) over every call it answered.
pub async fn http(server: &HttpServer, tool: &str, arguments: &str, plan: Plan) -> Result<Outcome> {
    let clock = Clock::new(&plan);
    let (warm_end, end) = (clock.warm_end, clock.end);
    let cpu_start = procfs::cpu_seconds(server.pid).unwrap_or(0.0);
    let mut tasks = Vec::new();
    for lane in 0..plan.inflight as u64 {
        let (session, tool, arguments) = (
            server.session.clone(),
            tool.to_string(),
            arguments.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut clock = Clock {
                warm_end,
                end,
                latencies_us: Vec::new(),
                in_window: 0,
            };
            let mut calls = 0u64;
            // Ids unique across lanes: lane in the high bits.
            let mut id = (lane + 1) << 32;
            while Instant::now() < end {
                let started = Instant::now();
                id += 1;
                session.call(id, &tool, &arguments).await?;
                clock.done(started);
                calls += 1;
            }
            anyhow::Ok((clock.latencies_us, clock.in_window, calls))
        }));
    }
    let mut total = clock;
    let mut calls = 0;
    for task in tasks {
        let (latencies, in_window, n) = task.await??;
        total.latencies_us.extend(latencies);
        total.in_window += in_window;
        calls += n;
    }
    let cpu = procfs::cpu_seconds(server.pid).unwrap_or(0.0) - cpu_start;
    let cpu_per_call = (calls > 0).then(|| cpu * 1e6 / calls as f64);
    Ok(total.outcome(plan.window, cpu_per_call))
}
