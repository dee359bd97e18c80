//! Configuration of a backend server: flags and environment, parsed once in `main` and resolved
//! into a [`ServerConfig`] that is passed down. Nothing reads the environment after start.
//!
//! Flags win over environment, environment over the backend's [`Profile`] defaults. A key
//! comes from `$NAME`, then the file `$NAME_FILE` names, then the OS keychain, then the vault
//! (see [`crate::keystore`] and [`KeySource`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::catalog::Catalog;
use crate::prices::PriceTable;

/// The variable naming catalog files when no `--catalog` is given (separated like `PATH`).
pub const CATALOG_ENV: &str = "LLM_MCP_CATALOG";

pub use crate::config_error::ConfigError;
pub use crate::secret::Secret;
pub use keys::KeySource;
use keys::read_keys;

/// What a backend is by default: its names, variables, endpoint, model and aliases.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The backend's name (`anthropic`, `openai`, a preset name, `mock`).
    pub backend: &'static str,
    /// The variable holding the key.
    pub key_env: &'static str,
    /// Whether calls need a key (local servers such as Ollama do not).
    pub key_required: bool,
    /// The variable that overrides the endpoint.
    pub base_url_env: &'static str,
    /// The default endpoint.
    pub base_url: &'static str,
    /// The model used when a call names none.
    pub default_model: &'static str,
    /// The highest temperature the provider accepts (the lowest is 0); calls above it are
    /// refused before they are sent.
    pub temperature_max: f64,
    /// Built-in short names for models.
    pub aliases: &'static [(&'static str, &'static str)],
}

/// The flags every backend server takes (`--help` lists them).
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Default model (id or alias) when a call names none.
    #[arg(long, env = "LLM_MCP_MODEL")]
    pub model: Option<String>,
    /// The provider endpoint; the API path is appended.
    #[arg(long)]
    pub base_url: Option<String>,
    /// The environment variable holding the key (or NAME_FILE, a file holding it).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// Instance name reported as `provider` in records.
    #[arg(long, env = "LLM_MCP_NAME")]
    pub name: Option<String>,
    /// Whole-call timeout in seconds, retries included.
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Connect timeout in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub connect_timeout: f64,
    /// Retries after a rate limit, an overload, a 5xx or a connection failure.
    #[arg(long, default_value_t = 2)]
    pub max_retries: u32,
    /// Default sampling temperature.
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Default output token limit.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Calls sent to the provider at once; more wait their turn.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// Requests (and tokens) per minute sent to the provider, as RPM or RPM,TPM; a call over
    /// it waits its turn up to its deadline, or fails at once `[rate_limited]` with a
    /// retry-after when its turn comes later.
    #[arg(long, value_name = "RPM[,TPM]")]
    pub rate_limit: Option<String>,
    /// Keep the --rate-limit buckets in this Redis (redis://[:PASSWORD@]HOST[:PORT][/DB]),
    /// shared by every replica with the same --name and limit, and the tasks, so any replica
    /// answers for a task another started. The variable's value is never shown in --help.
    #[arg(
        long,
        env = "LLM_MCP_REDIS",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub redis: Option<String>,
    /// A model price, USD per million input/output tokens (repeatable).
    #[arg(long, value_name = "MODEL=IN/OUT")]
    pub price: Vec<String>,
    /// A model alias (repeatable).
    #[arg(long, value_name = "NAME=ID")]
    pub alias: Vec<String>,
    /// A model catalog file that extends or overrides the built-in one (repeatable, later
    /// wins; see `llm-mcp models --json` for the format). Without it, the files listed in
    /// `$LLM_MCP_CATALOG` (separated like PATH), as the supervisor's `catalog` sets it.
    #[arg(long, value_name = "FILE")]
    pub catalog: Vec<std::path::PathBuf>,
    /// Allow sending the key over plain http to a non-loopback host.
    #[arg(long)]
    pub allow_http: bool,
    /// Prompt caching: `auto` asks the provider to cache the stable prefix of each request
    /// (Anthropic `cache_control` breakpoints, OpenAI `prompt_cache_key`, tools in a stable
    /// order); `off` sends none of it.
    #[arg(long, value_enum, default_value_t = PromptCache::Auto)]
    pub prompt_cache: PromptCache,
    /// A directory whose files calls may attach by `path` (repeatable); without it, no file
    /// is read.
    #[arg(long, value_name = "DIR")]
    pub allow_files: Vec<std::path::PathBuf>,
    /// The catalog provider whose entries shape requests, when it is not the backend's own
    /// name (the azure preset serves OpenAI's models). Set by a backend's `main`, not a flag.
    #[arg(skip)]
    pub catalog_provider: Option<String>,
    /// Which catalog model a served name runs, as `NAME=MODEL`, or `MODEL` for the default
    /// model (an Azure deployment called `prod-reasoner` running `gpt-6-astra`). Set by a
    /// backend's `main` from its own flag (`--deployment-model`), not a flag here.
    #[arg(skip)]
    pub catalog_models: Vec<String>,
    /// Serving over Streamable HTTP instead of stdio (`--listen` and its companions).
    #[command(flatten)]
    pub listen: crate::transport::ListenArgs,
    /// Where calls run as MCP tasks are kept, and for how long (`--task-dir`, `--task-ttl`).
    #[command(flatten)]
    pub tasks: crate::tasks::TaskArgs,
}

/// The `--prompt-cache` setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PromptCache {
    /// Ask the provider to cache each request's stable prefix.
    #[default]
    Auto,
    /// Send no caching hints.
    Off,
}

/// A backend server's resolved configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The backend's defaults.
    pub profile: Profile,
    /// Instance name reported in records.
    pub name: String,
    /// Default model id or alias.
    pub model: String,
    /// The endpoint.
    pub base_url: Url,
    /// Keys; several rotate when one is rate limited.
    pub keys: Vec<Secret>,
    /// The variable the key comes from.
    pub key_env: String,
    /// Where the key came from.
    pub key_source: KeySource,
    /// Aliases, built-in and from `--alias`.
    pub aliases: BTreeMap<String, String>,
    /// Whole-call timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retries after a retryable failure.
    pub max_retries: u32,
    /// Default temperature.
    pub temperature: Option<f64>,
    /// Default output token limit.
    pub max_tokens: Option<u32>,
    /// Calls in flight to the provider at most.
    pub max_concurrency: Option<usize>,
    /// Requests and tokens per minute at most (`--rate-limit`).
    pub rate_limit: Option<crate::limits::RateSpec>,
    /// Prices of the models billed at this endpoint (from the catalog), and `--price`.
    pub prices: PriceTable,
    /// The model catalog, built-in and `--catalog` files.
    pub catalog: Arc<Catalog>,
    /// This backend's provider in the catalog, when the catalog has one.
    pub catalog_provider: Option<String>,
    /// The catalog model each served name runs (`--deployment-model`): requests for a name
    /// here are shaped by that model's entry instead of one found by the name itself.
    pub catalog_models: BTreeMap<String, String>,
    /// `--prompt-cache`.
    pub prompt_cache: PromptCache,
    /// The directories `path` parts may read from (`--allow-files`), canonical.
    pub allow_files: Vec<std::path::PathBuf>,
    /// `--redis`, once connected (never by [`CommonArgs::resolve`]): where key rests and
    /// usage totals are shared with the replicas of the same name.
    pub shared: Option<crate::limits::SharedLimits>,
}

impl CommonArgs {
    /// Resolves the flags against the environment (read through `env`) and the profile.
    pub fn resolve(
        &self,
        profile: Profile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let base_text = self
            .base_url
            .clone()
            .or_else(|| env(profile.base_url_env).filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| profile.base_url.to_string());
        let base_url = parse_base_url(&base_text)?;
        let key_env = self
            .api_key_env
            .clone()
            .unwrap_or_else(|| profile.key_env.to_string());
        // A key store may prompt to unlock: backends whose key is optional (Ollama, the mock)
        // consult one only when --api-key-env names the key.
        let stores = profile.key_required || self.api_key_env.is_some();
        let (keys, key_source) = read_keys(&key_env, env, stores)?;
        if !keys.is_empty() && !self.allow_http && !key_may_travel_to(&base_url) {
            return Err(ConfigError(format!(
                "refusing to send the key in {key_env} over plain http to {}: use https, a loopback address, or pass --allow-http",
                base_url.host_str().unwrap_or("?")
            )));
        }
        let mut aliases: BTreeMap<String, String> = profile
            .aliases
            .iter()
            .map(|(alias, id)| (alias.to_string(), id.to_string()))
            .collect();
        for entry in &self.alias {
            let (alias, id) = entry
                .split_once('=')
                .filter(|(a, i)| !a.is_empty() && !i.is_empty())
                .ok_or_else(|| ConfigError(format!("--alias {entry}: expected NAME=ID")))?;
            aliases.insert(alias.to_string(), id.to_string());
        }
        let catalog_files = if self.catalog.is_empty() {
            env(CATALOG_ENV)
                .map(|paths| std::env::split_paths(&paths).collect())
                .unwrap_or_default()
        } else {
            self.catalog.clone()
        };
        let catalog =
            Catalog::with_files(&catalog_files).map_err(|err| ConfigError(err.to_string()))?;
        // A preset of another provider's OpenAI-compatible endpoint (gemini, mistral, ollama)
        // is that provider's catalog; a preset the catalog does not know has no entries.
        let catalog_provider = catalog
            .provider(self.catalog_provider.as_deref().unwrap_or(profile.backend))
            .map(|p| p.provider.clone());
        let model = self
            .model
            .clone()
            .unwrap_or_else(|| profile.default_model.to_string());
        let default_model = aliases
            .get(&model)
            .cloned()
            .unwrap_or_else(|| model.clone());
        let catalog_models = catalog_models(
            &self.catalog_models,
            &default_model,
            &catalog,
            catalog_provider.as_deref(),
        )?;
        let mut prices = match &catalog_provider {
            Some(provider) => PriceTable::for_endpoint(&catalog, provider, base_url.host_str()),
            None => PriceTable::default(),
        };
        for entry in &self.price {
            prices.add_flag(entry)?;
        }
        Ok(ServerConfig {
            profile,
            name: self
                .name
                .clone()
                .unwrap_or_else(|| profile.backend.to_string()),
            model,
            base_url,
            keys,
            key_env,
            key_source,
            aliases,
            timeout: seconds("--timeout", self.timeout)?,
            connect_timeout: seconds("--connect-timeout", self.connect_timeout)?,
            max_retries: self.max_retries,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            max_concurrency: self.max_concurrency.filter(|n| *n > 0),
            rate_limit: (self.rate_limit.as_deref())
                .map(|text| crate::limits::RateSpec::parse(text, "--rate-limit"))
                .transpose()?,
            prices,
            catalog: Arc::new(catalog),
            catalog_provider,
            catalog_models,
            prompt_cache: self.prompt_cache,
            allow_files: allowed_dirs(&self.allow_files)?,
            shared: None,
        })
    }
}

/// Reads the `--deployment-model` entries: `NAME=MODEL` for the served name `NAME`, `MODEL`
/// alone for the default model. Each model must be one the catalog knows, since the point is
/// to shape requests by its entry.
fn catalog_models(
    entries: &[String],
    default_model: &str,
    catalog: &Catalog,
    provider: Option<&str>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut map = BTreeMap::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let (name, model) = match entry.split_once('=') {
            Some((name, model)) => (name.trim(), model.trim()),
            None => (default_model, entry),
        };
        if name.is_empty() || model.is_empty() {
            return Err(ConfigError(format!(
                "--deployment-model {entry}: expected MODEL or DEPLOYMENT=MODEL"
            )));
        }
        let Some(provider) = provider else {
            return Err(ConfigError(format!(
                "--deployment-model {entry}: this backend's models are not in the model catalog"
            )));
        };
        if catalog.lookup(provider, None, model).is_none() {
            return Err(ConfigError(format!(
                "--deployment-model {entry}: the catalog has no {provider} model {model} \
                 (`llm-mcp models --provider {provider}` lists them; --catalog FILE adds one)"
            )));
        }
        map.insert(name.to_string(), model.to_string());
    }
    Ok(map)
}

impl ServerConfig {
    /// The name the catalog knows the served model `model` by: the model `--deployment-model`
    /// says it runs, or `model` itself.
    pub fn catalog_model<'a>(&'a self, model: &'a str) -> &'a str {
        self.catalog_models.get(model).map_or(model, String::as_str)
    }

    /// Resolves an alias to a model id; an id passes through unchanged.
    pub fn resolve_model(&self, name: &str) -> String {
        self.aliases
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

/// The directories `--allow-files` names, canonical, each checked to be a directory.
pub(crate) fn allowed_dirs(
    dirs: &[std::path::PathBuf],
) -> Result<Vec<std::path::PathBuf>, ConfigError> {
    dirs.iter()
        .map(|dir| {
            let canonical = dir
                .canonicalize()
                .map_err(|e| ConfigError(format!("--allow-files {}: {e}", dir.display())))?;
            if !canonical.is_dir() {
                return Err(ConfigError(format!(
                    "--allow-files {}: not a directory",
                    dir.display()
                )));
            }
            Ok(canonical)
        })
        .collect()
}

fn seconds(flag: &str, value: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            ConfigError(format!(
                "{flag} {value}: expected a positive number of seconds"
            ))
        })
}

fn parse_base_url(text: &str) -> Result<Url, ConfigError> {
    let shown = without_userinfo(text.trim());
    let url =
        Url::parse(text.trim()).map_err(|err| ConfigError(format!("base URL {shown:?}: {err}")))?;
    // A password in a URL ends up wherever the URL is shown (status, smoke, logs); the key
    // has its own places, which are never shown.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError(format!(
            "base URL {shown:?} holds credentials (user:password@); llm-mcp does not take them \
             there, since the URL is shown in status and smoke: put the key in the key \
             variable or its _FILE instead"
        )));
    }
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(ConfigError(format!(
            "base URL {shown:?}: expected an http or https URL with a host"
        ))),
    }
}

/// `text` with anything between `//` and an `@` of its authority replaced, for messages.
fn without_userinfo(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let authority_end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}<redacted>{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
    }
}

/// A key may go over https anywhere, and over plain http only to this machine.
fn key_may_travel_to(url: &Url) -> bool {
    match url.host() {
        _ if url.scheme() == "https" => true,
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A configuration for unit tests: `args` parsed as a backend's flags (without argv\[0\]),
/// resolved against `profile` and the variables `vars` instead of the process environment,
/// with the keychain off.
#[cfg(test)]
pub(crate) fn test_config(
    profile: Profile,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Result<ServerConfig, ConfigError> {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }
    let cli = Cli::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
        .map_err(|err| ConfigError(err.to_string()))?;
    // Unit tests never read the machine's keychain (a test turns it on by passing the switch).
    let vars: BTreeMap<String, String> =
        std::iter::once((crate::keystore::KEYCHAIN_SWITCH_ENV, "off"))
            .chain(vars.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    cli.common.resolve(profile, &|name| vars.get(name).cloned())
}

mod keys;
#[cfg(test)]
mod tests;
