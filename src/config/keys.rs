//! Where a backend's keys come from: `$NAME` (comma-separated), the file `$NAME_FILE` names,
//! then the OS keychain and the vault, each held as a [`Secret`]; and the [`KeySource`]
//! `status` reports (never the key itself).

use std::path::Path;

use crate::config_error::ConfigError;
use crate::secret::Secret;

/// Where the key came from, for `status` (never the key itself). The order the sources are
/// tried in is [`crate::keystore`]'s: `$NAME`, the file `$NAME_FILE` names, the OS keychain,
/// the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// From the variable `$NAME`.
    Env(String),
    /// From the file named by `$NAME_FILE` (the variable `NAME_FILE`).
    File(String),
    /// From the OS keychain entry of `NAME` (`llm-mcp keys set NAME`).
    Keychain(String),
    /// From the vault file, entry `name`.
    Vault {
        /// The key's variable name, its entry in the vault.
        name: String,
        /// The vault file.
        path: std::path::PathBuf,
    },
    /// Not set.
    Missing(String),
    /// `$NAME` holds a literal `${...}`: a client configuration (such as mcp.json.example)
    /// pasted without the variable expanded. It is not sent as a key.
    Unexpanded(String),
}

impl KeySource {
    /// What `status` reports: `present`, `missing`, `not required` or `unexpanded`.
    pub fn state(&self, key_required: bool) -> &'static str {
        match self {
            KeySource::Env(_)
            | KeySource::File(_)
            | KeySource::Keychain(_)
            | KeySource::Vault { .. } => "present",
            KeySource::Missing(_) if key_required => "missing",
            KeySource::Missing(_) => "not required",
            KeySource::Unexpanded(_) => "unexpanded",
        }
    }

    /// The variable (or file variable) the key comes from, or should; for a stored key, the
    /// name it is stored under.
    pub fn variable(&self) -> &str {
        match self {
            KeySource::Env(var)
            | KeySource::File(var)
            | KeySource::Keychain(var)
            | KeySource::Vault { name: var, .. }
            | KeySource::Missing(var)
            | KeySource::Unexpanded(var) => var,
        }
    }

    /// Which kind of source holds the key, for `status`: `env`, `file`, `keychain` or
    /// `vault PATH`; `None` when there is no key.
    pub fn store(&self) -> Option<String> {
        match self {
            KeySource::Env(_) => Some("env".into()),
            KeySource::File(_) => Some("file".into()),
            KeySource::Keychain(_) => Some(crate::keystore::Stored::Keychain.to_string()),
            KeySource::Vault { path, .. } => {
                Some(crate::keystore::Stored::Vault(path.clone()).to_string())
            }
            KeySource::Missing(_) | KeySource::Unexpanded(_) => None,
        }
    }

    /// A warning worth logging at start, when the key's variable holds something unusable.
    pub fn warning(&self) -> Option<String> {
        match self {
            KeySource::Unexpanded(var) => Some(format!(
                "{var} holds a literal ${{...}} placeholder, not a key: the MCP client did not expand it; put the key itself in the client's \"env\" (or start the client with {var} exported and a config that expands it); calls go out without a key"
            )),
            _ => None,
        }
    }
}

/// A value that is still a `${VAR}` (or `$VAR`) reference rather than a key.
fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    (value.starts_with("${") && value.ends_with('}'))
        || (value.starts_with('$')
            && value.len() > 1
            && value[1..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
}

/// The largest key file read: a ring of keys fits many times over.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// Reads `$NAME` (comma-separated keys) or, when it is unset, the file named by `$NAME_FILE`,
/// then (with `stores`) the keychain and the vault ([`crate::keystore::lookup`]). A vault that
/// exists but cannot be opened is an error naming why: the key may be in it.
pub(super) fn read_keys(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    stores: bool,
) -> Result<(Vec<Secret>, KeySource), ConfigError> {
    let split = |text: &str| -> Vec<Secret> {
        text.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Secret::new(k.to_string()))
            .collect()
    };
    if let Some(value) = env(name) {
        if is_placeholder(&value) {
            return Ok((Vec::new(), KeySource::Unexpanded(name.to_string())));
        }
        let keys = split(&value);
        if !keys.is_empty() {
            return Ok((keys, KeySource::Env(name.to_string())));
        }
    }
    let file_var = format!("{name}_FILE");
    if let Some(path) = env(&file_var).filter(|p| !p.trim().is_empty()) {
        let bytes =
            crate::small_file::read(Path::new(path.trim()), MAX_KEY_FILE_BYTES).map_err(|err| {
                ConfigError(format!(
                    "{file_var} names a file that cannot be read: {err}"
                ))
            })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ConfigError(format!("{file_var} names a file that is not text")))?;
        let keys = split(&text);
        if !keys.is_empty() {
            return Ok((keys, KeySource::File(file_var)));
        }
    }
    // A name no store can hold (see keystore::check_name) is simply not stored.
    if stores && crate::keystore::check_name(name).is_ok() {
        let found = crate::keystore::lookup(name, env).map_err(|err| {
            ConfigError(format!(
                "{name} is set neither in the environment nor by {file_var}, and the key store cannot be read: {err}"
            ))
        })?;
        if let Some((secret, stored)) = found {
            let keys = split(secret.expose());
            let source = match stored {
                crate::keystore::Stored::Keychain => KeySource::Keychain(name.to_string()),
                crate::keystore::Stored::Vault(path) => KeySource::Vault {
                    name: name.to_string(),
                    path,
                },
            };
            if !keys.is_empty() {
                return Ok((keys, source));
            }
        }
    }
    Ok((Vec::new(), KeySource::Missing(name.to_string())))
}
