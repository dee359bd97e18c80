use super::*;
use crate::registry::BACKENDS;
use clap::CommandFactory;

fn render_help(backend: &BackendInfo) -> String {
    let command = match backend.name {
        "anthropic" => AnthropicCli::command(),
        "openai" => OpenAiCli::command(),
        "gemini" => GeminiCli::command(),
        "mistral" => MistralCli::command(),
        "ollama" => OllamaCli::command(),
        _ => MockCli::command(),
    };
    let mut command = command
        .name(backend.binary)
        .after_help(environment_help(backend));
    if !backend.network {
        for flag in NETWORK_FLAGS {
            command = command.mut_arg(flag, |arg| arg.hide(true));
        }
    }
    command.render_help().to_string()
}

#[test]
fn auth_header_flag_takes_both_styles_and_nothing_else() {
    let parse = |args: &[&str]| {
        AnthropicCli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
    };
    assert_eq!(parse(&[]).unwrap().auth_header, None);
    let bearer = parse(&["--auth-header", "bearer"]).unwrap();
    assert_eq!(bearer.auth_header, Some(AuthHeader::Bearer));
    let key = parse(&["--auth-header", "x-api-key"]).unwrap();
    assert_eq!(key.auth_header, Some(AuthHeader::XApiKey));
    assert!(parse(&["--auth-header", "basic"]).is_err());
}

#[test]
fn deployment_model_takes_a_model_or_deployment_equals_model_repeatedly() {
    let cli = OpenAiCli::try_parse_from([
        "x",
        "--preset",
        "azure",
        "--deployment-model",
        "gpt-6-astra",
        "--deployment-model",
        "cheap=gpt-6-luna,fast=gpt-6.1-terra",
    ])
    .unwrap();
    assert_eq!(
        cli.deployment_model,
        ["gpt-6-astra", "cheap=gpt-6-luna", "fast=gpt-6.1-terra"]
    );
    let help = OpenAiCli::command().render_help().to_string();
    assert!(help.contains("--deployment-model"), "{help}");
    assert!(help.contains("AZURE_OPENAI_DEPLOYMENT_MODEL"), "{help}");
}

#[test]
fn every_help_lists_its_key_and_endpoint_variables_with_defaults_and_rust_log() {
    for backend in BACKENDS {
        let help = render_help(backend);
        let p = &backend.profile;
        assert!(help.contains("Environment:\n"), "{help}");
        assert!(help.contains("RUST_LOG"), "{}: {help}", backend.name);
        assert!(help.contains("[default: warn]"), "{}: {help}", backend.name);
        let model_default = format!("[default: {}]", p.default_model);
        assert!(help.contains(&model_default), "{}: {help}", backend.name);
        if backend.network {
            assert!(help.contains(p.key_env), "{}: {help}", backend.name);
            let endpoint = format!("{}  the endpoint [default: {}]", p.base_url_env, p.base_url);
            assert!(
                help.lines()
                    .any(|line| line.trim_start().starts_with(p.base_url_env)
                        && line.ends_with(&format!("the endpoint [default: {}]", p.base_url))),
                "{}: {endpoint} in {help}",
                backend.name
            );
            assert!(help.contains("--base-url"), "{}: {help}", backend.name);
        } else {
            for flag in [
                "--base-url",
                "--api-key-env",
                "--connect-timeout",
                "--max-retries",
                "--allow-http",
            ] {
                assert!(
                    !help.contains(flag),
                    "{} lists {flag}: {help}",
                    backend.name
                );
            }
            assert!(help.contains("--latency-ms"), "{help}");
        }
    }
}
