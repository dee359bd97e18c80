//! What a child's environment holds: not the supervisor's whole environment (every key of
//! every provider reached every child), but what it needs to run, what its entry names, and,
//! for a built-in backend, its own provider's variables. docs/serve.md states the rule.

use std::ffi::OsString;

/// Variables every child gets (when set): finding programs and home, locale, time zone,
/// temporary and XDG directories, proxies and CA certificates, the terminal, Rust's logging.
const RUN: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "RUST_LOG",
    "RUST_BACKTRACE",
];

/// Prefixes of variables every child gets: locale categories, XDG directories, and llm-mcp's
/// own settings (keychain, vault path, catalog), except the secret ones ([`secret`]).
const RUN_PREFIXES: &[&str] = &["LC_", "XDG_", "LLM_MCP_"];

/// A name that holds a secret (a `_`-separated word of it is one of these, so
/// `LLM_MCP_KEYCHAIN` is a setting and `LLM_MCP_MOCK_KEY` a key): llm-mcp settings like these
/// go to built-in backends only. `LLM_MCP_REDIS` is one: its URL may carry Redis's password.
fn secret(name: &str) -> bool {
    name.split('_')
        .any(|word| ["KEY", "PASSPHRASE", "SECRET", "TOKEN", "PASSWORD", "REDIS"].contains(&word))
}

/// Whether every child may see `name`.
fn for_every_child(name: &str) -> bool {
    RUN.contains(&name)
        || RUN_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix) && !secret(name))
}

/// The variables of the built-in backend `name` (its key, key file, base URL and the extra
/// variables it documents) and the vault's passphrase, with which it reads its own key.
pub fn backend_variables(name: &str) -> Vec<String> {
    let Some(backend) = crate::registry::BACKENDS.iter().find(|b| b.name == name) else {
        return Vec::new();
    };
    let profile = &backend.profile;
    let mut names = vec![
        profile.key_env.to_string(),
        format!("{}_FILE", profile.key_env),
        profile.base_url_env.to_string(),
        "LLM_MCP_VAULT_PASSPHRASE".to_string(),
        "LLM_MCP_VAULT_PASSPHRASE_FILE".to_string(),
        // Shared state with the replicas (key rests, totals, its own --rate-limit).
        "LLM_MCP_REDIS".to_string(),
    ];
    names.extend(backend.enabled_by.map(str::to_string));
    names.extend(backend.extra_env.iter().map(|(name, _)| name.to_string()));
    names
}

/// The part of `parent` (the supervisor's environment) a child inherits: the run set and the
/// names in `inherit`. Its entry's `env` is added on top by the caller.
pub fn inherited(
    parent: impl Iterator<Item = (OsString, OsString)>,
    inherit: &[String],
) -> Vec<(OsString, OsString)> {
    parent
        .filter(|(name, _)| {
            name.to_str()
                .is_some_and(|name| for_every_child(name) || inherit.iter().any(|i| i == name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(names: &[&str]) -> impl Iterator<Item = (OsString, OsString)> {
        names
            .iter()
            .map(|n| (OsString::from(n), OsString::from("v")))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn names(vars: Vec<(OsString, OsString)>) -> Vec<String> {
        vars.into_iter()
            .map(|(n, _)| n.into_string().unwrap())
            .collect()
    }

    const PARENT: &[&str] = &[
        "PATH",
        "HOME",
        "LC_ALL",
        "XDG_CONFIG_HOME",
        "TMPDIR",
        "LLM_MCP_KEYCHAIN",
        "LLM_MCP_VAULT",
        "LLM_MCP_VAULT_PASSPHRASE",
        "LLM_MCP_REDIS",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_API_KEY_FILE",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
    ];

    #[test]
    fn a_child_from_the_file_gets_what_it_needs_to_run_and_no_key() {
        assert_eq!(
            names(inherited(env(PARENT), &[])),
            [
                "PATH",
                "HOME",
                "LC_ALL",
                "XDG_CONFIG_HOME",
                "TMPDIR",
                "LLM_MCP_KEYCHAIN",
                "LLM_MCP_VAULT"
            ]
        );
    }

    #[test]
    fn a_built_in_backend_also_gets_its_own_provider_s_variables_only() {
        let got = names(inherited(env(PARENT), &backend_variables("anthropic")));
        assert!(got.contains(&"ANTHROPIC_API_KEY".to_string()), "{got:?}");
        assert!(got.contains(&"ANTHROPIC_API_KEY_FILE".to_string()));
        assert!(got.contains(&"LLM_MCP_VAULT_PASSPHRASE".to_string()));
        assert!(got.contains(&"LLM_MCP_REDIS".to_string()), "{got:?}");
        for other in ["OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"] {
            assert!(!got.contains(&other.to_string()), "{other} in {got:?}");
        }
        let ollama = backend_variables("ollama");
        assert!(ollama.contains(&"OLLAMA_HOST".to_string()), "{ollama:?}");
    }
}
