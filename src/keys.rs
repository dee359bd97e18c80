//! Key rotation: several keys in one variable take turns, and a rate-limited key rests for its
//! retry-after while the next one serves. With `--redis` the rests are shared by every
//! replica of the same name ([`crate::key_rests`]).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::key_rests::SharedRests;
use crate::secret::Secret;

/// The longest a key rests, whatever the provider asked: a day, which is also what an absurd
/// `retry-after` reads as, so such a key comes back tomorrow rather than never (and adding
/// the rest to an instant cannot overflow).
const MAX_REST: Duration = Duration::from_secs(24 * 3600);

/// The keys of one server and when each may be used again.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<Secret>,
    /// Every form of every key that is taken out of text (see [`crate::redact`]).
    forms: Vec<String>,
    state: Mutex<RingState>,
    /// The rests every replica sees, with `--redis`.
    shared: Option<SharedRests>,
}

#[derive(Debug)]
struct RingState {
    next: usize,
    resting_until: Vec<Option<Instant>>,
}

impl KeyRing {
    /// A ring over `keys` (possibly none).
    pub fn new(keys: Vec<Secret>) -> Self {
        let resting_until = vec![None; keys.len()];
        let forms = crate::redact::forms(keys.iter().map(Secret::expose));
        Self {
            keys,
            forms,
            state: Mutex::new(RingState {
                next: 0,
                resting_until,
            }),
            shared: None,
        }
    }

    /// A ring over `keys` whose rests are shared through the Redis of `redis` with every
    /// server called `name` (a single key has no other to turn to: nothing is shared).
    pub fn shared(keys: Vec<Secret>, redis: &crate::limits::SharedLimits, name: &str) -> Self {
        let count = keys.len();
        let mut ring = Self::new(keys);
        if count > 1 {
            ring.shared = Some(SharedRests::new(redis, name, count));
        }
        ring
    }

    /// Takes in the rests other replicas set, before a [`KeyRing::pick`]: a key resting
    /// there rests here too. Without `--redis` it does nothing.
    pub async fn refresh(&self) {
        let Some(shared) = &self.shared else { return };
        let Some(rests) = shared.load(self.keys.len()).await else {
            return;
        };
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (slot, left) in state.resting_until.iter_mut().zip(rests) {
            if let Some(until) = left.and_then(|left| now.checked_add(left)) {
                *slot = Some(slot.map_or(until, |own| own.max(until)));
            }
        }
    }

    /// Whether there is no key at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The next key that is not resting, in turn; when all rest, the one free soonest.
    /// Returns its index (for [`KeyRing::rest`]) and the key.
    pub fn pick(&self) -> Option<(usize, &Secret)> {
        if self.keys.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let count = self.keys.len();
        let start = state.next;
        let free = (0..count)
            .map(|offset| (start + offset) % count)
            .find(|&i| state.resting_until[i].is_none_or(|until| until <= now));
        let index = free.unwrap_or_else(|| {
            (0..count)
                .min_by_key(|&i| state.resting_until[i])
                .unwrap_or(0)
        });
        state.next = (index + 1) % count;
        Some((index, &self.keys[index]))
    }

    /// Marks key `index` as rate limited for `delay`, here and (with `--redis`) on every
    /// replica.
    pub async fn rest(&self, index: usize, delay: Duration) {
        let delay = delay.min(MAX_REST);
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(slot) = state.resting_until.get_mut(index) {
                *slot = Some(Instant::now() + delay);
            }
        }
        if let Some(shared) = &self.shared {
            shared.rest(index, delay).await;
        }
    }

    /// `text` with every configured key, in any of the forms it may come back in, replaced by
    /// `<redacted>`: providers sometimes quote the key they rejected in their error body, or
    /// echo it in an answer, and that text reaches the caller.
    pub fn redact(&self, text: &str) -> String {
        crate::redact::redact(text, &self.forms)
    }

    /// Whether some key other than `index` is free now, so a retry need not wait.
    pub fn another_is_free(&self, index: usize) -> bool {
        let now = Instant::now();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .resting_until
            .iter()
            .enumerate()
            .any(|(i, until)| i != index && until.is_none_or(|u| u <= now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> KeyRing {
        KeyRing::new((0..n).map(|i| Secret::new(format!("k{i}"))).collect())
    }

    #[tokio::test]
    async fn keys_take_turns_and_a_resting_key_is_skipped() {
        let ring = ring(3);
        let order: Vec<usize> = (0..4).map(|_| ring.pick().unwrap().0).collect();
        assert_eq!(order, vec![0, 1, 2, 0]);
        ring.rest(1, Duration::from_secs(60)).await;
        assert!(ring.another_is_free(1));
        let order: Vec<usize> = (0..3).map(|_| ring.pick().unwrap().0).collect();
        assert_eq!(order, vec![2, 0, 2]);
    }

    #[test]
    fn redact_removes_every_key() {
        let ring = ring(2);
        assert_eq!(
            ring.redact("bad key k0, also k1"),
            "bad key <redacted>, also <redacted>"
        );
    }

    #[tokio::test]
    async fn when_all_rest_the_one_free_soonest_is_used() {
        let ring = ring(2);
        ring.rest(0, Duration::from_secs(60)).await;
        ring.rest(1, Duration::from_secs(5)).await;
        assert!(!ring.another_is_free(0));
        assert_eq!(ring.pick().unwrap().0, 1);
        assert!(KeyRing::new(Vec::new()).pick().is_none());
    }
}
