//! The aggregated tool list: the supervisor's own tools, then every ready child's tools as
//! `NAME__tool`, and the reverse lookup from such a name to the child and its tool.
//!
//! A tool name is cleaned to `[A-Za-z0-9_-]`. A name longer than 64 characters once prefixed
//! (the limit many clients enforce), or one that collides with an earlier name, is left out and
//! reported on stderr; lookups follow the same rule, so a listed name always routes to the tool
//! it was listed for.

use std::collections::HashSet;

use rmcp::model::Tool;

use super::child::Status;
use super::config::clean_name;
use super::tool_defs;

/// The longest exposed tool name.
pub const MAX_TOOL_NAME: usize = 64;

/// The list and what was left out of it.
pub struct Catalog {
    /// The tools to list.
    pub tools: Vec<Tool>,
    /// One line per refused tool: which child, which tool, why.
    pub refused: Vec<String>,
}

/// `NAME__tool`, cleaned.
pub fn exposed_name(child: &str, tool: &str) -> String {
    format!("{child}__{}", clean_name(tool))
}

/// Every exposed child tool: (exposed name, child, the tool as the child listed it), and the
/// refusals.
fn entries(children: &[(String, Status)]) -> (Vec<(String, &str, Tool)>, Vec<String>) {
    let mut seen: HashSet<String> = tool_defs::OWN_TOOLS.iter().map(|t| t.to_string()).collect();
    let mut entries = Vec::new();
    let mut refused = Vec::new();
    for (child, status) in children {
        let Some(live) = &status.live else { continue };
        for tool in &live.tools {
            let name = exposed_name(child, &tool.name);
            if name.len() > MAX_TOOL_NAME {
                refused.push(format!(
                    "server {child}: tool {:?} is left out: {name} is longer than {MAX_TOOL_NAME} characters; give the server a shorter name",
                    tool.name
                ));
            } else if !seen.insert(name.clone()) {
                refused.push(format!(
                    "server {child}: tool {:?} is left out: {name} is already taken",
                    tool.name
                ));
            } else {
                entries.push((name, child.as_str(), tool.clone()));
            }
        }
    }
    (entries, refused)
}

/// The tools to list for `children` (in configuration order).
pub fn aggregate(children: &[(String, Status)]) -> Catalog {
    let (entries, refused) = entries(children);
    let mut tools = tool_defs::tools();
    tools.extend(entries.into_iter().map(|(name, _, mut tool)| {
        tool.name = name.into();
        tool
    }));
    Catalog { tools, refused }
}

/// The child and tool name an exposed name routes to.
pub fn resolve(children: &[(String, Status)], exposed: &str) -> Option<(String, String)> {
    // Cheap filter first: only children whose prefix matches can own the name.
    let candidates: Vec<(String, Status)> = children
        .iter()
        .filter(|(child, _)| exposed.starts_with(child.as_str()))
        .cloned()
        .collect();
    let (entries, _) = entries(&candidates);
    entries
        .into_iter()
        .find(|(name, _, _)| name == exposed)
        .map(|(_, child, tool)| (child.to_string(), tool.name.to_string()))
}
