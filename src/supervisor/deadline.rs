//! `compare`'s `deadline_s`: each provider's call runs under its own cancellation token, a
//! child of the client's; when the deadline passes, the token is cancelled, which tells the
//! child (`notifications/cancelled`) and ends the call at once, and its entry says `timeout`.
//! A call cut off this way is the caller's choice, so it counts neither against the child's
//! health nor its breaker.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::forward::Caller;
use crate::error::{ErrorKind, LlmError};

/// The longest `deadline_s` accepted: an hour (the supervisor's call timeout bounds each call
/// anyway; a longer deadline would only be a typo).
const MAX_DEADLINE: Duration = Duration::from_secs(3600);

/// The deadline `deadline_s` asks for, from `now`: none when absent; `[bad_request]` when it
/// is not a number of seconds above 0 and at most 3600.
pub fn from_args(deadline_s: Option<f64>, now: Instant) -> Result<Option<Instant>, LlmError> {
    let Some(seconds) = deadline_s else {
        return Ok(None);
    };
    match Duration::try_from_secs_f64(seconds) {
        Ok(wait) if !wait.is_zero() && wait <= MAX_DEADLINE => Ok(Some(now + wait)),
        _ => Err(LlmError::new(
            ErrorKind::BadRequest,
            format!("deadline_s is {seconds}; expected seconds above 0, at most 3600"),
        )),
    }
}

/// A copy of `caller` whose token is its own child: cancelling it ends one call, not the
/// client's request.
pub fn own_caller(caller: &Caller) -> Caller {
    Caller {
        progress: caller.progress.clone(),
        ct: caller.ct.child_token(),
    }
}

/// How long a call cut off by the deadline gets to wind down (tell its child) before it is
/// dropped.
const WIND_DOWN: Duration = Duration::from_secs(1);

/// `call`'s output, or `None` when `deadline` passed first; then `token` (the call's own) is
/// cancelled and the call is awaited as it winds down (at most a second), so the child hears
/// of it.
pub async fn within<F: Future>(
    deadline: Option<Instant>,
    token: &CancellationToken,
    call: F,
) -> Option<F::Output> {
    let Some(deadline) = deadline else {
        return Some(call.await);
    };
    tokio::pin!(call);
    tokio::select! {
        // An answer that is in when the deadline passes still counts.
        biased;
        output = &mut call => Some(output),
        _ = tokio::time::sleep_until(deadline) => {
            token.cancel();
            let _ = tokio::time::timeout(WIND_DOWN, call).await;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_positive_and_bounded() {
        let now = Instant::now();
        assert_eq!(from_args(None, now).unwrap(), None);
        assert_eq!(
            from_args(Some(1.5), now).unwrap(),
            Some(now + Duration::from_millis(1500))
        );
        for bad in [0.0, -1.0, f64::NAN, 3601.0] {
            let err = from_args(Some(bad), now).unwrap_err();
            assert_eq!(err.kind, ErrorKind::BadRequest, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_late_call_is_cancelled_and_awaited() {
        let token = CancellationToken::new();
        let watched = token.clone();
        let slow = async move {
            watched.cancelled().await;
            "wound down"
        };
        let deadline = Some(Instant::now() + Duration::from_millis(20));
        assert_eq!(within(deadline, &token, slow).await, None);
        assert!(token.is_cancelled());
        let deadline = Some(Instant::now() + Duration::from_secs(5));
        let quick = within(deadline, &CancellationToken::new(), async { 7 }).await;
        assert_eq!(quick, Some(7));
    }
}
