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

/// The processes whose parent is `pid`.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| {
            stat_fields(child)
                .and_then(|f| f.get(1)?.parse::<u32>().ok())
                .is_some_and(|parent| parent == pid)
        })
        .collect()
}

/// CPU seconds of `pid` and all its children (the supervisor and its backend servers).
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    let own = cpu_seconds(pid).unwrap_or(0.0);
    own + children(pid)
        .into_iter()
        .filter_map(cpu_seconds)
        .sum::<f64>()
}
