//! The aggregated tool list: the supervisor's own tools, then the ready children's tools that
//! the config's `expose` names ([`super::expose`]), as `NAME__tool`; and the reverse lookup
//! from such a name to the child and its tool (for every child tool, listed or not). A tool
//! its child's policy hides ([`super::tool_policy`]) is in neither: hidden tools are left out
//! before names are checked, so they cannot be reached by any name.
//!
//! A tool name is cleaned to `[A-Za-z0-9_-]`. A name longer than 64 characters once prefixed
//! (the limit many clients enforce), or one that collides with an earlier name, is left out and
//! reported on stderr; lookups follow the same rule, so a listed name always routes to the tool
//! it was listed for.

use std::collections::HashSet;

use rmcp::model::Tool;

use super::child::Status;
use super::config::{SupervisorConfig, clean_name};
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

/// A child tool left out of the list: whose, which (cleaned name), and why.
struct Refusal {
    child: String,
    tool: String,
    line: String,
}

/// The tools of `child` its policy in `config` allows, of those it listed.
pub fn allowed<'a>(
    config: &'a SupervisorConfig,
    child: &str,
    tools: &'a [Tool],
) -> impl Iterator<Item = &'a Tool> + use<'a> {
    let policy = config.tool_policies.get(child);
    tools
        .iter()
        .filter(move |tool| policy.is_none_or(|p| p.allows(&tool.name)))
}

/// The ready children of `children` with the tools they listed, in configuration order.
fn ready(children: &[(String, Status)]) -> impl Iterator<Item = (&str, &[Tool])> {
    (children.iter()).filter_map(|(child, status)| {
        let live = status.live.as_ref()?;
        Some((child.as_str(), live.tools.as_slice()))
    })
}

/// Every reachable child tool of `children` (in configuration order): (exposed name, child,
/// the tool as the child listed it), and the refusals.
fn entries<'a>(
    children: impl IntoIterator<Item = (&'a str, &'a [Tool])>,
    config: &'a SupervisorConfig,
) -> (Vec<(String, &'a str, &'a Tool)>, Vec<Refusal>) {
    let mut seen: HashSet<String> = tool_defs::OWN_TOOLS.iter().map(|t| t.to_string()).collect();
    let mut entries = Vec::new();
    let mut refused = Vec::new();
    for (child, tools) in children {
        for tool in allowed(config, child, tools) {
            let name = exposed_name(child, &tool.name);
            let why = if name.len() > MAX_TOOL_NAME {
                format!(
                    "{name} is longer than {MAX_TOOL_NAME} characters; give the server a shorter name"
                )
            } else if !seen.insert(name.clone()) {
                format!("{name} is already taken")
            } else {
                entries.push((name, child, tool));
                continue;
            };
            refused.push(Refusal {
                child: child.to_string(),
                tool: clean_name(&tool.name),
                line: format!("server {child}: tool {:?} is left out: {why}", tool.name),
            });
        }
    }
    (entries, refused)
}

/// The tools to list for `children` (in configuration order): the own tools, then the child
/// tools `expose` names that their policy allows. Refusals are reported for tools `expose`
/// names only, and for `expose` entries or policy names naming a tool a started child does not
/// have.
pub fn aggregate(children: &[(String, Status)], config: &SupervisorConfig) -> Catalog {
    let expose = &config.expose;
    let (entries, refusals) = entries(ready(children), config);
    let mut refused: Vec<String> = refusals
        .into_iter()
        .filter(|r| expose.shows(&r.child, &r.tool))
        .map(|r| r.line)
        .collect();
    let mut tools = tool_defs::tools();
    for (name, child, tool) in entries {
        if expose.shows(child, &clean_name(&tool.name)) {
            let mut tool = tool.clone();
            tool.name = name.into();
            tools.push(tool);
        }
    }
    for (child, status) in children {
        if let Some(live) = &status.live {
            let names: Vec<String> = live.tools.iter().map(|t| clean_name(&t.name)).collect();
            refused.extend(expose.unmatched(child, &names));
            if let Some(policy) = config.tool_policies.get(child) {
                let own: Vec<String> = live.tools.iter().map(|t| t.name.to_string()).collect();
                refused.extend(policy.unmatched(child, &own));
            }
        }
    }
    Catalog { tools, refused }
}

/// The child and tool name an exposed name routes to; `None` for a tool its policy hides.
/// It runs on every forwarded call, so it finds the one tool the name can be without
/// building the list.
pub fn resolve(
    children: &[(String, Status)],
    config: &SupervisorConfig,
    exposed: &str,
) -> Option<(String, String)> {
    let (child, tool) = route(ready(children), config, exposed)?;
    Some((child.to_string(), tool.name.to_string()))
}

/// What [`entries`] lists under `exposed`, found without listing. The first allowed tool
/// (in configuration order) whose exposed name is `exposed` is the one the list holds: a
/// name is refused only when it is too long, an own tool's, or an earlier tool's, and an
/// earlier tool with this name would have been found first.
fn route<'a>(
    children: impl IntoIterator<Item = (&'a str, &'a [Tool])>,
    config: &'a SupervisorConfig,
    exposed: &str,
) -> Option<(&'a str, &'a Tool)> {
    if exposed.len() > MAX_TOOL_NAME || tool_defs::OWN_TOOLS.contains(&exposed) {
        return None;
    }
    children.into_iter().find_map(|(child, tools)| {
        let wanted = exposed.strip_prefix(child)?.strip_prefix("__")?;
        let tool = allowed(config, child, tools).find(|tool| clean_name(&tool.name) == wanted)?;
        Some((child, tool))
    })
}

#[cfg(test)]
mod tests;
