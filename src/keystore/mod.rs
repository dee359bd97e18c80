//! Keys kept out of client configs: the OS keychain ([`keychain`]) and an encrypted file
//! ([`vault`]) for machines without one, behind one resolution order.
//!
//! A backend resolves its key variable `NAME` in this order, first hit wins:
//!
//! 1. the variable `$NAME` (comma-separated keys),
//! 2. the file named by `$NAME_FILE`,
//! 3. the OS keychain (service `llm-mcp`, account `NAME`), unless `LLM_MCP_KEYCHAIN=off`,
//! 4. the vault file (`$LLM_MCP_VAULT`, else `$XDG_CONFIG_HOME/llm-mcp/vault`), unlocked with
//!    `$LLM_MCP_VAULT_PASSPHRASE` or the file named by `$LLM_MCP_VAULT_PASSPHRASE_FILE`.
//!
//! Steps 1 and 2 live in `config.rs`; [`lookup`] is steps 3 and 4, which a backend takes only
//! for a key it requires or one its `--api-key-env` names (a locked keychain may prompt, and
//! the mock or a local Ollama must not). `status` reports the step that answered as
//! `credentials_store`. Every read of the
//! environment goes through the caller's `env` closure, so nothing here reads it behind
//! the configuration's back.

pub mod keychain;
mod names;
pub mod vault;

use std::fmt;
use std::path::PathBuf;

pub use names::{MAX_VALUE_BYTES, check_name, check_value};

use crate::secret::Secret;

/// The variable that turns the keychain step off (`off`, `0`, `false` or `no`).
pub const KEYCHAIN_SWITCH_ENV: &str = "LLM_MCP_KEYCHAIN";

/// Where a stored key was found, for `status` and `keys list` (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// The encrypted vault file at this path.
    Vault(PathBuf),
}

impl fmt::Display for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stored::Keychain => f.write_str("keychain"),
            Stored::Vault(path) => write!(f, "vault {}", path.display()),
        }
    }
}

/// Why a stored key could not be read or written. No variant holds a secret: messages name
/// files, variables and key names only.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// A key name that cannot be a variable name.
    #[error("{0}")]
    BadName(String),
    /// A value that is empty or over the size limit.
    #[error("{0}")]
    BadValue(String),
    /// The vault exists but no passphrase variable is set.
    #[error(
        "the vault {path} exists but neither LLM_MCP_VAULT_PASSPHRASE nor LLM_MCP_VAULT_PASSPHRASE_FILE is set"
    )]
    NoPassphrase {
        /// The vault file.
        path: PathBuf,
    },
    /// The passphrase does not open the vault.
    #[error("wrong passphrase for the vault {path}")]
    WrongPassphrase {
        /// The vault file.
        path: PathBuf,
    },
    /// The vault file is damaged, truncated, too large or not a vault.
    #[error("the vault {path} is corrupt: {reason}")]
    Corrupt {
        /// The vault file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// The file and operation.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The OS keychain refused or is unreachable.
    #[error("keychain: {0}")]
    Keychain(String),
}

/// Steps 3 and 4 of the resolution order: the key `name` from the keychain, else the vault.
///
/// `Ok(None)` when neither holds it (an unreachable keychain and an absent vault count as
/// not holding it). An error when the vault exists but cannot be opened (no passphrase, a
/// wrong one, a corrupt file): a key that is there but unreadable is worth saying so.
pub fn lookup(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(Secret, Stored)>, KeystoreError> {
    check_name(name)?;
    if keychain_enabled(env) {
        // An unreachable keychain is the normal case on servers and in containers.
        match keychain::get_within(name, keychain::LOOKUP_LIMIT) {
            Ok(Some(secret)) => return Ok(Some((secret, Stored::Keychain))),
            Ok(None) => {}
            Err(err) => tracing::debug!("{name}: keychain skipped: {err}"),
        }
    }
    let Some(path) = vault::path(env) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let passphrase = vault::passphrase(env, &path)?;
    let opened = vault::Vault::open(&path, &passphrase)?;
    Ok(opened
        .get(name)
        .map(|secret| (secret, Stored::Vault(path.clone()))))
}

/// Whether `LLM_MCP_KEYCHAIN` leaves the keychain step on (it is on unless set to off).
pub fn keychain_enabled(env: &dyn Fn(&str) -> Option<String>) -> bool {
    !matches!(
        env(KEYCHAIN_SWITCH_ENV)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Some("off" | "0" | "false" | "no")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn lookup_reads_the_vault_and_says_so() {
        let dir = vault::tests::temp_dir("lookup");
        let path = dir.join("vault");
        let mut opened = vault::Vault::empty();
        opened
            .set("DEMO_API_KEY", Secret::new("sk-vault-1".into()))
            .unwrap();
        opened.save(&path, "pass phrase").unwrap();
        let env = env_of(&[
            ("LLM_MCP_VAULT", path.display().to_string()),
            ("LLM_MCP_VAULT_PASSPHRASE", "pass phrase".into()),
            (KEYCHAIN_SWITCH_ENV, "off".into()),
        ]);
        let (secret, stored) = lookup("DEMO_API_KEY", &env).unwrap().unwrap();
        assert_eq!(secret.expose(), "sk-vault-1");
        assert_eq!(stored, Stored::Vault(path.clone()));
        assert!(lookup("OTHER_KEY", &env).unwrap().is_none());
        let no_pass = env_of(&[
            ("LLM_MCP_VAULT", path.display().to_string()),
            (KEYCHAIN_SWITCH_ENV, "off".into()),
        ]);
        assert!(matches!(
            lookup("DEMO_API_KEY", &no_pass),
            Err(KeystoreError::NoPassphrase { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_absent_vault_holds_nothing() {
        let env = env_of(&[
            ("LLM_MCP_VAULT", "/nonexistent/llm-mcp/vault".into()),
            (KEYCHAIN_SWITCH_ENV, "0".into()),
        ]);
        assert!(lookup("DEMO_API_KEY", &env).unwrap().is_none());
        assert!(matches!(
            lookup("bad name", &env),
            Err(KeystoreError::BadName(_))
        ));
    }
}
