//! The summary of a run: each measure of design §9 beside its target.

use anyhow::{Context, Result};

use crate::report::{Measure, RunRow};

/// VmRSS after start-up and a few calls, MiB.
pub struct Idle {
    /// llm-mcp-openai.
    pub openai: f64,
    /// Of which anonymous (heap, stacks): the part not shared with the page cache.
    pub openai_anon: f64,
    /// llm-mcp-mock.
    pub mock: f64,
    /// llm-mcp serve, without its child.
    pub serve: f64,
}

/// VmHWM after all runs, MiB.
pub struct Peaks {
    /// llm-mcp-openai.
    pub openai: f64,
    /// llm-mcp serve, without its child.
    pub serve: f64,
    /// serve's llm-mcp-openai child.
    pub serve_child: f64,
}

fn find<'a>(runs: &'a [RunRow], path: &str, delay: u64, inflight: usize) -> Result<&'a RunRow> {
    runs.iter()
        .find(|r| r.path == path && r.delay_ms == delay && r.inflight == inflight)
        .with_context(|| format!("no run {path} {delay} {inflight}"))
}

fn measure(
    name: &str,
    value: f64,
    unit: &'static str,
    target: Option<(&'static str, bool)>,
    vs_floor: Option<f64>,
) -> Measure {
    Measure {
        measure: name.to_string(),
        value,
        unit,
        target: target.map(|t| t.0),
        met: target.map(|t| t.1),
        vs_floor,
    }
}

/// The start-up and memory measures.
pub fn footprint(
    openai_spawn: (f64, f64),
    mock_spawn: (f64, f64),
    idle: &Idle,
    peaks: &Peaks,
) -> Vec<Measure> {
    let start = |v: f64| Some(("under 5 ms median", v < 5.0));
    let idle_target = |v: f64| Some(("under 8 MiB", v < 8.0));
    vec![
        measure(
            "spawn to initialize result, llm-mcp-openai (median)",
            openai_spawn.0,
            "ms",
            start(openai_spawn.0),
            None,
        ),
        measure(
            "spawn to initialize result, llm-mcp-mock (median)",
            mock_spawn.0,
            "ms",
            start(mock_spawn.0),
            None,
        ),
        measure(
            "spawn to tools/list result, llm-mcp-openai (median)",
            openai_spawn.1,
            "ms",
            None,
            None,
        ),
        measure(
            "spawn to tools/list result, llm-mcp-mock (median)",
            mock_spawn.1,
            "ms",
            None,
            None,
        ),
        measure(
            "idle RSS, llm-mcp-openai",
            idle.openai,
            "MiB",
            idle_target(idle.openai),
            None,
        ),
        measure(
            "idle RSS, llm-mcp-openai: anonymous part (RssAnon)",
            idle.openai_anon,
            "MiB",
            None,
            None,
        ),
        measure(
            "idle RSS, llm-mcp-mock",
            idle.mock,
            "MiB",
            idle_target(idle.mock),
            None,
        ),
        measure(
            "peak RSS with 64 in flight, llm-mcp-openai",
            peaks.openai,
            "MiB",
            Some(("under 16 MiB", peaks.openai < 16.0)),
            None,
        ),
        measure(
            "idle RSS, llm-mcp serve (supervisor alone)",
            idle.serve,
            "MiB",
            None,
            None,
        ),
        measure(
            "peak RSS with 64 in flight, llm-mcp serve (supervisor alone)",
            peaks.serve,
            "MiB",
            None,
            None,
        ),
        measure(
            "peak RSS with 64 in flight, serve's llm-mcp-openai child",
            peaks.serve_child,
            "MiB",
            None,
            None,
        ),
    ]
}

/// The per-call measures, from the load runs.
pub fn per_call(runs: &[RunRow]) -> Result<Vec<Measure>> {
    let direct_1 = find(runs, "direct", 0, 1)?;
    let openai_1 = find(runs, "openai", 0, 1)?;
    let serve_1 = find(runs, "serve", 0, 1)?;
    let cat_1 = find(runs, "cat", 0, 1)?;
    let relay_1 = find(runs, "relay", 0, 1)?;
    let http_1 = find(runs, "http", 0, 1)?;
    let http_fast = find(runs, "http", 0, 64)?;
    let over_http = (http_1.p50_us - openai_1.p50_us) / 1e3;
    let added = (openai_1.p50_us - direct_1.p50_us) / 1e3;
    let supervisor = (serve_1.p50_us - openai_1.p50_us) / 1e3;
    let relay = (relay_1.p50_us - openai_1.p50_us) / 1e3;
    let own = (serve_1.p50_us - relay_1.p50_us) / 1e3;
    let fast = find(runs, "openai", 0, 64)?;
    let slow = find(runs, "openai", 200, 64)?;
    let fast_ratio = fast.throughput_vs_floor.unwrap_or(0.0);
    let slow_ratio = slow.throughput_vs_floor.unwrap_or(0.0);
    let serve_fast = find(runs, "serve", 0, 64)?;
    let serve_slow = find(runs, "serve", 200, 64)?;
    let cpu = |r: &RunRow| r.cpu_us_per_call.unwrap_or(f64::NAN);
    let own_cpu = |r: &RunRow| r.own_cpu_us_per_call.unwrap_or(f64::NAN);
    Ok(vec![
        measure(
            "time added per call over direct HTTP, 1 in flight (p50)",
            added,
            "ms",
            Some(("under 0.1 ms median", added < 0.1)),
            openai_1.p50_vs_floor,
        ),
        measure(
            "a pipe round trip through cat, 1 in flight (p50)",
            cat_1.p50_us / 1e3,
            "ms",
            None,
            cat_1.p50_vs_floor,
        ),
        measure(
            "calls/s, 64 in flight, provider answers at once",
            fast.calls_per_s,
            "calls/s",
            Some(("at least half of direct HTTP", fast_ratio >= 0.5)),
            Some(fast_ratio),
        ),
        measure(
            "calls/s, 64 in flight, provider takes 200 ms",
            slow.calls_per_s,
            "calls/s",
            Some(("at least 95% of direct HTTP", slow_ratio >= 0.95)),
            Some(slow_ratio),
        ),
        measure(
            "supervisor adds over the child alone, 1 in flight (p50)",
            supervisor,
            "ms",
            Some(("under 0.1 ms median", supervisor < 0.1)),
            serve_1.p50_vs_floor,
        ),
        measure(
            "a bare relay (cat | child | cat) adds over the child alone, 1 in flight (p50)",
            relay,
            "ms",
            None,
            relay_1.p50_vs_floor,
        ),
        measure(
            "supervisor adds over the bare relay, 1 in flight (p50): its own cost",
            own,
            "ms",
            Some(("under 0.1 ms median", own < 0.1)),
            None,
        ),
        measure(
            "calls/s through serve, 64 in flight, instant provider",
            serve_fast.calls_per_s,
            "calls/s",
            None,
            serve_fast.throughput_vs_floor,
        ),
        measure(
            "calls/s through serve, 64 in flight, 200 ms provider",
            serve_slow.calls_per_s,
            "calls/s",
            None,
            serve_slow.throughput_vs_floor,
        ),
        measure(
            "Streamable HTTP adds over stdio, same backend, 1 in flight (p50)",
            over_http,
            "ms",
            None,
            http_1.p50_vs_floor,
        ),
        measure(
            "calls/s over Streamable HTTP, 64 in flight, instant provider",
            http_fast.calls_per_s,
            "calls/s",
            None,
            http_fast.throughput_vs_floor,
        ),
        measure(
            "CPU per call over Streamable HTTP, 64 in flight, instant provider",
            cpu(http_fast),
            "µs",
            None,
            None,
        ),
        measure(
            "CPU per call, llm-mcp-openai, 64 in flight, instant provider",
            cpu(fast),
            "µs",
            None,
            None,
        ),
        measure(
            "CPU per call, serve + child, 64 in flight, instant provider",
            cpu(serve_fast),
            "µs",
            None,
            None,
        ),
        measure(
            "CPU per call, llm-mcp-openai, 1 in flight, instant provider",
            cpu(openai_1),
            "µs",
            None,
            None,
        ),
        measure(
            "CPU per call, the supervisor alone (without its child), 1 in flight",
            own_cpu(serve_1),
            "µs",
            None,
            None,
        ),
        measure(
            "CPU per call, the supervisor alone (without its child), 64 in flight",
            own_cpu(serve_fast),
            "µs",
            None,
            None,
        ),
    ])
}
