//! The supervisor's configuration file: the `mcpServers` shape MCP clients already use, plus
//! `default`, `fallback`, `tiers`, `restart`, `health`, `catalog` and `expose`; `${VAR}`
//! expansion; command lookup; and the built-in default used when there is no file.
//!
//! ```json
//! {
//!   "mcpServers": {
//!     "anthropic": {"command": "llm-mcp-anthropic", "env": {"ANTHROPIC_API_KEY": "${ANTHROPIC_API_KEY}"}},
//!     "mock": {"command": "llm-mcp-mock", "args": ["--latency-ms", "50"], "rate_limit": "60,100000"}
//!   },
//!   "default": "anthropic",
//!   "fallback": ["mock"],
//!   "tiers": {"fast": {"server": "anthropic", "model": "haiku"}},
//!   "restart": {"max_restarts": 5, "initial_delay_ms": 1000, "max_delay_ms": 16000, "stable_after_s": 300},
//!   "health": {"ping_interval_ms": 10000, "ping_timeout_ms": 5000, "start_timeout_ms": 10000, "call_timeout_s": 660},
//!   "catalog": ["models.json"],
//!   "expose": ["anthropic__chat", "mock__*"],
//!   "routing": "latency", "breaker": {"failures": 3, "cooldown_ms": 30000}
//! }
//! ```
//!
//! `rate_limit` (`RPM[,TPM]`, or a number of requests per minute) limits the calls the
//! supervisor forwards to that child; it is the supervisor's, so changing it does not
//! restart the child.
//!
//! `catalog` names model catalog files (relative to the config file) that every child reads,
//! as each backend's `--catalog` would: they reach the children as `$LLM_MCP_CATALOG`.
//!
//! `expose` chooses which of the children's own tools `tools/list` shows as `NAME__tool`
//! besides the supervisor's own (none when absent); see [`expose`]. An entry's `tools`
//! and `exclude_tools` hide a child's tools altogether; see [`super::tool_policy`].
//!
//! `budgets` limits spend per child, per tier or overall; see [`budgets`]. `sampling`
//! (`bridge`, `forward` or `refuse`) says what a child's sampling request gets; see
//! [`super::sampling`]. `routing` and `breaker`: see [`routing`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::tool_policy::ToolPolicy;
use crate::config::CATALOG_ENV;

pub mod expose;
mod fields;
mod policies;
pub mod routing;

pub use expose::Expose;
pub use policies::{HealthPolicy, RestartPolicy, SamplingMode};

/// One child server: what to run and with which environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// The child's name, cleaned to `[A-Za-z0-9_-]`; its tools appear as `NAME__tool`.
    pub name: String,
    /// The command as written (expanded); see [`ServerSpec::program`].
    pub command: String,
    /// Its arguments (expanded).
    pub args: Vec<String>,
    /// Variables added to the child's environment (expanded).
    pub env: BTreeMap<String, String>,
    /// Variables it inherits from the supervisor beyond those every child gets (a built-in
    /// backend's own provider variables; see `super::child_env`).
    pub inherit: Vec<String>,
}

impl ServerSpec {
    /// The program to run: a bare command is looked up beside the running executable first
    /// (so an installed `llm-mcp` finds its sibling servers), then on `PATH`; a path is used
    /// as it is.
    pub fn program(&self) -> PathBuf {
        find_program(&self.command).unwrap_or_else(|| PathBuf::from(&self.command))
    }

    /// The program to run, or why it cannot be found: its name, where it was looked for, and
    /// how to build or install it.
    pub fn locate(&self) -> Result<PathBuf, MissingProgram> {
        let path = Path::new(&self.command);
        if self.command.contains(std::path::MAIN_SEPARATOR) {
            return if is_executable(path) {
                Ok(path.to_path_buf())
            } else {
                Err(MissingProgram {
                    command: self.command.clone(),
                    searched: vec![path.to_path_buf()],
                })
            };
        }
        find_program(&self.command).ok_or_else(|| MissingProgram {
            command: self.command.clone(),
            searched: search_dirs(),
        })
    }

    /// A command ready to spawn: program, arguments, and an environment of what it needs to
    /// run, what it inherits and its entry's `env` (not every variable of the supervisor).
    pub fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(self.program());
        let inherited = super::child_env::inherited(std::env::vars_os(), &self.inherit);
        command
            .args(&self.args)
            .env_clear()
            .envs(inherited)
            .envs(&self.env);
        command
    }
}

/// A tier: which server answers it, and with which model.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tier {
    /// The server's name.
    pub server: String,
    /// The model (id or alias); the server's default when absent.
    #[serde(default)]
    pub model: Option<String>,
}

/// The whole configuration, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorConfig {
    /// Child servers, in the order the file lists them.
    pub servers: Vec<ServerSpec>,
    /// The server `complete` goes to first.
    pub default: Option<String>,
    /// Servers tried in turn after a retryable failure.
    pub fallback: Vec<String>,
    /// `fast`, `primary`, `premium`: the server and model of each.
    pub tiers: BTreeMap<String, Tier>,
    /// Restart backoff and crash-loop limits.
    pub restart: RestartPolicy,
    /// Pings and timeouts.
    pub health: HealthPolicy,
    /// Which child tools `tools/list` shows.
    pub expose: Expose,
    /// Each child's `rate_limit`, by name.
    pub rate_limits: BTreeMap<String, crate::limits::RateSpec>,
    /// Each child's `tools` and `exclude_tools`, by name (absent: every tool).
    pub tool_policies: BTreeMap<String, ToolPolicy>,
    /// Spend limits; see [`budgets`].
    pub budgets: Vec<budgets::Budget>,
    /// What a child's sampling request gets; see [`super::sampling`].
    pub sampling: SamplingMode,
    /// `routing` and `breaker`.
    pub routing: routing::RoutingPolicy,
}

/// A child's command that is not an executable file: its name, where it was looked for, and
/// how to get it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{command} not found (looked in {}); build the servers with `cargo build --release --bins` and use target/release/, or install them with `cargo install --path .`; `llm-mcp backend NAME` also runs any backend",
    searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
)]
pub struct MissingProgram {
    /// The command as configured.
    pub command: String,
    /// The directories (or the path) searched.
    pub searched: Vec<PathBuf>,
}

pub use super::config_error::ConfigFileError;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileShape {
    mcp_servers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    fallback: Vec<String>,
    #[serde(default)]
    tiers: BTreeMap<String, Tier>,
    #[serde(default)]
    restart: RestartPolicy,
    #[serde(default)]
    health: HealthPolicy,
    #[serde(default)]
    catalog: Vec<String>,
    #[serde(default)]
    expose: Vec<String>,
    #[serde(default)]
    budgets: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    sampling: SamplingMode,
    #[serde(flatten)]
    routing: routing::RoutingPolicy,
}

#[derive(Deserialize)]
struct EntryShape {
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    rate_limit: Option<crate::limits::RateSpec>,
    #[serde(default)]
    tools: Option<Vec<String>>,
    #[serde(default)]
    exclude_tools: Vec<String>,
}

/// The tiers `tier` may name.
pub const TIER_NAMES: [&str; 3] = ["fast", "primary", "premium"];

impl SupervisorConfig {
    /// Reads and checks the file at `path`, expanding `${VAR}` through `env`.
    pub fn load(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| ConfigFileError(format!("{}: {err}", path.display())))?;
        let mut config = Self::parse(&text, env)
            .map_err(|err| ConfigFileError(format!("{}: {err}", path.display())))?;
        // Catalog files are named relative to the config file, wherever serve was started.
        if let Some(dir) = path.parent() {
            for server in &mut config.servers {
                if let Some(paths) = server.env.get_mut(CATALOG_ENV) {
                    let joined = std::env::split_paths(paths.as_str())
                        .map(|p| dir.join(p))
                        .collect::<Vec<_>>();
                    if let Ok(joined) = std::env::join_paths(joined) {
                        *paths = joined.to_string_lossy().into_owned();
                    }
                }
            }
        }
        Ok(config)
    }

    /// Parses and checks a configuration text.
    pub fn parse(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigFileError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|err| ConfigFileError(format!("not a valid config: {err}")))?;
        fields::check(&value)?;
        let shape: FileShape = serde_json::from_value(value)
            .map_err(|err| ConfigFileError(format!("not a valid config: {err}")))?;
        let mut servers = Vec::new();
        let mut rate_limits = BTreeMap::new();
        let mut tool_policies = BTreeMap::new();
        for (raw_name, value) in shape.mcp_servers {
            let entry: EntryShape = serde_json::from_value(value)
                .map_err(|err| ConfigFileError(format!("mcpServers.{raw_name}: {err}")))?;
            let name = clean_name(&raw_name);
            if name.is_empty() || name.len() > 40 {
                return Err(ConfigFileError(format!(
                    "mcpServers.{raw_name}: a server name needs 1 to 40 characters of [A-Za-z0-9_-]"
                )));
            }
            if servers.iter().any(|s: &ServerSpec| s.name == name) {
                return Err(ConfigFileError(format!(
                    "mcpServers.{raw_name}: another server is also named {name} once cleaned"
                )));
            }
            let at = |field: String| {
                let raw_name = &raw_name;
                move |UnsetVariable(var)| {
                    ConfigFileError(format!(
                        "mcpServers.{raw_name}.{field}: ${{{var}}} is not set in the environment"
                    ))
                }
            };
            let args = (entry.args.iter().enumerate())
                .map(|(n, arg)| expand(arg, env).map_err(at(format!("args[{n}]"))))
                .collect::<Result<_, _>>()?;
            let vars = (entry.env.iter())
                .map(|(k, v)| Ok((k.clone(), expand(v, env).map_err(at(format!("env.{k}")))?)))
                .collect::<Result<_, ConfigFileError>>()?;
            let mut vars: BTreeMap<String, String> = vars;
            if !shape.catalog.is_empty() && !vars.contains_key(CATALOG_ENV) {
                let paths = std::env::join_paths(&shape.catalog)
                    .map_err(|err| ConfigFileError(format!("catalog: {err}")))?;
                vars.insert(
                    CATALOG_ENV.to_string(),
                    paths.to_string_lossy().into_owned(),
                );
            }
            if let Some(spec) = entry.rate_limit {
                rate_limits.insert(name.clone(), spec);
            }
            if entry.tools.is_some() || !entry.exclude_tools.is_empty() {
                let policy = ToolPolicy::parse(&raw_name, entry.tools, entry.exclude_tools)?;
                tool_policies.insert(name.clone(), policy);
            }
            servers.push(ServerSpec {
                name,
                command: expand(&entry.command, env).map_err(at("command".into()))?,
                args,
                env: vars,
                inherit: Vec::new(),
            });
        }
        let expose = Expose::parse(&shape.expose, &servers)?;
        let budgets = budgets::parse(shape.budgets, &servers)?;
        let config = Self {
            servers,
            expose,
            default: shape.default,
            fallback: shape.fallback,
            tiers: shape.tiers,
            restart: shape.restart,
            health: shape.health,
            rate_limits,
            tool_policies,
            budgets,
            sampling: shape.sampling,
            routing: shape.routing,
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigFileError> {
        if self.servers.is_empty() {
            return Err(ConfigFileError("mcpServers is empty".into()));
        }
        let known = |name: &str| self.servers.iter().any(|s| s.name == name);
        let named = self
            .default
            .iter()
            .map(|d| ("default", d))
            .chain(self.fallback.iter().map(|f| ("fallback", f)))
            .chain(self.tiers.values().map(|t| ("tiers", &t.server)));
        for (field, name) in named {
            if !known(name) {
                return Err(ConfigFileError(format!(
                    "{field} names {name:?}, which is not in mcpServers"
                )));
            }
        }
        if let Some(tier) = self
            .tiers
            .keys()
            .find(|t| !TIER_NAMES.contains(&t.as_str()))
        {
            return Err(ConfigFileError(format!(
                "tiers.{tier}: expected fast, primary or premium"
            )));
        }
        Ok(())
    }

    /// The built-in configuration: one child per real backend whose enabling variable is set
    /// (see [`crate::registry::BACKENDS`]), the first the default and the others its fallback;
    /// with none, the mock alone. The mock is never a fallback of a real backend: a failing
    /// provider must not turn into an echo of the prompt. Each child is this executable run as
    /// `llm-mcp backend NAME`, so the default needs no sibling binaries.
    pub fn builtin(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let enabled = |backend: &&crate::registry::BackendInfo| {
            backend
                .enabled_by
                .is_some_and(|var| env(var).is_some_and(|v| !v.trim().is_empty()))
        };
        let mut servers: Vec<ServerSpec> = crate::registry::BACKENDS
            .iter()
            .filter(enabled)
            .map(|backend| self_spec(backend.name))
            .collect();
        if servers.is_empty() {
            servers.push(self_spec("mock"));
        }
        let default = servers.first().map(|s| s.name.clone());
        let fallback = servers.iter().skip(1).map(|s| s.name.clone()).collect();
        Self {
            servers,
            default,
            fallback,
            tiers: BTreeMap::new(),
            restart: RestartPolicy::default(),
            health: HealthPolicy::default(),
            expose: Expose::default(),
            rate_limits: BTreeMap::new(),
            tool_policies: BTreeMap::new(),
            budgets: Vec::new(),
            sampling: SamplingMode::default(),
            routing: routing::RoutingPolicy::default(),
        }
    }

    /// The server `complete` goes to when the call names none.
    pub fn default_server(&self) -> Option<&str> {
        self.default
            .as_deref()
            .or_else(|| self.servers.first().map(|s| s.name.as_str()))
    }
}

/// The child `name` of the built-in default: this executable as `llm-mcp backend NAME`. It
/// inherits its own provider's variables, so it reads its key itself; no other provider's.
fn self_spec(name: &str) -> ServerSpec {
    let exe = std::env::current_exe()
        .map(|path| path.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "llm-mcp".to_string());
    ServerSpec {
        name: name.to_string(),
        command: exe,
        args: vec!["backend".to_string(), name.to_string()],
        env: BTreeMap::new(),
        inherit: super::child_env::backend_variables(name),
    }
}

/// Keeps `[A-Za-z0-9_-]`, turning anything else into `_`.
pub fn clean_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A `${VAR}` of the config whose variable is not set: the variable's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("${{{0}}} is not set in the environment")]
pub struct UnsetVariable(pub String);

/// Replaces `${VAR}` with the variable's value; an unset variable is an error naming it (an
/// empty value would start the child with, say, a base URL of `""`, and it would fail later
/// with a message that says nothing about the variable).
pub fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, UnsetVariable> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let var = &rest[start + 2..start + 2 + len];
        out.push_str(&env(var).ok_or_else(|| UnsetVariable(var.to_string()))?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Where a bare command is looked for: beside the running executable, then on `PATH`.
fn search_dirs() -> Vec<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    beside.into_iter().chain(on_path).collect()
}

/// A bare command beside the running executable, else on `PATH`; a path is not searched.
pub(super) fn find_program(command: &str) -> Option<PathBuf> {
    if command.contains(std::path::MAIN_SEPARATOR) || command.is_empty() {
        return None;
    }
    search_dirs()
        .into_iter()
        .map(|dir| dir.join(command))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub mod budgets;
#[cfg(test)]
mod tests;
