//! Each backend's command line (the flags every backend takes, plus its own) and its `main`:
//! parse, settle what depends on the environment, build the backend, serve it on stdio.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use super::life::run_backend;
use super::{BackendInfo, find};
use crate::config::CommonArgs;
use crate::http::HttpBackend;
use crate::mock::MockBackend;
use crate::providers::anthropic::{Anthropic, AuthHeader, fallback_key_env};
use crate::providers::gemini::GeminiProvider;
use crate::providers::mistral::MistralProvider;
use crate::providers::ollama::{OllamaProvider, normalize_host};
use crate::providers::openai::needs_key;
use crate::providers::presets::{self, AZURE_API_VERSION, Preset, PresetProvider};
use crate::providers::responses::choice::{ApiChoice, speaks_responses};
use crate::providers::responses::router::OpenAiBackend;
use crate::providers::responses::{Responses, Route};

/// Flags of [`CommonArgs`] that only matter to a backend with an endpoint.
const NETWORK_FLAGS: [&str; 5] = [
    "base_url",
    "api_key_env",
    "connect_timeout",
    "max_retries",
    "allow_http",
];

fn info(name: &str) -> &'static BackendInfo {
    find(name).expect("every flags function has a registry entry")
}

/// Parses `args` into `C` as `backend`'s command line, with the environment section of its
/// `--help`; exits on `--help`, `--version` and usage errors like any clap program.
fn parse<C: Parser>(backend: &BackendInfo, bin_name: String, args: Vec<OsString>) -> C {
    let mut command = C::command()
        .name(backend.binary)
        .bin_name(bin_name)
        .after_help(environment_help(backend));
    if !backend.network {
        for flag in NETWORK_FLAGS {
            command = command.mut_arg(flag, |arg| arg.hide(true));
        }
    }
    let matches = command.get_matches_from(args);
    C::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

/// The `Environment:` section of a backend's `--help`: the same rows, layout and wording for
/// every backend, with its own variables and defaults.
pub(crate) fn environment_help(backend: &BackendInfo) -> String {
    let p = &backend.profile;
    let mut rows: Vec<(String, String)> = Vec::new();
    if backend.network {
        let need = if p.key_required {
            "required"
        } else {
            "optional"
        };
        rows.push((
            p.key_env.to_string(),
            format!("the key, {need}; several, comma-separated, rotate on rate limits"),
        ));
        rows.push((
            format!("{}_FILE", p.key_env),
            format!("a file holding the key, read when {} is unset", p.key_env),
        ));
        rows.push((
            p.base_url_env.to_string(),
            format!("the endpoint [default: {}]", p.base_url),
        ));
    }
    for (name, meaning) in backend.extra_env {
        rows.push((name.to_string(), meaning.to_string()));
    }
    rows.push((
        "LLM_MCP_MODEL".into(),
        format!(
            "the model when a call names none [default: {}]",
            p.default_model
        ),
    ));
    rows.push((
        "LLM_MCP_NAME".into(),
        format!("the instance name in records [default: {}]", p.backend),
    ));
    rows.push((
        "RUST_LOG".into(),
        "the log filter; logs go to stderr [default: warn]".into(),
    ));
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut text = String::from("Environment:\n");
    for (name, meaning) in rows {
        text.push_str(&format!("  {name:<width$}  {meaning}\n"));
    }
    text.push_str(&format!(
        "\nAn MCP server on stdio, started by an MCP client. From a shell: llm-mcp call \"hello\" -- {}",
        backend.binary
    ));
    text
}

/// Anthropic's Claude models (Messages API) as an MCP server on stdio. Also serves
/// Anthropic-compatible endpoints (Ollama, proxies, gateways) through --base-url or
/// ANTHROPIC_BASE_URL. The key comes from ANTHROPIC_API_KEY, or from ANTHROPIC_AUTH_TOKEN
/// (sent as a bearer token) when ANTHROPIC_API_KEY is unset.
#[derive(Parser)]
#[command(version)]
struct AnthropicCli {
    #[command(flatten)]
    common: CommonArgs,
    /// How the key is sent: x-api-key (Anthropic's API) or bearer (`Authorization: Bearer`,
    /// for compatible endpoints and proxies). Default: bearer when the key comes from
    /// ANTHROPIC_AUTH_TOKEN, x-api-key otherwise.
    #[arg(long, value_enum, value_name = "STYLE")]
    auth_header: Option<AuthHeader>,
}

pub(super) async fn anthropic(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("anthropic");
    let mut cli: AnthropicCli = parse(backend, bin_name, args);
    if cli.common.api_key_env.is_none() {
        let env = |name: &str| std::env::var(name).ok();
        cli.common.api_key_env = fallback_key_env(&env).map(str::to_string);
    }
    let forced = cli.auth_header;
    run_backend(backend, &cli.common, backend.profile, |config| {
        let auth = AuthHeader::for_key_env(forced, &config.key_env);
        let provider = Anthropic::new(config.base_url.clone(), auth);
        HttpBackend::new(provider, config).map_err(|err| err.to_string())
    })
    .await
}

/// Google Gemini (AI Studio API) as an MCP server on stdio: tools complete, chat, list_models
/// and status over the native generateContent API. The key comes from GEMINI_API_KEY (or
/// --api-key-env) and travels in the x-goog-api-key header; GEMINI_BASE_URL or --base-url
/// change the endpoint. Aliases: flash, flash-lite, pro.
#[derive(Parser)]
#[command(version)]
struct GeminiCli {
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) async fn gemini(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("gemini");
    let cli: GeminiCli = parse(backend, bin_name, args);
    run_backend(backend, &cli.common, backend.profile, |config| {
        HttpBackend::new(GeminiProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}

/// Mistral (La Plateforme) as an MCP server on stdio: tools complete, chat, list_models and
/// status over /v1/chat/completions. The key comes from MISTRAL_API_KEY (or --api-key-env);
/// MISTRAL_BASE_URL or --base-url change the endpoint. Aliases: small, medium, large, mini,
/// tiny, code, devstral, magistral.
#[derive(Parser)]
#[command(version)]
struct MistralCli {
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) async fn mistral(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("mistral");
    let cli: MistralCli = parse(backend, bin_name, args);
    run_backend(backend, &cli.common, backend.profile, |config| {
        HttpBackend::new(MistralProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}

/// Offline, deterministic LLM backend as an MCP server on stdio: echoes the prompt, counts
/// words as tokens, honours max_tokens. For tests, demos and wiring checks.
#[derive(Parser)]
#[command(version)]
struct MockCli {
    #[command(flatten)]
    common: CommonArgs,
    /// Wait this long before each answer.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
}

pub(super) async fn mock(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("mock");
    let cli: MockCli = parse(backend, bin_name, args);
    let latency = Duration::from_millis(cli.latency_ms);
    run_backend(backend, &cli.common, backend.profile, |_| {
        Ok(MockBackend::new(latency))
    })
    .await
}

/// Ollama (local or hosted) as an MCP server on stdio: tools complete, chat, list_models and
/// status over Ollama's native /api/chat. The endpoint comes from --base-url or OLLAMA_HOST
/// (`host:port` without a scheme is fine); OLLAMA_API_KEY is only needed for hosted Ollama.
#[derive(Parser)]
#[command(version)]
struct OllamaCli {
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) async fn ollama(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("ollama");
    let mut cli: OllamaCli = parse(backend, bin_name, args);
    // OLLAMA_HOST is often `0.0.0.0:11434` or `localhost:11434`, which the shared base-URL
    // parser rejects; it is read the way the ollama CLI reads it before configuration resolves.
    let host = cli
        .common
        .base_url
        .clone()
        .or_else(|| std::env::var(backend.profile.base_url_env).ok())
        .filter(|value| !value.trim().is_empty());
    cli.common.base_url = host.map(|value| normalize_host(&value));
    run_backend(backend, &cli.common, backend.profile, |config| {
        HttpBackend::new(OllamaProvider::new(config.base_url.clone()), config)
            .map_err(|err| err.to_string())
    })
    .await
}

/// OpenAI Chat Completions (and OpenAI-compatible services) as an MCP server on stdio.
///
/// A key is required unless the endpoint needs none: a preset of a local server (vllm,
/// lmstudio, llamacpp, ollama), a loopback base URL, or --key-optional. Without a required key
/// the server still starts; `status` says it is missing and calls return `[auth]`.
#[derive(Parser)]
#[command(version)]
struct OpenAiCli {
    #[command(flatten)]
    common: CommonArgs,
    /// A service's defaults: openai, azure, openrouter, together, fireworks, groq, deepseek,
    /// xai, mistral, gemini, qwen, moonshot, yi, cohere, minimax, falcon, jais, sansa,
    /// perplexity, cerebras, vllm, lmstudio, llamacpp, ollama (`llm-mcp presets` lists each
    /// one's variables).
    #[arg(long, default_value = "openai", value_name = "NAME")]
    preset: String,
    /// Azure OpenAI's api-version for the deployment routes (not used by the /openai/v1 API).
    #[arg(long, env = "OPENAI_API_VERSION", default_value = AZURE_API_VERSION, value_name = "VERSION")]
    api_version: String,
    /// Call without a key when none is set (a server that needs none); implied by a loopback
    /// base URL and by the local presets.
    #[arg(long)]
    key_optional: bool,
    /// The catalog model a deployment runs, so its parameter rules follow the model and not
    /// the deployment's name (Azure: `--deployment-model gpt-6-astra` for a deployment called
    /// prod-reasoner). MODEL alone is for the default deployment (--model); DEPLOYMENT=MODEL
    /// for another; repeatable, or comma-separated in the variable.
    #[arg(
        long,
        env = "AZURE_OPENAI_DEPLOYMENT_MODEL",
        value_name = "[DEPLOYMENT=]MODEL",
        value_delimiter = ','
    )]
    deployment_model: Vec<String>,
    /// Which API calls go to: chat (Chat Completions), responses (the Responses API), or auto:
    /// Responses for the models the catalog says need it, at the endpoints the catalog knows
    /// to serve it (OpenAI's API, Azure OpenAI), Chat Completions for everything else.
    #[arg(long, value_enum, default_value = "auto", value_name = "API")]
    api: ApiChoice,
    /// Sign in with a login instead of a key. codex: the ChatGPT login the Codex CLI keeps
    /// after `codex login` ($CODEX_HOME/auth.json, else ~/.codex/auth.json), refreshed when
    /// it expires; calls go to the ChatGPT backend's Responses API
    /// (https://chatgpt.com/backend-api/codex unless --base-url says otherwise).
    #[arg(long, value_enum, value_name = "LOGIN")]
    auth: Option<LoginKind>,
}

/// The logins `--auth` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LoginKind {
    /// The Codex CLI's ChatGPT login.
    Codex,
}

/// Where `--auth codex` reads and refreshes the login, settled before the server starts.
struct CodexSetup {
    file: std::path::PathBuf,
    token_url: reqwest::Url,
}

/// Whether a token may travel to `url`: over https, or over http to this machine.
fn token_may_travel_to(url: &reqwest::Url) -> bool {
    url.scheme() == "https" || crate::providers::openai::is_loopback(url)
}

/// Settles `--auth codex`: the login file, the token endpoint, and the endpoint calls go to
/// (the ChatGPT backend unless `--base-url` says otherwise; `OPENAI_BASE_URL` is an API key's
/// endpoint and is not read for a login).
fn settle_codex(cli: &mut OpenAiCli) -> Result<CodexSetup, String> {
    use crate::auth::codex::{CODEX_BASE_URL, TOKEN_URL, TOKEN_URL_ENV};
    if cli.preset != "openai" {
        return Err(format!(
            "--auth codex goes with the openai preset, not --preset {}",
            cli.preset
        ));
    }
    if cli.api == ApiChoice::Chat {
        return Err(
            "--auth codex: the ChatGPT backend speaks only the Responses API; leave out --api chat"
                .into(),
        );
    }
    let env = |name: &str| std::env::var(name).ok();
    let file = crate::auth::codex_file::auth_file(&env)
        .ok_or("--auth codex: set CODEX_HOME (or HOME) so that the Codex login can be found")?;
    let token_url = env(TOKEN_URL_ENV)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| TOKEN_URL.to_string());
    let token_url = reqwest::Url::parse(token_url.trim())
        .map_err(|err| format!("{TOKEN_URL_ENV}: not a URL ({err})"))?;
    let base = cli
        .common
        .base_url
        .get_or_insert_with(|| CODEX_BASE_URL.to_string())
        .clone();
    let base_url = reqwest::Url::parse(base.trim()).map_err(|err| format!("--base-url: {err}"))?;
    for (what, url) in [("--base-url", &base_url), (TOKEN_URL_ENV, &token_url)] {
        if !cli.common.allow_http && !token_may_travel_to(url) {
            return Err(format!(
                "{what}: the Codex login goes only over https (or http to this machine; --allow-http overrides)"
            ));
        }
    }
    cli.api = ApiChoice::Responses;
    Ok(CodexSetup { file, token_url })
}

/// The backend of the Codex login: Responses only, the login read before each call.
fn codex_backend(
    setup: &CodexSetup,
    chat: crate::providers::openai::OpenAi,
    config: &crate::config::ServerConfig,
) -> Result<OpenAiBackend, String> {
    use crate::auth::codex::{CodexLogin, CodexSigner};
    let login = Arc::new(
        CodexLogin::new(
            setup.file.clone(),
            setup.token_url.clone(),
            config.connect_timeout,
        )
        .map_err(|err| err.to_string())?,
    );
    let signer = Arc::new(CodexSigner::new(Arc::clone(&login)));
    let route = Route::Codex { signer };
    let responses = Responses::new(config.base_url.clone(), route, chat, config.profile.backend);
    let http = HttpBackend::new(responses, config).map_err(|err| err.to_string())?;
    Ok(OpenAiBackend::responses_only(http.with_token_source(login)))
}

/// The preset, with `key_required` settled for the endpoint in use.
fn settle(cli: &OpenAiCli) -> Result<Preset, String> {
    let mut preset = *presets::find(&cli.preset).ok_or_else(|| {
        format!(
            "--preset {}: unknown; one of {}",
            cli.preset,
            presets::names().join(", ")
        )
    })?;
    if preset.wire == presets::Wire::Mistral && cli.api == ApiChoice::Responses {
        return Err(format!(
            "--preset {}: Mistral's service has no Responses API; leave out --api responses",
            cli.preset
        ));
    }
    let profile = &mut preset.profile;
    let base_url = cli
        .common
        .base_url
        .clone()
        .or_else(|| std::env::var(profile.base_url_env).ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| profile.base_url.to_string());
    if base_url.is_empty() {
        return Err(format!(
            "--preset {}: set {} or pass --base-url (the resource endpoint, e.g. https://NAME.openai.azure.com)",
            profile.backend, profile.base_url_env
        ));
    }
    if profile.default_model.is_empty() && cli.common.model.is_none() {
        return Err(format!(
            "--preset {}: name the model the server serves with --model or LLM_MCP_MODEL",
            profile.backend
        ));
    }
    profile.key_required = profile.key_required && !cli.key_optional && needs_key(&base_url);
    Ok(preset)
}

pub(super) async fn openai(args: Vec<OsString>, bin_name: String) -> ExitCode {
    let backend = info("openai");
    let mut cli: OpenAiCli = parse(backend, bin_name, args);
    let settled = match cli.auth {
        Some(LoginKind::Codex) => settle_codex(&mut cli).map(Some),
        None => Ok(None),
    }
    .and_then(|codex| settle(&cli).map(|preset| (preset, codex)));
    let (mut preset, codex) = match settled {
        Ok(settled) => settled,
        Err(err) => {
            crate::run::init_logging();
            tracing::error!("{}: {err}", backend.binary);
            return ExitCode::from(2);
        }
    };
    if codex.is_some() {
        // The login is the credential: no key is needed (nor sent).
        preset.profile.key_required = false;
    }
    let mut common = cli.common.clone();
    common.catalog_provider = preset.catalog_provider.map(str::to_string);
    common.catalog_models = cli.deployment_model.clone();
    run_backend(backend, &common, preset.profile, |config| {
        let provider = presets::provider(&preset, &config.base_url, &cli.api_version);
        let chat = match (&provider, &codex) {
            (PresetProvider::OpenAi(openai), _) => openai.clone(),
            // Mistral's service has no Responses API (settle refuses --api responses there).
            (PresetProvider::Mistral(_), None) => {
                let chat = HttpBackend::new(provider, config).map_err(|err| err.to_string())?;
                return Ok(OpenAiBackend::chat_only(chat));
            }
            (PresetProvider::Mistral(_), Some(_)) => {
                return Err("--auth codex goes with the openai preset".into());
            }
        };
        if let Some(codex) = &codex {
            return codex_backend(codex, chat, config);
        }
        let azure = preset.wire == presets::Wire::Azure;
        let route = Route::for_endpoint(azure, &config.base_url, &cli.api_version);
        let responses =
            Responses::new(config.base_url.clone(), route, chat, config.profile.backend);
        let speaks = speaks_responses(
            &config.catalog,
            config.catalog_provider.as_deref(),
            config.base_url.host_str(),
        );
        let chat = HttpBackend::new(provider, config).map_err(|err| err.to_string())?;
        Ok(OpenAiBackend::new(cli.api, speaks, chat, responses))
    })
    .await
}

#[cfg(test)]
mod tests;
