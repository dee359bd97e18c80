//! The one table of backends: each one's name, binary, `Profile`, the variables it reads and
//! how its `main` runs. The dedicated binaries (`servers/*.rs`), `llm-mcp backend NAME`, the
//! supervisor's built-in default and each backend's `--help` all read it, so a backend is added
//! in one place.

use std::ffi::OsString;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

use crate::config::Profile;

mod flags;
mod life;

pub use life::backend_main;

/// What `main` of a backend does with its command line (argv\[0\] first) and the name its
/// `--help` shows as the program.
type Main = fn(Vec<OsString>, String) -> Pin<Box<dyn Future<Output = ExitCode>>>;

/// One backend server.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct BackendInfo {
    /// Its name: the argument of `llm-mcp backend NAME` and its child's name in the built-in
    /// supervisor configuration.
    pub name: &'static str,
    /// Its dedicated binary, also the name it reports in `serverInfo`.
    pub binary: &'static str,
    /// Its defaults: variables, endpoint, model, aliases.
    pub profile: Profile,
    /// The variable whose presence puts it in the supervisor's built-in default (its key; for
    /// Ollama, which needs none, its host); `None` for the mock, which is the default only when
    /// no real backend is configured.
    pub enabled_by: Option<&'static str>,
    /// Whether it talks to a network endpoint (the mock does not, and its `--help` hides the
    /// endpoint, key and retry flags it ignores).
    pub network: bool,
    /// Variables it reads beyond those of every backend, for `--help`: name and meaning.
    pub extra_env: &'static [(&'static str, &'static str)],
    main: Main,
}

impl std::fmt::Debug for BackendInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendInfo")
            .field("name", &self.name)
            .field("binary", &self.binary)
            .finish_non_exhaustive()
    }
}

/// Every backend, real ones first in the order the built-in default tries them, the mock last.
pub static BACKENDS: &[BackendInfo] = &[
    BackendInfo {
        name: "anthropic",
        binary: "llm-mcp-anthropic",
        profile: crate::providers::anthropic::PROFILE,
        enabled_by: Some("ANTHROPIC_API_KEY"),
        network: true,
        extra_env: &[(
            "ANTHROPIC_AUTH_TOKEN",
            "a bearer token, used when ANTHROPIC_API_KEY is unset",
        )],
        main: |args, bin| Box::pin(flags::anthropic(args, bin)),
    },
    BackendInfo {
        name: "openai",
        binary: "llm-mcp-openai",
        profile: crate::providers::openai::PROFILE,
        enabled_by: Some("OPENAI_API_KEY"),
        network: true,
        extra_env: &[
            (
                "OPENAI_API_VERSION",
                "Azure OpenAI's api-version (--api-version)",
            ),
            (
                "AZURE_OPENAI_DEPLOYMENT_MODEL",
                "the catalog model each Azure deployment runs (--deployment-model)",
            ),
            (
                "CODEX_HOME",
                "where --auth codex finds auth.json [default: ~/.codex]",
            ),
            (
                "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
                "the token endpoint --auth codex refreshes at [default: https://auth.openai.com/oauth/token]",
            ),
        ],
        main: |args, bin| Box::pin(flags::openai(args, bin)),
    },
    BackendInfo {
        name: "gemini",
        binary: "llm-mcp-gemini",
        profile: crate::providers::gemini::PROFILE,
        enabled_by: Some("GEMINI_API_KEY"),
        network: true,
        extra_env: &[],
        main: |args, bin| Box::pin(flags::gemini(args, bin)),
    },
    BackendInfo {
        name: "mistral",
        binary: "llm-mcp-mistral",
        profile: crate::providers::mistral::PROFILE,
        enabled_by: Some("MISTRAL_API_KEY"),
        network: true,
        extra_env: &[],
        main: |args, bin| Box::pin(flags::mistral(args, bin)),
    },
    BackendInfo {
        name: "ollama",
        binary: "llm-mcp-ollama",
        profile: crate::providers::ollama::PROFILE,
        enabled_by: Some("OLLAMA_HOST"),
        network: true,
        extra_env: &[],
        main: |args, bin| Box::pin(flags::ollama(args, bin)),
    },
    BackendInfo {
        name: "mock",
        binary: "llm-mcp-mock",
        profile: crate::mock::PROFILE,
        enabled_by: None,
        network: false,
        extra_env: &[],
        main: |args, bin| Box::pin(flags::mock(args, bin)),
    },
];

/// The backend called `name`.
pub fn find(name: &str) -> Option<&'static BackendInfo> {
    BACKENDS.iter().find(|backend| backend.name == name)
}

/// The backend whose dedicated binary is `binary`.
pub fn by_binary(binary: &str) -> Option<&'static BackendInfo> {
    BACKENDS.iter().find(|backend| backend.binary == binary)
}

/// The names of all backends, for messages.
pub fn names() -> Vec<&'static str> {
    BACKENDS.iter().map(|backend| backend.name).collect()
}

impl BackendInfo {
    /// Runs this backend's `main` on `args` (argv\[0\] first), with `bin_name` as the program
    /// name in `--help` and usage errors.
    pub(crate) async fn run(&self, args: Vec<OsString>, bin_name: String) -> ExitCode {
        (self.main)(args, bin_name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_binaries_are_unique_and_agree_with_the_profiles() {
        for backend in BACKENDS {
            assert_eq!(find(backend.name).unwrap().binary, backend.binary);
            assert_eq!(by_binary(backend.binary).unwrap().name, backend.name);
            assert_eq!(backend.binary, format!("llm-mcp-{}", backend.name));
            assert_eq!(backend.profile.backend, backend.name);
        }
        assert_eq!(BACKENDS.last().unwrap().name, "mock");
        assert!(find("nope").is_none());
    }

    #[test]
    fn no_backend_default_or_alias_points_at_a_model_the_catalog_marks_retired() {
        // The presets of llm-mcp-openai are checked in presets/tests.rs.
        let catalog = crate::catalog::Catalog::builtin();
        let mut retired = Vec::new();
        for backend in BACKENDS {
            let profile = backend.profile;
            let pairs: Vec<(&str, &str)> = std::iter::once(("default", profile.default_model))
                .chain(profile.aliases.iter().copied())
                .collect();
            for target in catalog.retired_targets(profile.backend, &pairs) {
                retired.push(format!("{}: {target:?}", backend.name));
            }
        }
        assert!(retired.is_empty(), "{retired:#?}");
    }
}
