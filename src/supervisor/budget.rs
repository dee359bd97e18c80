//! What the budgets of the config ([`super::config::budgets`]) have spent, over their rolling
//! windows, kept on disk across restarts; and the verdict on a call before it is sent.
//!
//! Each budget keeps its spend in buckets of a sixtieth of its window (a minute for `hour`, 24
//! minutes for `day`, 12 hours for `month`), so the file stays small (at most 61 buckets per
//! budget, at most [`MAX_BUDGETS`] budgets) and a window rolls with that precision. Spend comes from the
//! records: `cost_usd` (a record without a price adds no dollars) and `tokens_used`.
//!
//! The file is `$XDG_STATE_HOME/llm-mcp/budgets.json` (else `~/.local/state/llm-mcp/`),
//! rewritten after each counted call through a temporary file and a rename, so a crash leaves
//! the old or the new file, never half of one. A file that cannot be read is reported on
//! stderr and the budgets start empty: refusing to start would stop every call.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::config::budgets::MAX_BUDGETS;
use super::config::budgets::{Action, Budget, Scope, Window};
use crate::error::{ErrorKind, LlmError};

/// Buckets per window.
const BUCKETS: u64 = 60;

/// The largest file read back; anything bigger was not written by this module.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// One slice of a window: what was spent from `start` (unix seconds) for a sixtieth of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Bucket {
    start: u64,
    usd: f64,
    tokens: u64,
}

/// One budget's spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ledger {
    window: Window,
    buckets: VecDeque<Bucket>,
}

impl Ledger {
    fn new(window: Window) -> Self {
        Self {
            window,
            buckets: VecDeque::new(),
        }
    }

    fn bucket_seconds(&self) -> u64 {
        self.window.seconds() / BUCKETS
    }

    /// Drops the buckets that have left the window at `now`.
    fn roll(&mut self, now: u64) {
        let seconds = self.window.seconds();
        while self
            .buckets
            .front()
            .is_some_and(|b| b.start + seconds <= now)
        {
            self.buckets.pop_front();
        }
    }

    fn add(&mut self, now: u64, usd: f64, tokens: u64) {
        self.roll(now);
        let start = now - now % self.bucket_seconds();
        match self.buckets.back_mut() {
            Some(last) if last.start == start => {
                last.usd += usd;
                last.tokens = last.tokens.saturating_add(tokens);
            }
            _ => self.buckets.push_back(Bucket { start, usd, tokens }),
        }
        while self.buckets.len() as u64 > BUCKETS + 1 {
            self.buckets.pop_front();
        }
    }

    fn spent(&self) -> (f64, u64) {
        let usd = self.buckets.iter().map(|b| b.usd).sum();
        let tokens = self.buckets.iter().map(|b| b.tokens).sum();
        (usd, tokens)
    }

    /// When spend falls back under both limits: the end of the window of the bucket whose
    /// leaving brings it there (`now` when it already is).
    fn frees_at(&self, budget: &Budget, now: u64) -> u64 {
        let (mut usd, mut tokens) = self.spent();
        let over = |usd: f64, tokens: u64| {
            budget.usd.is_some_and(|limit| usd >= limit)
                || budget.tokens.is_some_and(|limit| tokens >= limit)
        };
        for bucket in &self.buckets {
            if !over(usd, tokens) {
                break;
            }
            usd -= bucket.usd;
            tokens -= bucket.tokens;
            if !over(usd, tokens) {
                return bucket.start + self.window.seconds();
            }
        }
        now
    }
}

/// The file: each budget's ledger by name.
#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    budgets: BTreeMap<String, Ledger>,
}

/// A budget that is spent: which, how much of what, and when it frees up.
#[derive(Debug, Clone, PartialEq)]
pub struct Spent {
    /// The budget's name.
    pub name: String,
    /// What it does.
    pub action: Action,
    /// `$5.02 of $5.00` or `120400 of 100000 tokens`, the limit reached.
    pub what: String,
    /// When enough old spend leaves the window for calls to go through again (unix seconds).
    pub frees_at: u64,
}

impl Spent {
    /// The `[budget_exceeded]` error for a call this budget refuses; `why` says what was tried
    /// first (a downgrade with nowhere to go).
    pub fn error(&self, why: Option<&str>) -> LlmError {
        let mut message = format!(
            "budget {:?} is spent ({} in its window); it frees up at {}",
            self.name,
            self.what,
            rfc3339(self.frees_at)
        );
        if let Some(why) = why {
            message.push_str("; ");
            message.push_str(why);
        }
        LlmError::new(ErrorKind::BudgetExceeded, message)
            .with_hint("raise the budget in the supervisor's config, or wait")
    }

    /// The warning a record carries when this `warn` budget is spent.
    pub fn warning(&self) -> String {
        format!(
            "budget {:?} is spent ({} in its window; frees up at {})",
            self.name,
            self.what,
            rfc3339(self.frees_at)
        )
    }
}

/// One budget as `status` shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BudgetStatus {
    /// Its name in the config.
    pub name: String,
    /// `overall`, `server NAME` or `tier NAME`.
    pub scope: String,
    /// hour, day or month (rolling).
    pub window: String,
    /// warn, block or downgrade.
    pub action: String,
    /// USD spent in the window.
    pub usd_spent: f64,
    /// The USD limit, if any.
    pub usd_limit: Option<f64>,
    /// Tokens spent in the window.
    pub tokens_spent: u64,
    /// The token limit, if any.
    pub tokens_limit: Option<u64>,
    /// Whether a limit is reached.
    pub spent: bool,
    /// When it frees up (RFC 3339), while spent.
    pub frees_at: Option<String>,
}

/// The budgets' spend, shared by every call.
pub struct Budgets {
    path: Option<PathBuf>,
    file: Mutex<File>,
}

/// Where the spend is kept: `$XDG_STATE_HOME/llm-mcp/budgets.json`, else
/// `$HOME/.local/state/llm-mcp/budgets.json`; `None` with neither set.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
    };
    set("XDG_STATE_HOME")
        .or_else(|| set("HOME").map(|home| home.join(".local").join("state")))
        .map(|dir| dir.join("llm-mcp").join("budgets.json"))
}

/// Now, in unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Unix seconds as an RFC 3339 UTC time.
pub(crate) fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

fn read(path: &Path) -> Result<File, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{size} bytes is more than a budget file holds"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn write(path: &Path, file: &File) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let text = serde_json::to_vec(file).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl Budgets {
    /// The spend kept at `path` (none kept when `None`: spend lasts as long as the process).
    pub fn open(path: Option<PathBuf>) -> Self {
        let file = match &path {
            Some(path) if path.exists() => read(path).unwrap_or_else(|err| {
                tracing::error!(
                    "budgets: {} cannot be read ({err}); starting from no spend",
                    path.display()
                );
                File::default()
            }),
            _ => File::default(),
        };
        Self {
            path,
            file: Mutex::new(file),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, File> {
        self.file.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The budgets of `budgets` covering a call to `server` on `tier` that are spent now.
    pub fn spent(&self, budgets: &[Budget], server: &str, tier: Option<&str>) -> Vec<Spent> {
        let now = now();
        let mut file = self.lock();
        budgets
            .iter()
            .filter(|b| b.covers(server, tier))
            .filter_map(|budget| {
                let ledger = ledger(&mut file, budget);
                ledger.roll(now);
                spent(budget, ledger, now)
            })
            .collect()
    }

    /// Counts a call answered by `server` on `tier` that cost `usd` and `tokens`, keeps it on
    /// disk, and returns the warnings of the `warn` budgets this call leaves spent.
    pub fn record(
        &self,
        budgets: &[Budget],
        server: &str,
        tier: Option<&str>,
        usd: f64,
        tokens: u64,
    ) -> Vec<String> {
        let now = now();
        let mut warnings = Vec::new();
        let mut file = self.lock();
        for budget in budgets.iter().filter(|b| b.covers(server, tier)) {
            let ledger = ledger(&mut file, budget);
            ledger.add(now, usd.max(0.0), tokens);
            if budget.action == Action::Warn
                && let Some(spent) = spent(budget, ledger, now)
            {
                warnings.push(spent.warning());
            }
        }
        // Budgets removed from the config are forgotten; the file stays bounded.
        file.budgets
            .retain(|name, _| budgets.iter().any(|b| &b.name == name));
        if let Some(path) = &self.path
            && let Err(err) = write(path, &file)
        {
            tracing::error!("budgets: writing {} failed: {err}", path.display());
        }
        warnings
    }

    /// Every budget of `budgets` with its spend, for `status`.
    pub fn report(&self, budgets: &[Budget]) -> Vec<BudgetStatus> {
        let now = now();
        let mut file = self.lock();
        budgets
            .iter()
            .map(|budget| {
                let ledger = ledger(&mut file, budget);
                ledger.roll(now);
                let (usd, tokens) = ledger.spent();
                let spent = spent(budget, ledger, now);
                BudgetStatus {
                    name: budget.name.clone(),
                    scope: match &budget.scope {
                        Scope::Overall => "overall".into(),
                        Scope::Server(name) => format!("server {name}"),
                        Scope::Tier(name) => format!("tier {name}"),
                    },
                    window: format!("{:?}", budget.window).to_lowercase(),
                    action: format!("{:?}", budget.action).to_lowercase(),
                    usd_spent: (usd * 1e6).round() / 1e6,
                    usd_limit: budget.usd,
                    tokens_spent: tokens,
                    tokens_limit: budget.tokens,
                    spent: spent.is_some(),
                    frees_at: spent.map(|s| rfc3339(s.frees_at)),
                }
            })
            .collect()
    }
}

/// `budget`'s ledger, new (or reset, when the window changed in the config). The file holds
/// the configured budgets only once written, and was at most [`MAX_FILE_BYTES`] when read.
fn ledger<'a>(file: &'a mut File, budget: &Budget) -> &'a mut Ledger {
    let ledger = file
        .budgets
        .entry(budget.name.clone())
        .or_insert_with(|| Ledger::new(budget.window));
    if ledger.window != budget.window {
        *ledger = Ledger::new(budget.window);
    }
    ledger
}

/// `budget` as spent, when a limit is reached.
fn spent(budget: &Budget, ledger: &Ledger, now: u64) -> Option<Spent> {
    let (usd, tokens) = ledger.spent();
    let what = match (budget.usd, budget.tokens) {
        (Some(limit), _) if usd >= limit => format!("${usd:.4} of ${limit:.2}"),
        (_, Some(limit)) if tokens >= limit => format!("{tokens} of {limit} tokens"),
        _ => return None,
    };
    Some(Spent {
        name: budget.name.clone(),
        action: budget.action,
        what,
        frees_at: ledger.frees_at(budget, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(window: Window, tokens: u64, action: Action) -> Budget {
        Budget {
            name: "b".into(),
            scope: Scope::Overall,
            window,
            usd: None,
            tokens: Some(tokens),
            action,
        }
    }

    #[test]
    fn a_window_rolls_and_says_when_it_frees_up() {
        let b = budget(Window::Hour, 100, Action::Block);
        let mut ledger = Ledger::new(Window::Hour);
        ledger.add(1_000_050, 0.0, 60);
        ledger.add(1_000_650, 0.0, 50);
        assert_eq!(ledger.spent(), (0.0, 110));
        let spent = spent(&b, &ledger, 1_000_650).unwrap();
        assert_eq!(spent.what, "110 of 100 tokens");
        // The first bucket (the minute from 1_000_020) leaves the window an hour later.
        assert_eq!(spent.frees_at, 1_000_020 + 3_600);
        ledger.roll(spent.frees_at);
        assert_eq!(ledger.spent(), (0.0, 50));
        assert!(super::spent(&b, &ledger, spent.frees_at).is_none());
    }

    #[test]
    fn buckets_are_bounded() {
        let mut ledger = Ledger::new(Window::Day);
        for n in 0..10_000 {
            ledger.add(n * 1_440, 0.01, 1);
        }
        assert!(ledger.buckets.len() as u64 <= BUCKETS + 1);
    }

    #[test]
    fn spend_survives_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("llm-mcp-budget-{}", std::process::id()));
        let path = dir.join("budgets.json");
        let budgets = vec![budget(Window::Day, 10, Action::Warn)];
        let first = Budgets::open(Some(path.clone()));
        assert!(first.record(&budgets, "a", None, 0.5, 4).is_empty());
        let warnings = first.record(&budgets, "a", None, 0.5, 6);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("budget \"b\" is spent (10 of 10 tokens"));
        let again = Budgets::open(Some(path.clone()));
        assert_eq!(again.spent(&budgets, "a", None).len(), 1);
        assert_eq!(again.report(&budgets)[0].tokens_spent, 10);
        std::fs::write(&path, "not json").unwrap();
        assert!(
            Budgets::open(Some(path))
                .spent(&budgets, "a", None)
                .is_empty()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_600), "2027-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_827_696), "2000-02-29T12:34:56Z");
    }

    #[test]
    fn the_state_dir_follows_xdg() {
        let env = |vars: &'static [(&str, &str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            default_path(&env(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")])),
            Some(PathBuf::from("/s/llm-mcp/budgets.json"))
        );
        assert_eq!(
            default_path(&env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/state/llm-mcp/budgets.json"))
        );
        assert_eq!(default_path(&env(&[])), None);
    }
}
