//! What happens to a spawned server's stderr: inherited, discarded, or captured so that a failed
//! start or a crash can say what the server said last.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::ChildStderr;
use tokio::task::JoinHandle;

/// Where a spawned server's stderr goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StderrMode {
    /// Keep the last lines in memory (for error messages and [`super::LlmClient::stderr_tail`])
    /// and pass every line to `tracing` at debug level.
    #[default]
    Capture,
    /// Write it to this process's stderr, as a shell would.
    Inherit,
    /// Discard it.
    Null,
}

impl StderrMode {
    pub(crate) fn stdio(self) -> Stdio {
        match self {
            Self::Capture => Stdio::piped(),
            Self::Inherit => Stdio::inherit(),
            Self::Null => Stdio::null(),
        }
    }
}

/// How many lines are kept, and how long each may be.
const KEPT_LINES: usize = 20;
const MAX_LINE_CHARS: usize = 400;

/// The last lines of a server's stderr, filled by a background task until the pipe closes.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    reader: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl StderrTail {
    /// Starts reading `pipe` (when there is one) into the tail.
    pub(crate) fn start(pipe: Option<ChildStderr>) -> Self {
        let tail = Self::default();
        if let Some(pipe) = pipe {
            let lines = Arc::clone(&tail.lines);
            let task = tokio::spawn(async move {
                let mut reader = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    tracing::debug!(target: "llm_mcp::client::stderr", "{line}");
                    let line: String = line.chars().take(MAX_LINE_CHARS).collect();
                    let mut kept = lines.lock().unwrap_or_else(|p| p.into_inner());
                    if kept.len() == KEPT_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            });
            *tail.reader.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        }
        tail
    }

    /// The lines kept so far, oldest first, without blank ones.
    pub(crate) fn lines(&self) -> Vec<String> {
        let kept = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect()
    }

    /// The lines, after giving the reader a moment to drain a server that just exited: its
    /// last words and the end of its stdout race, and the words matter more.
    pub(crate) async fn settled_lines(&self) -> Vec<String> {
        let task = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut task) = task {
            let drained = tokio::time::timeout(Duration::from_millis(300), &mut task).await;
            if drained.is_err() {
                // Still running (the server is alive): keep reading.
                *self.reader.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
            }
        }
        self.lines()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_last_lines_of_an_exited_process() {
        let mut child = tokio::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 30 ]; do echo line$i >&2; i=$((i+1)); done; echo >&2",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let tail = StderrTail::start(child.stderr.take());
        child.wait().await.unwrap();
        let lines = tail.settled_lines().await;
        assert_eq!(lines.len(), KEPT_LINES - 1, "blank lines are dropped");
        assert_eq!(lines.first().map(String::as_str), Some("line11"));
        assert_eq!(lines.last().map(String::as_str), Some("line29"));
    }
}
