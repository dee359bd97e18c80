//! Who is whose parent, read from `/proc`: a process's children and all its descendants.
//!
//! Read from each `/proc/PID/stat` (its fourth field is the parent's pid), which every Linux
//! has, rather than `/proc/PID/task/TID/children`, which needs `CONFIG_PROC_CHILDREN` and
//! lists only the children of one thread.

use std::collections::HashMap;

/// Every live process's parent, by pid. A process that exits while it is read is left out.
fn parents() -> HashMap<u32, u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            Some((pid, parent_of(pid)?))
        })
        .collect()
}

/// The parent of `pid` from `/proc/PID/stat`. The command name (second field) is in
/// parentheses and may hold spaces or parentheses itself, so the fields after it are read from
/// the last `)`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    // ") STATE PPID ..."
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// The children of `pid`, lowest pid first. Read from the one file that lists them when the
/// kernel has it and `pid` is single-threaded (a keeper), else from every process's parent.
pub fn children(pid: u32) -> Vec<u32> {
    let listed = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
    let single = std::fs::read_dir(format!("/proc/{pid}/task")).is_ok_and(|t| t.count() == 1);
    if let (Ok(listed), true) = (listed, single) {
        let mut children: Vec<u32> = listed
            .split_ascii_whitespace()
            .filter_map(|c| c.parse().ok())
            .collect();
        children.sort_unstable();
        return children;
    }
    let mut children: Vec<u32> = (parents().into_iter())
        .filter(|&(_, parent)| parent == pid)
        .map(|(child, _)| child)
        .collect();
    children.sort_unstable();
    children
}

/// Every descendant of `pid` (children, their children, ...), not `pid` itself.
pub fn descendants(pid: u32) -> Vec<u32> {
    let parents = parents();
    let mut by_parent: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&child, &parent) in &parents {
        by_parent.entry(parent).or_default().push(child);
    }
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(parent) = next.pop() {
        for &child in by_parent
            .get(&parent)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            // A pid is its own ancestor only in a torn read; never loop on it.
            if child != pid && !found.contains(&child) {
                found.push(child);
                next.push(child);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawned_process_is_our_child_and_descendant() {
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep runs");
        let me = std::process::id();
        assert_eq!(parent_of(sleeper.id()), Some(me));
        assert!(children(me).contains(&sleeper.id()));
        assert!(descendants(me).contains(&sleeper.id()));
        assert!(!descendants(sleeper.id()).contains(&me));
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
    }
}
