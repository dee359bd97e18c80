//! The `latency` routing rule: the servers a `complete` call may go to, sorted by health.
//!
//! | rank | servers |
//! |---|---|
//! | first | not called yet (in plan order), so every server gets measured |
//! | then | with a measured latency, fastest p50 first |
//! | then | called, but never successfully |
//! | last | breaker open (or half-open with its probe in flight): skipped at once anyway |
//!
//! The sort is stable: servers that rank alike keep the configured order. A call that names a
//! tier keeps that tier's server first and sorts only its fallback; a call that names a
//! provider is not sorted (it has one server).

use std::time::Duration;

use super::router::Target;

/// Where one server sorts; smaller goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    open: bool,
    class: Class,
    p50: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Unmeasured,
    Measured,
    NeverAnswered,
}

impl Rank {
    /// A server with no calls yet.
    pub fn unmeasured() -> Self {
        Self::new(false, false, None)
    }

    /// A server whose breaker is `open` (or not), which has had calls (or not), with the p50
    /// of its successful calls (when it had one).
    pub fn new(open: bool, called: bool, p50: Option<Duration>) -> Self {
        let class = match (called, p50) {
            (false, _) => Class::Unmeasured,
            (true, Some(_)) => Class::Measured,
            (true, None) => Class::NeverAnswered,
        };
        Self {
            open,
            class,
            p50: p50.unwrap_or_default(),
        }
    }
}

/// Sorts `targets` by `rank`, keeping the first in place when `keep_first` (a named tier).
pub fn by_health(targets: &mut [Target], keep_first: bool, rank: impl Fn(&str) -> Rank) {
    let sortable = if keep_first {
        targets.get_mut(1..).unwrap_or_default()
    } else {
        targets
    };
    sortable.sort_by_cached_key(|t| rank(&t.server));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(names: &[&str]) -> Vec<Target> {
        (names.iter())
            .map(|n| Target {
                server: n.to_string(),
                model: None,
            })
            .collect()
    }

    fn names(targets: &[Target]) -> Vec<&str> {
        targets.iter().map(|t| t.server.as_str()).collect()
    }

    fn rank(name: &str) -> Rank {
        let ms = |n| Some(Duration::from_millis(n));
        match name {
            "slow" => Rank::new(false, true, ms(900)),
            "fast" => Rank::new(false, true, ms(20)),
            "open" => Rank::new(true, true, ms(1)),
            "failing" => Rank::new(false, true, None),
            _ => Rank::unmeasured(),
        }
    }

    #[test]
    fn unmeasured_then_fastest_then_never_answered_then_open() {
        let mut list = targets(&["open", "slow", "failing", "fast", "new", "newer"]);
        by_health(&mut list, false, rank);
        assert_eq!(
            names(&list),
            ["new", "newer", "fast", "slow", "failing", "open"]
        );
    }

    #[test]
    fn a_named_tier_keeps_its_server_first() {
        let mut list = targets(&["slow", "open", "fast"]);
        by_health(&mut list, true, rank);
        assert_eq!(names(&list), ["slow", "fast", "open"]);
        let mut one = targets(&["open"]);
        by_health(&mut one, true, rank);
        assert_eq!(names(&one), ["open"]);
    }
}
