//! The rate limiters of the supervisor's children, by child name: one per child for as long
//! as its limit stays the same, so a reload that changes another entry (or none) keeps every
//! bucket's level, and one that changes this child's limit starts it afresh. With
//! `serve --redis` the buckets live in Redis, shared by every replica of the supervisor.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::limiter::RateLimiter;
use super::redis::SharedLimits;
use super::spec::RateSpec;

/// Limiters by name, kept in this process or (with a Redis) shared.
#[derive(Debug, Default)]
pub struct Registry {
    limiters: Mutex<HashMap<String, Arc<RateLimiter>>>,
    redis: Option<SharedLimits>,
}

/// The Redis name of a supervisor child's limit: apart from a backend's own `--rate-limit`
/// of the same name, which is another setting with another bucket.
fn shared_name(name: &str) -> String {
    format!("serve.child.{name}")
}

impl Registry {
    /// Limiters whose buckets are in `redis` (every replica naming the same child and limit
    /// shares one), or in this process without one.
    pub fn new(redis: Option<SharedLimits>) -> Self {
        Self {
            limiters: Mutex::default(),
            redis,
        }
    }

    fn make(&self, name: &str, spec: RateSpec, setting: &str) -> Arc<RateLimiter> {
        Arc::new(match &self.redis {
            Some(redis) => RateLimiter::shared(spec, setting, redis.clone(), shared_name(name)),
            None => RateLimiter::local(spec, setting),
        })
    }

    /// The limiter of `name` for `spec` (none without one); `setting` names the field for
    /// messages.
    pub fn get(
        &self,
        name: &str,
        spec: Option<RateSpec>,
        setting: &str,
    ) -> Option<Arc<RateLimiter>> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        let Some(spec) = spec else {
            limiters.remove(name);
            return None;
        };
        let limiter = limiters
            .entry(name.to_string())
            .and_modify(|l| {
                if l.spec() != spec {
                    *l = self.make(name, spec, setting);
                }
            })
            .or_insert_with(|| self.make(name, spec, setting));
        Some(limiter.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_limiter_per_name_while_its_limit_stays() {
        let registry = Registry::default();
        let spec = RateSpec::parse("2", "x").unwrap();
        let first = registry.get("a", Some(spec), "rate_limit").unwrap();
        let again = registry.get("a", Some(spec), "rate_limit").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = registry.get("b", Some(spec), "rate_limit").unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        let changed = RateSpec::parse("3", "x").unwrap();
        let changed = registry.get("a", Some(changed), "rate_limit").unwrap();
        assert!(!Arc::ptr_eq(&first, &changed));
        assert!(registry.get("a", None, "rate_limit").is_none());
    }
}
