//! What /proc says about a process: resident memory (now and peak) and CPU time.

/// Clock ticks per second of `utime`/`stime` in /proc/PID/stat: `USER_HZ`, which Linux fixes
/// at 100 for user space on every architecture it exports to.
const USER_HZ: f64 = 100.0;

/// A field of /proc/PID/status in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len() + 1..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Fields of /proc/PID/stat after the command name (which may hold spaces), 0-based from
/// field 3 (`state`).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// User plus system CPU time of `pid`, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let fields = stat_fields(pid)?;
    // utime and stime are fields 14 and 15 of the whole line, 11 and 12 from `state`.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// Every process below `pid`: its children, theirs, and so on.
pub fn descendants(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // (process, parent) for every process, read once.
    let parents: Vec<(u32, u32)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| Some((p, stat_fields(p)?.get(1)?.parse().ok()?)))
        .collect();
    let mut found = vec![pid];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        next += 1;
    }
    found.remove(0);
    found
}

/// The servers `serve` (`pid`) runs: its descendants without the keepers it runs each under
/// (`llm-mcp __keep ...`, src/supervisor/keeper.rs), which only wait for their child.
pub fn servers(pid: u32) -> Vec<u32> {
    descendants(pid)
        .into_iter()
        .filter(|&p| !is_keeper(p))
        .collect()
}

/// Whether `pid` is a keeper: its first argument is `__keep`.
fn is_keeper(pid: u32) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    cmdline.split(|&b| b == 0).nth(1) == Some(b"__keep")
}

/// CPU seconds of `pid` and every process below it (the supervisor, its keepers and its
/// backend servers).
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    let own = cpu_seconds(pid).unwrap_or(0.0);
    own + descendants(pid)
        .into_iter()
        .filter_map(cpu_seconds)
        .sum::<f64>()
}
