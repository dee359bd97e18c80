//! The rate limiters of the supervisor's children, by child name: one per child for as long
//! as its limit stays the same, so a reload that changes another entry (or none) keeps every
//! bucket's level, and one that changes this child's limit starts it afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::limiter::RateLimiter;
use super::spec::RateSpec;

/// Limiters by name.
#[derive(Debug, Default)]
pub struct Registry(Mutex<HashMap<String, Arc<RateLimiter>>>);

impl Registry {
    /// The limiter of `name` for `spec` (none without one); `setting` names the field for
    /// messages.
    pub fn get(
        &self,
        name: &str,
        spec: Option<RateSpec>,
        setting: &str,
    ) -> Option<Arc<RateLimiter>> {
        let mut limiters = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(spec) = spec else {
            limiters.remove(name);
            return None;
        };
        let limiter = limiters
            .entry(name.to_string())
            .and_modify(|l| {
                if l.spec() != spec {
                    *l = Arc::new(RateLimiter::local(spec, setting));
                }
            })
            .or_insert_with(|| Arc::new(RateLimiter::local(spec, setting)));
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
