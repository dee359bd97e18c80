//! Which child tools `serve` lists: the config file's `expose`.
//!
//! `tools/list` always has the supervisor's own tools (`complete` routed with fallback,
//! `compare`, `providers`, `restart`). A child's own tools are listed as `NAME__tool` only
//! when `expose` names them, because every listed tool's schema costs the calling model
//! context on every turn (six backends' four tools each were about 24k tokens):
//!
//! ```json
//! {"mcpServers": {...}, "expose": ["anthropic__chat", "ollama__*"]}
//! ```
//!
//! An entry is `SERVER__TOOL` (one tool, by its listed name), `SERVER__*` (every tool of that
//! server) or `*` (every tool of every server). `SERVER` must be in `mcpServers`; a tool the
//! server does not list is reported on stderr once it has started. Without `expose` (the
//! built-in default too) only the own tools are listed.
//!
//! A child tool that is not listed can still be called by its `NAME__tool` name (scripts,
//! `providers` shows each server's tools): listing is about context, not access.

use super::{ConfigFileError, ServerSpec};

/// The `expose` entries, checked against the servers they name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expose(Vec<Pattern>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// `*`: every tool of every server.
    All,
    /// `SERVER__*`.
    Server(String),
    /// `SERVER__TOOL`, with the tool's listed (cleaned) name.
    Tool { server: String, tool: String },
}

impl Expose {
    /// Parses `entries` (the file's `expose`) for `servers`; an entry naming no configured
    /// server, or no tool, is refused with its index.
    pub fn parse(entries: &[String], servers: &[ServerSpec]) -> Result<Self, ConfigFileError> {
        let mut patterns = Vec::with_capacity(entries.len());
        for (n, entry) in entries.iter().enumerate() {
            let entry = entry.trim();
            if entry == "*" {
                patterns.push(Pattern::All);
                continue;
            }
            // Server names may themselves contain `__`: the longest configured prefix wins.
            let server = servers
                .iter()
                .map(|s| s.name.as_str())
                .filter(|name| {
                    entry
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with("__"))
                })
                .max_by_key(|name| name.len());
            let Some(server) = server else {
                let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
                return Err(ConfigFileError(format!(
                    "expose[{n}]: {entry:?} names no server in mcpServers; expected SERVER__TOOL, SERVER__* or * (servers: {})",
                    names.join(", ")
                )));
            };
            let tool = &entry[server.len() + 2..];
            patterns.push(match tool {
                "" => {
                    return Err(ConfigFileError(format!(
                        "expose[{n}]: {entry:?} names no tool; expected {server}__TOOL or {server}__*"
                    )));
                }
                "*" => Pattern::Server(server.to_string()),
                tool => Pattern::Tool {
                    server: server.to_string(),
                    tool: tool.to_string(),
                },
            });
        }
        Ok(Self(patterns))
    }

    /// Everything: what `"expose": ["*"]` says.
    pub fn all() -> Self {
        Self(vec![Pattern::All])
    }

    /// Whether the tool listed as `child`'s `tool` (its cleaned name) is to be listed.
    pub fn shows(&self, child: &str, tool: &str) -> bool {
        self.0.iter().any(|pattern| match pattern {
            Pattern::All => true,
            Pattern::Server(server) => server == child,
            Pattern::Tool { server, tool: name } => server == child && name == tool,
        })
    }

    /// One line per `SERVER__TOOL` entry that `child`, whose tools (cleaned names) are `tools`,
    /// does not have.
    pub fn unmatched(&self, child: &str, tools: &[String]) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|pattern| match pattern {
                Pattern::Tool { server, tool } if server == child && !tools.contains(tool) => {
                    Some(format!(
                        "expose: server {child} has no tool {tool:?} (its tools: {})",
                        tools.join(", ")
                    ))
                }
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn servers(names: &[&str]) -> Vec<ServerSpec> {
        names
            .iter()
            .map(|name| ServerSpec {
                name: name.to_string(),
                command: "x".into(),
                args: Vec::new(),
                env: BTreeMap::new(),
                inherit: Vec::new(),
            })
            .collect()
    }

    fn parse(entries: &[&str], names: &[&str]) -> Result<Expose, String> {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        Expose::parse(&entries, &servers(names)).map_err(|e| e.0)
    }

    #[test]
    fn entries_name_one_tool_a_server_or_everything() {
        let expose = parse(&["a__chat", "b__*"], &["a", "b", "c"]).unwrap();
        assert!(expose.shows("a", "chat"));
        assert!(!expose.shows("a", "complete"));
        assert!(expose.shows("b", "anything"));
        assert!(!expose.shows("c", "chat"));
        let all = parse(&["*"], &["a"]).unwrap();
        assert!(all.shows("zz", "t"));
        assert_eq!(all, Expose::all());
        assert!(!Expose::default().shows("a", "chat"));
    }

    #[test]
    fn the_longest_server_name_wins() {
        let expose = parse(&["my__srv__chat"], &["my", "my__srv"]).unwrap();
        assert!(expose.shows("my__srv", "chat"));
        assert!(!expose.shows("my", "srv__chat"));
    }

    #[test]
    fn unknown_servers_and_empty_tools_are_refused_with_their_index() {
        let err = parse(&["a__chat", "zz__chat"], &["a", "b"]).unwrap_err();
        assert!(
            err.starts_with("expose[1]: \"zz__chat\" names no server in mcpServers"),
            "{err}"
        );
        assert!(err.contains("servers: a, b"), "{err}");
        let err = parse(&["a__"], &["a"]).unwrap_err();
        assert!(err.contains("names no tool"), "{err}");
        assert!(parse(&["chat"], &["a"]).is_err());
    }

    #[test]
    fn a_tool_the_server_lacks_is_reported() {
        let expose = parse(&["a__chatt", "a__status", "b__x"], &["a", "b"]).unwrap();
        let tools = vec!["chat".to_string(), "status".to_string()];
        let lines = expose.unmatched("a", &tools);
        assert_eq!(
            lines,
            ["expose: server a has no tool \"chatt\" (its tools: chat, status)"]
        );
    }
}
