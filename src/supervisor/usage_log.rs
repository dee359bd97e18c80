//! `llm-mcp serve --usage-log FILE`: one JSON line per provider call the supervisor makes
//! (`complete`, each `compare` entry, each sampling request it answers), appended, for people
//! who want their own reports (`tool` is `complete`, `compare` or `sampling`):
//!
//! ```json
//! {"time":"2026-12-02T03:04:05Z","tool":"complete","provider":"anthropic","model":"claude-haiku-4-5","tokens":412,"input_tokens":380,"output_tokens":32,"cost_usd":0.00054,"latency_ms":812,"outcome":"ok"}
//! ```
//!
//! `outcome` is `ok` or the error's kind (`rate_limited`, `budget_exceeded`, ...); `tokens`,
//! `cost_usd` and `model` are null when unknown. Each line is written whole with one append, so
//! lines from concurrent calls never interleave. The file is the user's: it is never truncated
//! or rotated here (logrotate's `copytruncate` works with it).

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rmcp::model::CallToolResult;
use serde::Serialize;
use serde_json::Value;

use crate::client::ToolErrorMeta;

/// An open usage log.
pub struct UsageLog {
    file: Mutex<std::fs::File>,
}

/// One line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    time: String,
    tool: &'a str,
    provider: &'a str,
    model: Option<String>,
    tokens: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cost_usd: Option<f64>,
    latency_ms: u64,
    outcome: String,
}

impl UsageLog {
    /// Opens `path` for appending, creating it when absent.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Appends the line of one call to `provider` through `tool` that took `latency` and ended
    /// in `result` (a record, or a tool error); `model` is what was asked, used when the result
    /// does not say.
    pub fn write(
        &self,
        tool: &str,
        provider: &str,
        model: Option<&str>,
        latency: Duration,
        result: &CallToolResult,
    ) {
        let record = result.structured_content.as_ref();
        let field = |name: &str| record.and_then(|r| r.get(name));
        let usage = |name: &str| {
            field("usage")
                .and_then(|u| u.get(name))
                .and_then(Value::as_u64)
        };
        let outcome = match ToolErrorMeta::read(result) {
            None => "ok".to_string(),
            Some(meta) => meta.kind.map_or("error".into(), |k| k.to_string()),
        };
        let line = Line {
            time: super::budget::rfc3339(super::budget::now()),
            tool,
            provider,
            model: field("model")
                .and_then(Value::as_str)
                .or(model)
                .map(str::to_string),
            tokens: field("tokens_used").and_then(Value::as_u64),
            input_tokens: usage("input_tokens"),
            output_tokens: usage("output_tokens"),
            cost_usd: field("cost_usd").and_then(Value::as_f64),
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            outcome,
        };
        let Ok(mut text) = serde_json::to_vec(&line) else {
            return;
        };
        text.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(err) = file.write_all(&text) {
            tracing::error!("usage log: writing failed: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::ContentBlock;
    use serde_json::json;

    use super::*;
    use crate::error::{ErrorKind, LlmError};

    #[test]
    fn one_line_per_call_appended() {
        let dir = std::env::temp_dir().join(format!("llm-mcp-usage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("usage.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let log = UsageLog::open(&path).unwrap();
        let mut ok = CallToolResult::success(vec![ContentBlock::text("{}")]);
        ok.structured_content = Some(json!({"model": "m1", "tokens_used": 12, "cost_usd": 0.5,
            "usage": {"input_tokens": 10, "output_tokens": 2}}));
        log.write("complete", "a", None, Duration::from_millis(7), &ok);
        let failed = LlmError::new(ErrorKind::RateLimited, "slow down").to_tool_result("b");
        log.write(
            "compare",
            "b",
            Some("m2"),
            Duration::from_millis(3),
            &failed,
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["provider"], "a");
        assert_eq!(lines[1]["model"], "m1");
        assert_eq!(lines[1]["tokens"], 12);
        assert_eq!(lines[1]["input_tokens"], 10);
        assert_eq!(lines[1]["cost_usd"], 0.5);
        assert_eq!(lines[1]["latency_ms"], 7);
        assert_eq!(lines[1]["outcome"], "ok");
        assert_eq!(lines[2]["outcome"], "rate_limited");
        assert_eq!(lines[2]["model"], "m2");
        assert_eq!(lines[2]["tokens"], Value::Null);
        assert!(lines[2]["time"].as_str().unwrap().ends_with('Z'));
        let _ = std::fs::remove_dir_all(dir);
    }
}
