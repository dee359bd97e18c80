//! The result of checking one server ([`Row`]) and the two ways it is printed: a table for
//! people, a JSON array for machines.

use serde::Serialize;
use serde_json::Value;

/// One check of one server.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    /// `start`, `tools/list`, `status` or `complete`.
    pub check: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// How long it took.
    pub ms: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything learned about one server.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// The server's name (from the config, or the command's file name).
    pub server: String,
    /// Its command line (program and arguments; never its environment).
    pub command: String,
    /// Whether every check passed.
    pub ok: bool,
    /// The first check that failed.
    pub failed_check: Option<&'static str>,
    /// Why it failed.
    pub error: Option<String>,
    /// `serverInfo.name`.
    pub server_name: Option<String>,
    /// `serverInfo.version`.
    pub server_version: Option<String>,
    /// The protocol version negotiated in `initialize`.
    pub protocol_version: Option<String>,
    /// How many tools it lists.
    pub tools: Option<usize>,
    /// Spawn to the end of the handshake.
    pub start_ms: Option<u64>,
    /// The `complete` call.
    pub call_ms: Option<u64>,
    /// The model that answered `complete`.
    pub model: Option<String>,
    /// Its token count.
    pub tokens_used: Option<u64>,
    /// What `status` said (it never holds a key).
    pub status: Option<Value>,
    /// Each check run, in order.
    pub checks: Vec<Check>,
}

impl Row {
    /// A row for a server no check has run on yet.
    pub fn new(server: String, command: String) -> Self {
        Self {
            server,
            command,
            ok: true,
            failed_check: None,
            error: None,
            server_name: None,
            server_version: None,
            protocol_version: None,
            tools: None,
            start_ms: None,
            call_ms: None,
            model: None,
            tokens_used: None,
            status: None,
            checks: Vec::new(),
        }
    }

    /// Records a check; the first failure becomes the row's result.
    pub fn record(&mut self, check: &'static str, ms: u64, error: Option<String>) {
        if let Some(message) = &error
            && self.ok
        {
            self.ok = false;
            self.failed_check = Some(check);
            self.error = Some(message.clone());
        }
        self.checks.push(Check {
            check,
            ok: error.is_none(),
            ms,
            error,
        });
    }

    /// `ok`, or the failed check and its whole error (possibly several lines).
    fn result(&self) -> String {
        match (&self.failed_check, &self.error) {
            (Some(check), Some(error)) => format!("{check}: {}", error.trim_end()),
            _ => "ok".into(),
        }
    }
}

/// The rows as a JSON array, one object per server.
pub(crate) fn json(rows: &[Row]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_default()
}

/// The rows as an aligned table: server, protocol version, tools, start, call, result.
pub(crate) fn table(rows: &[Row]) -> String {
    let dash = || "-".to_string();
    let ms = |v: Option<u64>| v.map_or_else(dash, |v| format!("{v}ms"));
    let mut cells = vec![[
        "SERVER".to_string(),
        "PROTOCOL".into(),
        "TOOLS".into(),
        "START".into(),
        "CALL".into(),
        "RESULT".into(),
    ]];
    for row in rows {
        cells.push([
            row.server.clone(),
            row.protocol_version.clone().unwrap_or_else(dash),
            row.tools.map_or_else(dash, |n| n.to_string()),
            ms(row.start_ms),
            ms(row.call_ms),
            row.result(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|col| {
            cells
                .iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    // A cause of several lines continues under the RESULT column, whole: it is what the
    // table is for.
    let indent = " ".repeat(widths.iter().map(|w| w + 2).sum());
    let mut out = String::new();
    for row in &cells {
        for (col, width) in widths.iter().enumerate() {
            out.push_str(&format!("{:<width$}  ", row[col]));
        }
        let mut lines = row[5].lines();
        out.push_str(lines.next().unwrap_or_default());
        out.push('\n');
        for line in lines {
            out.push_str(&indent);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_is_the_result_and_the_table_aligns() {
        let mut good = Row::new("mock".into(), "llm-mcp-mock".into());
        good.record("start", 5, None);
        good.protocol_version = Some("2025-11-25".into());
        good.tools = Some(4);
        good.start_ms = Some(5);
        good.call_ms = Some(1);
        let mut bad = Row::new("broken-one".into(), "nope".into());
        bad.record("start", 0, Some("could not start nope\nmore".into()));
        bad.record("tools/list", 0, Some("later".into()));
        assert!(!bad.ok);
        assert_eq!(bad.failed_check, Some("start"));
        assert_eq!(bad.error.as_deref(), Some("could not start nope\nmore"));

        let text = table(&[good, bad]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("SERVER      PROTOCOL    TOOLS  START  CALL  RESULT"));
        assert!(lines[1].starts_with("mock        2025-11-25  4      5ms    1ms   ok"));
        assert!(lines[2].ends_with("start: could not start nope"), "{text}");
        // The second line of the cause, under the RESULT column.
        assert_eq!(
            lines[3],
            format!("{}more", " ".repeat(lines[0].find("RESULT").unwrap()))
        );
    }

    #[test]
    fn a_long_cause_is_shown_whole() {
        let cause = format!("unreachable: {}", "a very long reason ".repeat(20));
        let mut row = Row::new("far".into(), "x".into());
        row.record("status", 3, Some(cause.clone()));
        let text = table(&[row]);
        assert!(text.contains(cause.trim_end()), "{text}");
    }
}
