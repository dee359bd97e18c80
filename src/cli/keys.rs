//! `llm-mcp keys set|list|remove NAME`: keys in the OS keychain or the vault instead of in
//! the `env` block of every client's JSON. Values come from stdin or a no-echo prompt, never
//! from argv (visible in `ps`), and are never printed.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::keystore::{self, KeystoreError, MAX_VALUE_BYTES, Stored, check_name, keychain, vault};
use crate::secret::Secret;

/// Arguments of `llm-mcp keys`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Store a key read from stdin (or typed at a prompt without echo).
    Set {
        /// The variable name backends read, e.g. ANTHROPIC_API_KEY.
        name: String,
        /// Where to store it: the keychain when reachable, else the vault (auto).
        #[arg(long, value_enum, env = "LLM_MCP_KEYSTORE", default_value = "auto")]
        store: StoreChoice,
        /// Read the value from stdin even when it is a terminal (no prompt).
        #[arg(long)]
        stdin: bool,
    },
    /// List stored key names and where each is stored (never values).
    List,
    /// Remove a stored key.
    Remove {
        /// The variable name.
        name: String,
        /// Where to remove it from: both stores (auto), the keychain or the vault.
        #[arg(long, value_enum, env = "LLM_MCP_KEYSTORE", default_value = "auto")]
        store: StoreChoice,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StoreChoice {
    /// The keychain when reachable, else the vault.
    Auto,
    /// The OS keychain only.
    Keychain,
    /// The vault file only.
    Vault,
}

/// Runs a `keys` action; keychain calls block, so they run off the async workers.
pub async fn run(args: KeysArgs) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let env: fn(&str) -> Option<String> = env;
    match tokio::task::spawn_blocking(move || dispatch(args.action, &env)).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("llm-mcp keys: {err}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("llm-mcp keys: the keystore task failed");
            ExitCode::FAILURE
        }
    }
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn dispatch(action: Action, env: Env) -> Result<(), KeystoreError> {
    match action {
        Action::Set { name, store, stdin } => set(&name, store, stdin, env),
        Action::List => list(env),
        Action::Remove { name, store } => remove(&name, store, env),
    }
}

/// The keychain, unless turned off by `LLM_MCP_KEYCHAIN=off`: `Err` says why it is unusable.
fn keychain_usable(env: Env) -> Result<(), KeystoreError> {
    if !keystore::keychain_enabled(env) {
        return Err(KeystoreError::Keychain(format!(
            "turned off by {}",
            keystore::KEYCHAIN_SWITCH_ENV
        )));
    }
    keychain::available()
}

fn vault_path(env: Env) -> Result<PathBuf, KeystoreError> {
    vault::path(env).ok_or_else(|| {
        KeystoreError::BadValue(format!(
            "no vault location: set {} or XDG_CONFIG_HOME or HOME",
            vault::PATH_ENV
        ))
    })
}

fn set(name: &str, store: StoreChoice, stdin: bool, env: Env) -> Result<(), KeystoreError> {
    check_name(name)?;
    let value = read_value(name, stdin)?;
    keystore::check_value(value.expose())?;
    if store != StoreChoice::Vault {
        let stored = keychain_usable(env).and_then(|()| keychain::set(name, &value));
        match (stored, store) {
            (Ok(()), _) => {
                eprintln!("llm-mcp keys: stored {name} in the keychain");
                return Ok(());
            }
            (Err(err), StoreChoice::Keychain) => return Err(err),
            (Err(err), _) => {
                eprintln!("llm-mcp keys: {err}; using the vault instead");
            }
        }
    }
    let path = vault_path(env)?;
    let passphrase = vault_passphrase(env, &path)?;
    let mut opened = vault::Vault::open_or_empty(&path, &passphrase)?;
    opened.set(name, value)?;
    opened.save(&path, &passphrase)?;
    eprintln!(
        "llm-mcp keys: stored {name} in the vault {}",
        path.display()
    );
    if keychain_usable(env).is_ok() && matches!(keychain::get(name), Ok(Some(_))) {
        eprintln!(
            "llm-mcp keys: note: the keychain also holds {name} and is read before the vault"
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn list(env: Env) -> Result<(), KeystoreError> {
    let mut rows: Vec<(String, Stored)> = Vec::new();
    match keychain_usable(env).and_then(|()| keychain::names()) {
        Ok(names) => rows.extend(names.into_iter().map(|n| (n, Stored::Keychain))),
        Err(err) => eprintln!("llm-mcp keys: {err}"),
    }
    let path = vault_path(env)?;
    if path.exists() {
        let passphrase = vault_passphrase(env, &path)?;
        let opened = vault::Vault::open(&path, &passphrase)?;
        rows.extend(
            opened
                .names()
                .map(|n| (n.to_string(), Stored::Vault(path.clone()))),
        );
    }
    if rows.is_empty() {
        eprintln!("llm-mcp keys: no keys stored");
    }
    for (name, stored) in rows {
        println!("{name}\t{stored}");
    }
    Ok(())
}

fn remove(name: &str, store: StoreChoice, env: Env) -> Result<(), KeystoreError> {
    check_name(name)?;
    let mut removed = false;
    if store != StoreChoice::Vault {
        match keychain_usable(env).and_then(|()| keychain::remove(name)) {
            Ok(true) => {
                eprintln!("llm-mcp keys: removed {name} from the keychain");
                removed = true;
            }
            Ok(false) => {}
            Err(err) if store == StoreChoice::Keychain => return Err(err),
            Err(err) => eprintln!("llm-mcp keys: {err}"),
        }
    }
    if store != StoreChoice::Keychain {
        let path = vault_path(env)?;
        if path.exists() {
            let passphrase = vault_passphrase(env, &path)?;
            let mut opened = vault::Vault::open(&path, &passphrase)?;
            if opened.remove(name) {
                opened.save(&path, &passphrase)?;
                eprintln!(
                    "llm-mcp keys: removed {name} from the vault {}",
                    path.display()
                );
                removed = true;
            }
        }
    }
    if removed {
        Ok(())
    } else {
        Err(KeystoreError::BadName(format!(
            "no stored key named {name}"
        )))
    }
}

/// The passphrase from the environment, else typed at the terminal (twice for a new vault).
fn vault_passphrase(env: Env, path: &std::path::Path) -> Result<Zeroizing<String>, KeystoreError> {
    match vault::passphrase(env, path) {
        Err(KeystoreError::NoPassphrase { .. }) if std::io::stdin().is_terminal() => {
            let prompt = format!("Passphrase for the vault {}: ", path.display());
            let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|source| {
                KeystoreError::Io {
                    what: "reading the passphrase".into(),
                    source,
                }
            })?);
            if !path.exists() {
                let again =
                    Zeroizing::new(rpassword::prompt_password("Again: ").map_err(|source| {
                        KeystoreError::Io {
                            what: "reading the passphrase".into(),
                            source,
                        }
                    })?);
                if *again != *first {
                    return Err(KeystoreError::BadValue("the passphrases differ".into()));
                }
            }
            if first.is_empty() {
                return Err(KeystoreError::NoPassphrase {
                    path: path.to_path_buf(),
                });
            }
            Ok(first)
        }
        other => other,
    }
}

/// The value from stdin (one trailing newline dropped), or a no-echo prompt on a terminal.
fn read_value(name: &str, force_stdin: bool) -> Result<Secret, KeystoreError> {
    let io = |source| KeystoreError::Io {
        what: "reading the key".into(),
        source,
    };
    let text = if force_stdin || !std::io::stdin().is_terminal() {
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::stdin()
            .take(MAX_VALUE_BYTES as u64 + 3)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| KeystoreError::BadValue("the key is not UTF-8 text".into()))?;
        Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_string())
    } else {
        Zeroizing::new(rpassword::prompt_password(format!("Value for {name}: ")).map_err(io)?)
    };
    Ok(Secret::new(text.to_string()))
}
