//! The calls an HTTP listener is still answering, so that shutdown can let them finish: a
//! [`CallGuard`] lives as long as a call's response body.

use std::time::Duration;

use tokio::sync::watch;

/// The number of calls in flight.
#[derive(Debug)]
pub(super) struct InFlight(watch::Sender<usize>);

impl InFlight {
    pub(super) fn new() -> Self {
        Self(watch::Sender::new(0))
    }

    /// Counts one call until the guard is dropped.
    pub(super) fn enter(&self) -> CallGuard {
        self.0.send_modify(|n| *n += 1);
        CallGuard(self.0.clone())
    }

    /// Waits until no call is in flight, at most `limit`; the calls still running then.
    pub(super) async fn drain(&self, limit: Duration) -> usize {
        let mut count = self.0.subscribe();
        let _ = tokio::time::timeout(limit, count.wait_for(|n| *n == 0)).await;
        *count.borrow()
    }
}

/// One call in flight.
#[derive(Debug)]
pub(super) struct CallGuard(watch::Sender<usize>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn drain_waits_for_the_calls_up_to_its_limit() {
        let calls = std::sync::Arc::new(InFlight::new());
        assert_eq!(calls.drain(Duration::from_secs(1)).await, 0);
        let first = calls.enter();
        let second = calls.enter();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(first);
        });
        let started = tokio::time::Instant::now();
        assert_eq!(calls.drain(Duration::from_secs(5)).await, 1);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        drop(second);
        assert_eq!(calls.drain(Duration::from_secs(5)).await, 0);
    }
}
