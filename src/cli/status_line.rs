//! A one-line live status on stderr while a person waits: only when stderr is a terminal, so
//! scripts and logs never see escape codes, and never on stdout, which carries the answer.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Longer lines would wrap, and `\r` cannot clear a wrapped line.
const MAX_CHARS: usize = 76;

/// A status line redrawn every 100 ms until [`Ticker::stop`].
pub(crate) struct Ticker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Ticker {
    /// Starts redrawing `render(elapsed)` on stderr, or does nothing when stderr is not a
    /// terminal.
    pub(crate) fn start(render: impl Fn(Duration) -> String + Send + 'static) -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for frame in FRAMES.iter().cycle() {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                let text: String = render(started.elapsed()).chars().take(MAX_CHARS).collect();
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{frame} {text}");
                let _ = err.flush();
            }
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        });
        Some(Self { stop, task })
    }

    /// Stops redrawing and clears the line.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Stops `ticker` if there is one.
pub(crate) async fn stop(ticker: Option<Ticker>) {
    if let Some(ticker) = ticker {
        ticker.stop().await;
    }
}

/// Seconds with one decimal, the way the status lines show time.
pub(crate) fn seconds(elapsed: Duration) -> String {
    format!("{:.1}s", elapsed.as_secs_f64())
}

/// The end of `text` on one line, at most `max` characters: the newest streamed words.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = flat.chars().count();
    if count <= max {
        flat
    } else {
        let kept: String = flat.chars().skip(count - max + 1).collect();
        format!("…{kept}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_newest_text_on_one_line() {
        assert_eq!(tail("a\nb  c", 10), "a b c");
        assert_eq!(tail("abcdefghij", 5), "…ghij");
        assert_eq!(seconds(Duration::from_millis(1340)), "1.3s");
    }
}
