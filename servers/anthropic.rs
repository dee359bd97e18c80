//! `llm-mcp-anthropic`: the Anthropic Messages API, or any Anthropic-compatible endpoint, as an
//! MCP server on stdio.

use std::process::ExitCode;

use clap::Parser;
use llm_mcp::config::CommonArgs;
use llm_mcp::http::HttpBackend;
use llm_mcp::providers::anthropic::{Anthropic, AuthHeader, PROFILE, fallback_key_env};

/// Anthropic's Claude models (Messages API) as an MCP server on stdio. Also serves
/// Anthropic-compatible endpoints (Ollama, proxies, gateways) through --base-url or
/// ANTHROPIC_BASE_URL. The key comes from ANTHROPIC_API_KEY, or from ANTHROPIC_AUTH_TOKEN
/// (sent as a bearer token) when ANTHROPIC_API_KEY is unset.
#[derive(Parser)]
#[command(name = "llm-mcp-anthropic", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// How the key is sent: x-api-key (Anthropic's API) or bearer (`Authorization: Bearer`,
    /// for compatible endpoints and proxies). Default: bearer when the key comes from
    /// ANTHROPIC_AUTH_TOKEN, x-api-key otherwise.
    #[arg(long, value_enum, value_name = "STYLE")]
    auth_header: Option<AuthHeader>,
}

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if cli.common.api_key_env.is_none() {
        let env = |name: &str| std::env::var(name).ok();
        cli.common.api_key_env = fallback_key_env(&env).map(str::to_string);
    }
    let forced = cli.auth_header;
    llm_mcp::run::run_backend("llm-mcp-anthropic", &cli.common, PROFILE, |config| {
        let auth = AuthHeader::for_key_env(forced, &config.key_env);
        let provider = Anthropic::new(config.base_url.clone(), auth);
        HttpBackend::new(provider, config).map_err(|err| err.to_string())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_header_flag_takes_both_styles_and_nothing_else() {
        let parse =
            |args: &[&str]| Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()));
        assert_eq!(parse(&[]).unwrap().auth_header, None);
        let bearer = parse(&["--auth-header", "bearer"]).unwrap();
        assert_eq!(bearer.auth_header, Some(AuthHeader::Bearer));
        let key = parse(&["--auth-header", "x-api-key"]).unwrap();
        assert_eq!(key.auth_header, Some(AuthHeader::XApiKey));
        assert!(parse(&["--auth-header", "basic"]).is_err());
    }
}
