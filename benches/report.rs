//! The results: a markdown table on stdout (each measure beside its design §9 target and its
//! ratio to the direct HTTP floor) and the same as JSON under target/bench/ for comparisons.

use std::path::Path;

use serde::Serialize;

/// One measure of the summary table.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// What was measured.
    pub measure: String,
    /// The value, in `unit`.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The design's target, as written there.
    pub target: Option<&'static str>,
    /// Whether the target is met.
    pub met: Option<bool>,
    /// The value divided by the same measure of the direct HTTP floor.
    pub vs_floor: Option<f64>,
}

/// One load run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// `direct` (the floor), `openai` (llm-mcp-openai on stdio), `http` (the same over
    /// Streamable HTTP), `serve` (through the supervisor), `cat` (a pipe echo) or `relay` (the
    /// server behind `cat | … | cat`).
    pub path: &'static str,
    /// The fake provider's delay.
    pub delay_ms: u64,
    /// Calls in flight.
    pub inflight: usize,
    /// Calls per second.
    pub calls_per_s: f64,
    /// Latency percentiles, microseconds.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Calls behind the percentiles.
    pub samples: usize,
    /// CPU per call of the server process (serve: supervisor plus child), microseconds.
    pub cpu_us_per_call: Option<f64>,
    /// serve: the supervisor's own share of `cpu_us_per_call`, without its child.
    pub own_cpu_us_per_call: Option<f64>,
    /// calls_per_s over the floor's at the same delay and concurrency.
    pub throughput_vs_floor: Option<f64>,
    /// p50 over the floor's.
    pub p50_vs_floor: Option<f64>,
}

/// Everything one run of the benchmark found.
#[derive(Debug, Serialize)]
pub struct Report {
    /// UTC date and time of the run.
    pub date: String,
    /// Logical cores (`nproc`).
    pub cores: usize,
    /// /proc/loadavg before and after.
    pub load_before: String,
    /// After.
    pub load_after: String,
    /// The version benchmarked.
    pub version: &'static str,
    /// The cargo profile of the binaries measured (`release` or `dist`).
    pub profile: String,
    /// The summary, against the design's targets.
    pub measures: Vec<Measure>,
    /// Every load run.
    pub runs: Vec<RunRow>,
}

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or("—".into(), |v| format!("{v:.digits$}"))
}

fn fmt_value(value: f64, unit: &str) -> String {
    match unit {
        "ms" if value < 1.0 => format!("{value:.3} ms"),
        "ms" => format!("{value:.2} ms"),
        "MiB" => format!("{value:.1} MiB"),
        "calls/s" => format!("{value:.0} calls/s"),
        "µs" => format!("{value:.1} µs"),
        _ => format!("{value:.2} {unit}"),
    }
}

impl Report {
    /// The summary table and the table of runs, in markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "llm-mcp {} benchmark, {} profile, {} UTC, {} cores, load {} (before) / {} (after)\n\n",
            self.version, self.profile, self.date, self.cores, self.load_before, self.load_after
        );
        out.push_str("| measure | value | design §9 target | met | vs direct HTTP |\n");
        out.push_str("|---|---:|---|:-:|---:|\n");
        for m in &self.measures {
            let met = match m.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                m.measure,
                fmt_value(m.value, m.unit),
                m.target.unwrap_or(""),
                met,
                m.vs_floor.map_or(String::new(), |r| format!("{r:.2}×")),
            ));
        }
        out.push_str("\n| path | provider delay | in flight | calls/s | p50 | p95 | p99 | samples | CPU/call | calls/s vs direct | p50 vs direct |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.runs {
            out.push_str(&format!(
                "| {} | {} ms | {} | {:.0} | {:.3} ms | {:.3} ms | {:.3} ms | {} | {} | {} | {} |\n",
                r.path,
                r.delay_ms,
                r.inflight,
                r.calls_per_s,
                r.p50_us / 1e3,
                r.p95_us / 1e3,
                r.p99_us / 1e3,
                r.samples,
                r.cpu_us_per_call
                    .map_or("—".into(), |c| format!("{c:.0} µs")),
                fmt_opt(r.throughput_vs_floor, 2),
                fmt_opt(r.p50_vs_floor, 2),
            ));
        }
        out
    }

    /// Writes `results.json` and a dated copy into `dir`.
    pub fn save(&self, dir: &Path) -> std::io::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let stamp = self.date.replace(':', "");
        std::fs::write(dir.join(format!("results-{stamp}.json")), &json)?;
        let path = dir.join("results.json");
        std::fs::write(&path, json)?;
        Ok(path)
    }
}

/// Now, in UTC, as `YYYY-MM-DDTHH:MM:SSZ` (no date crate needed for one line).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The first three fields of /proc/loadavg.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
