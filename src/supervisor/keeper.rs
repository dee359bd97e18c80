//! The keeper: a small process between `serve` and each child that ends the child's whole
//! subtree, including what left its process group, when the child ends, when `serve` asks, and
//! when `serve` dies (even by SIGKILL).
//!
//! `serve` runs `llm-mcp __keep SERVE_PID PROGRAM ARGS...` (see [`super::process`]); the keeper
//! starts PROGRAM as its only child, in a process group of its own, with the keeper's stdin,
//! stdout and stderr (the pipes to `serve`: nothing is copied), and waits:
//!
//! - It is a child subreaper (`PR_SET_CHILD_SUBREAPER`), so whatever the child starts and
//!   abandons, even after `setsid`, is re-parented to the keeper instead of to init: every
//!   descendant stays in `/proc` as a descendant of the keeper, where [`proc_tree`] finds it.
//! - Its parent-death signal (`PR_SET_PDEATHSIG`) is SIGHUP, so when `serve` dies, by SIGKILL
//!   too, the kernel tells the keeper. The signal follows the *thread* that forked the keeper,
//!   which is why `serve` forks keepers from one thread that lives as long as the process.
//! - SIGHUP (from the kernel or from `serve`): SIGKILL to every descendant, until none is left.
//!   SIGTERM and SIGINT: passed on to the child's process group, as `serve` used to send them.
//! - When the child exits, whatever it left behind is killed the same way, and the keeper
//!   exits as the child did (the same code, or killed by the same signal), so `serve` reports
//!   the child's exit and "exited" means that nothing of it is left.
//!
//! The signals are blocked and taken with `sigwait` in the one thread the keeper has, so no
//! handler runs; they are blocked only after the child is started, since a child inherits
//! the mask. The keeper never reads or writes the pipes: once the child runs it swaps its own
//! stdin and stdout for /dev/null, so the pipes close when the child (and what it started)
//! closes them.
//!
//! Why a keeper rather than `serve` itself as the subreaper: only a process that outlives
//! `serve` can clean up after a SIGKILL of `serve`, and the pdeathsig of a child cannot be set
//! without code between fork and exec (`unsafe` here); a subreaper `serve` would also have to
//! reap orphans with `waitpid(-1)`, which races with tokio's own reaping of its children. The
//! keeper is the `llm-mcp` binary itself, single-threaded, without a runtime, and costs what
//! `llm-mcp --version` costs: measured on a debug build, 17.5 MiB of RSS of which 14 MiB are
//! the binary's pages shared with `serve` and the other keepers, and 3.3 MiB its own.
//!
//! What is left: a keeper killed by SIGKILL from outside loses its subtree (its child and the
//! child's group are still killed by `serve`, which sees the keeper exit; what left the group
//! is re-parented to init).

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::{SigSet, Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpid, getppid};

use super::proc_tree;

/// The first argument that makes `llm-mcp` a keeper. Not a subcommand: it is read before the
/// command line is parsed and before any runtime starts, so the keeper costs little.
pub const MODE: &str = "__keep";

/// The exit code of a keeper that could not start its program (as a shell's 127).
pub const COULD_NOT_START: i32 = 127;

/// Becomes the keeper, and never returns, when the command line asks for it.
pub fn run_if_asked() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(MODE)) {
        return;
    }
    crate::run::init_logging();
    let status = keep(args.collect());
    exit_as(status)
}

/// How the keeper ends: as its child did, or with a code of its own.
enum Ending {
    Child(WaitStatus),
    Code(i32),
}

fn keep(args: Vec<OsString>) -> Ending {
    let [parent, program, args @ ..] = args.as_slice() else {
        tracing::error!("usage: llm-mcp {MODE} PARENT_PID PROGRAM [ARGS...]");
        return Ending::Code(2);
    };
    let Some(parent) = parent.to_str().and_then(|p| p.parse::<i32>().ok()) else {
        tracing::error!("llm-mcp {MODE}: the parent pid is not a number");
        return Ending::Code(2);
    };
    // Before the child exists, so that nothing it abandons, however early, escapes to init.
    if let Err(err) = prctl::set_child_subreaper(true) {
        tracing::warn!(%err, "PR_SET_CHILD_SUBREAPER failed: what the child abandons may survive it");
    }
    // serve died between forking us and now: we were re-parented already.
    if getppid() != Pid::from_raw(parent) {
        return Ending::Code(1);
    }
    // The signals are blocked only once the child runs: a child inherits the signal mask
    // (the standard library does not reset it), and one started with SIGTERM or SIGCHLD
    // blocked would never see them.
    let child = match std::process::Command::new(program)
        .args(args)
        .process_group(0)
        .spawn()
    {
        Ok(child) => Pid::from_raw(child.id() as i32),
        Err(err) => {
            tracing::error!("could not start {}: {err}", program.to_string_lossy());
            return Ending::Code(COULD_NOT_START);
        }
    };
    let signals = watched_signals();
    if let Err(err) = signals.thread_block() {
        tracing::error!(%err, "the keeper cannot block its signals; ending its child");
        let mut status = None;
        end_subtree(child, &mut status);
        return status.map_or(Ending::Code(1), Ending::Child);
    }
    // Also the sign, for serve, that the signals are blocked: it signals us only after this.
    release_stdio();
    // Blocked first, so that it waits as pending; then checked once more, in case serve died
    // before it was set.
    if let Err(err) = prctl::set_pdeathsig(Signal::SIGHUP) {
        tracing::warn!(%err, "PR_SET_PDEATHSIG failed: a SIGKILL of serve would leave the child");
    }
    let mut status = None;
    if getppid() != Pid::from_raw(parent) {
        end_subtree(child, &mut status);
        return status.map_or(Ending::Code(1), Ending::Child);
    }
    // A child that exited before SIGCHLD was blocked sent a signal that was discarded.
    reap(child, &mut status);
    while status.is_none() {
        match signals.wait() {
            Ok(Signal::SIGCHLD) => {
                reap(child, &mut status);
            }
            Ok(signal @ (Signal::SIGTERM | Signal::SIGINT)) => {
                let _ = killpg(child, signal);
            }
            Ok(Signal::SIGHUP) => break,
            Ok(_) | Err(_) => {}
        }
    }
    end_subtree(child, &mut status);
    // The child was reaped above, by its own exit or by our SIGKILL.
    status.map_or(Ending::Code(1), Ending::Child)
}

fn watched_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGHUP,
        Signal::SIGTERM,
        Signal::SIGINT,
    ] {
        set.add(signal);
    }
    set
}

/// Points our stdin and stdout at /dev/null: the child has its own copies of the pipes.
fn release_stdio() {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        Ok(null) => {
            let _ = nix::unistd::dup2_stdin(&null);
            let _ = nix::unistd::dup2_stdout(&null);
        }
        Err(err) => tracing::warn!(%err, "the keeper keeps its pipes open: /dev/null"),
    }
}

/// Reaps every child that has exited, noting the status of `child` when it is among them.
/// Returns whether any child is left.
fn reap(child: Pid, status: &mut Option<WaitStatus>) -> bool {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return true,
            Ok(ended) => {
                let ours = matches!(ended, WaitStatus::Exited(..) | WaitStatus::Signaled(..));
                if ours && ended.pid() == Some(child) {
                    *status = Some(ended);
                }
            }
            Err(Errno::EINTR) => {}
            Err(Errno::ECHILD) => return false,
            Err(_) => return true,
        }
    }
}

/// SIGKILL to every descendant, again and again (one may fork before it dies; an orphan comes
/// to us when its parent dies), until we have no child left.
fn end_subtree(child: Pid, status: &mut Option<WaitStatus>) {
    let me = getpid().as_raw() as u32;
    loop {
        for pid in proc_tree::descendants(me) {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        if !reap(child, status) {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Exits as `ending` says: by the child's signal (unblocked only now, so that it kills us
/// with its default action) or with its code.
fn exit_as(ending: Ending) -> ! {
    let code = match ending {
        Ending::Child(WaitStatus::Exited(_, code)) => code,
        Ending::Child(WaitStatus::Signaled(_, signal, _)) => {
            let _ = kill(getpid(), signal);
            let _ = SigSet::all().thread_unblock();
            // Still here: the signal is ignored by default (or was ignored when serve
            // started us); say it the way a shell does.
            128 + signal as i32
        }
        Ending::Child(_) => 1,
        Ending::Code(code) => code,
    };
    std::process::exit(code)
}
