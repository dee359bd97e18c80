//! The arithmetic of the two buckets, on seconds from any fixed origin: pure, so the local
//! limiter and the Redis script (which must agree with it) can be checked against the same
//! cases.
//!
//! Each bucket holds up to a minute's allowance and refills continuously. A request takes one
//! from the request bucket when it is admitted, which may leave the bucket below zero: that
//! is a place in line, and the caller waits until the level would have come back to zero.
//! The token bucket is charged each call's actual usage after it answers (it may go deep
//! below zero); a call is admitted only while it holds at least one token.

use super::spec::RateSpec;

/// One bucket: its level at `at` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    capacity: f64,
    per_second: f64,
    level: f64,
    at: f64,
}

impl Bucket {
    /// A full bucket of `per_minute`, at `now`.
    pub fn full(per_minute: f64, now: f64) -> Self {
        Self {
            capacity: per_minute,
            per_second: per_minute / 60.0,
            level: per_minute,
            at: now,
        }
    }

    /// The level at `now` (time never runs backwards here: a clock that does is ignored).
    fn refill(&mut self, now: f64) {
        if now > self.at {
            self.level = (self.level + (now - self.at) * self.per_second).min(self.capacity);
            self.at = now;
        }
    }

    /// Seconds until the bucket holds one unit.
    fn wait_for_one(&self) -> f64 {
        if self.level >= 1.0 {
            0.0
        } else {
            (1.0 - self.level) / self.per_second
        }
    }

    /// The level now, for tests and status.
    pub fn level(&self) -> f64 {
        self.level
    }
}

/// The request bucket and, when tokens are limited, the token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buckets {
    /// Requests.
    pub requests: Bucket,
    /// Tokens, when limited.
    pub tokens: Option<Bucket>,
}

impl Buckets {
    /// Full buckets for `spec` at `now`.
    pub fn new(spec: RateSpec, now: f64) -> Self {
        Self {
            requests: Bucket::full(f64::from(spec.requests_per_minute), now),
            tokens: spec.tokens_per_minute.map(|t| Bucket::full(t as f64, now)),
        }
    }

    /// Admits one request: `Ok(wait)` when it may go after `wait` seconds (its place is
    /// taken), `Err(wait)` without taking anything when that would be more than `max_wait`.
    pub fn reserve(&mut self, now: f64, max_wait: f64) -> Result<f64, f64> {
        self.requests.refill(now);
        // The request's own place in line: one unit below what is there now.
        let mut wait = self.requests.wait_for_one();
        if let Some(tokens) = &mut self.tokens {
            tokens.refill(now);
            wait = wait.max(tokens.wait_for_one());
        }
        if wait > max_wait {
            return Err(wait);
        }
        self.requests.level -= 1.0;
        Ok(wait)
    }

    /// Gives back a request admitted but never sent (its caller gave up while waiting).
    pub fn refund(&mut self, now: f64) {
        self.requests.refill(now);
        self.requests.level = (self.requests.level + 1.0).min(self.requests.capacity);
    }

    /// Charges `used` tokens of a call that answered.
    pub fn charge(&mut self, now: f64, used: u64) {
        if let Some(tokens) = &mut self.tokens {
            tokens.refill(now);
            tokens.level -= used as f64;
        }
    }

    /// Seconds until the token bucket holds a token again (0 when tokens are not limited).
    pub fn token_wait(&mut self, now: f64) -> f64 {
        match &mut self.tokens {
            Some(tokens) => {
                tokens.refill(now);
                tokens.wait_for_one()
            }
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(requests: u32, tokens: Option<u64>) -> RateSpec {
        RateSpec {
            requests_per_minute: requests,
            tokens_per_minute: tokens,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_minute_of_requests_goes_at_once_then_each_waits_its_turn() {
        let mut buckets = Buckets::new(spec(2, None), 0.0);
        assert_eq!(buckets.reserve(0.0, 0.0), Ok(0.0));
        assert_eq!(buckets.reserve(0.0, 0.0), Ok(0.0));
        // Two a minute: the next one in 30 s, and nothing is taken when that is too late.
        let err = buckets.reserve(0.0, 10.0).unwrap_err();
        assert!(close(err, 30.0), "{err}");
        assert!(close(buckets.requests.level(), 0.0));
        let wait = buckets.reserve(0.0, 60.0).unwrap();
        assert!(close(wait, 30.0), "{wait}");
        // The one after that waits behind it.
        let wait = buckets.reserve(0.0, 60.0).unwrap();
        assert!(close(wait, 60.0), "{wait}");
        // A refund gives its place back.
        buckets.refund(0.0);
        let wait = buckets.reserve(0.0, 60.0).unwrap();
        assert!(close(wait, 60.0), "{wait}");
    }

    #[test]
    fn it_refills_to_a_minute_at_most() {
        let mut buckets = Buckets::new(spec(60, None), 0.0);
        for _ in 0..60 {
            assert_eq!(buckets.reserve(0.0, 0.0), Ok(0.0));
        }
        assert!(buckets.reserve(0.0, 0.0).is_err());
        assert_eq!(buckets.reserve(1.0, 0.0), Ok(0.0));
        // An hour idle refills a minute's worth, not an hour's.
        for _ in 0..60 {
            assert_eq!(buckets.reserve(3600.0, 0.0), Ok(0.0));
        }
        assert!(buckets.reserve(3600.0, 0.0).is_err());
    }

    #[test]
    fn tokens_are_charged_after_and_hold_the_next_call_while_in_debt() {
        let mut buckets = Buckets::new(spec(100, Some(600)), 0.0);
        assert_eq!(buckets.reserve(0.0, 0.0), Ok(0.0));
        // The answer used 1200 tokens: 600 in debt, refilling at 10 a second.
        buckets.charge(0.0, 1200);
        let err = buckets.reserve(0.0, 5.0).unwrap_err();
        assert!(close(err, 60.1), "{err}");
        assert!(close(buckets.token_wait(30.0), 30.1));
        assert_eq!(buckets.reserve(60.1, 0.0), Ok(0.0));
        // Without a token limit, usage is not counted.
        let mut buckets = Buckets::new(spec(100, None), 0.0);
        buckets.charge(0.0, 1_000_000);
        assert_eq!(buckets.token_wait(0.0), 0.0);
        assert_eq!(buckets.reserve(0.0, 0.0), Ok(0.0));
    }
}
