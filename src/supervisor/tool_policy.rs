//! Which of a child's tools exist for the supervisor's clients at all: the `tools` (allow
//! list) and `exclude_tools` of its `mcpServers` entry.
//!
//! ```json
//! {"mcpServers": {
//!   "files": {"command": "some-mcp-server", "tools": ["read_file", "list_dir"]},
//!   "anthropic": {"command": "llm-mcp-anthropic", "exclude_tools": ["chat"]}
//! }}
//! ```
//!
//! A hidden tool is neither listed (whatever `expose` says) nor callable as `NAME__tool`: the
//! call is refused as an unknown tool, the same answer as for a name that never existed, so a
//! policy does not tell the caller what it hides. With `tools`, only the tools named are kept;
//! `exclude_tools` then removes names from what is left. Names are the child's own tool names
//! (as `providers` shows them); a name the started child does not have is reported on stderr.
//!
//! Unlike `expose` (which only chooses what the list shows, to save context), this is about
//! access. The supervisor's own `complete` and `compare` still use a child's `complete` tool:
//! to keep a child out of routing, leave it out of `default`, `fallback` and `tiers`.

use super::config_error::ConfigFileError;

/// One child's tool policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolPolicy {
    /// Only these tools, when set.
    pub allow: Option<Vec<String>>,
    /// Never these.
    pub exclude: Vec<String>,
}

/// The longest list either field may hold.
const MAX_NAMES: usize = 1_000;

impl ToolPolicy {
    /// The policy of the entry `server`, from its `tools` and `exclude_tools`; empty names and
    /// overlong lists are refused.
    pub fn parse(
        server: &str,
        allow: Option<Vec<String>>,
        exclude: Vec<String>,
    ) -> Result<Self, ConfigFileError> {
        let lists = [
            ("tools", allow.as_deref()),
            ("exclude_tools", Some(&exclude)),
        ];
        for (field, names) in lists {
            let names = names.unwrap_or_default();
            if names.len() > MAX_NAMES {
                return Err(ConfigFileError(format!(
                    "mcpServers.{server}.{field}: at most {MAX_NAMES} names"
                )));
            }
            if let Some(n) = names.iter().position(|name| name.trim().is_empty()) {
                return Err(ConfigFileError(format!(
                    "mcpServers.{server}.{field}[{n}]: a tool name cannot be empty"
                )));
            }
        }
        Ok(Self { allow, exclude })
    }

    /// Whether the child's tool `name` (its own name, as listed) is available.
    pub fn allows(&self, name: &str) -> bool {
        self.allow
            .as_ref()
            .is_none_or(|allow| allow.iter().any(|a| a == name))
            && !self.exclude.iter().any(|e| e == name)
    }

    /// One line per name in the policy that `child`, whose tools are `tools`, does not have.
    pub fn unmatched(&self, child: &str, tools: &[String]) -> Vec<String> {
        let allow = self.allow.iter().flatten().map(|n| ("tools", n));
        let exclude = self.exclude.iter().map(|n| ("exclude_tools", n));
        allow
            .chain(exclude)
            .filter(|(_, name)| !tools.contains(name))
            .map(|(field, name)| {
                format!(
                    "mcpServers.{child}.{field}: server {child} has no tool {name:?} (its tools: {})",
                    tools.join(", ")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn allow_then_exclude() {
        let none = ToolPolicy::default();
        assert!(none.allows("chat"));
        let allow = ToolPolicy::parse("a", Some(names(&["chat", "status"])), names(&["status"]));
        let allow = allow.unwrap();
        assert!(allow.allows("chat"));
        assert!(!allow.allows("status"));
        assert!(!allow.allows("complete"));
        let exclude = ToolPolicy::parse("a", None, names(&["chat"])).unwrap();
        assert!(!exclude.allows("chat"));
        assert!(exclude.allows("complete"));
        // An empty allow list allows nothing.
        assert!(
            !ToolPolicy::parse("a", Some(vec![]), vec![])
                .unwrap()
                .allows("x")
        );
    }

    #[test]
    fn empty_names_are_refused_and_unknown_ones_reported() {
        let err = ToolPolicy::parse("a", None, names(&["chat", " "])).unwrap_err();
        assert_eq!(
            err.0,
            "mcpServers.a.exclude_tools[1]: a tool name cannot be empty"
        );
        let policy = ToolPolicy::parse("a", Some(names(&["chatt"])), vec![]).unwrap();
        assert_eq!(
            policy.unmatched("a", &names(&["chat"])),
            ["mcpServers.a.tools: server a has no tool \"chatt\" (its tools: chat)"]
        );
    }
}
