//! The preset table and Azure's request shapes.

use crate::test_server::Authed;
use std::collections::BTreeSet;

use clap::Parser;
use serde_json::{Value, json};

use super::*;
use crate::completion::{CompletionRequest, Message, Sampling};
use crate::config::{CommonArgs, Secret};
use crate::provider::Provider;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

fn request(model: &str, max_tokens: u32) -> CompletionRequest {
    CompletionRequest {
        model: model.into(),
        system: None,
        messages: vec![Message::user("Hi")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling {
            max_tokens: Some(max_tokens),
            ..Sampling::default()
        },
        ..Default::default()
    }
}

#[test]
fn every_preset_resolves_to_a_working_configuration() {
    let names = names();
    assert_eq!(names.len(), 24);
    assert_eq!(
        names.iter().collect::<BTreeSet<_>>().len(),
        24,
        "names are unique"
    );
    for preset in PRESETS {
        let profile = preset.profile;
        let name = profile.backend;
        assert_eq!(find(&name.to_uppercase()).unwrap().profile.backend, name);
        assert!(
            !profile.key_env.is_empty() && !profile.base_url_env.is_empty(),
            "{name}"
        );
        let cli = Cli::try_parse_from(["x"]).unwrap();
        // Azure has no default endpoint: its variable supplies one.
        let env = |var: &str| {
            (preset.azure && var == "AZURE_OPENAI_ENDPOINT")
                .then(|| "https://res.openai.azure.com".to_string())
        };
        let config = cli.common.resolve(profile, &env).expect(name);
        let url = &config.base_url;
        if profile.key_required {
            assert_eq!(url.scheme(), "https", "{name}");
            assert!(!profile.default_model.is_empty(), "{name}");
        } else {
            assert!(openai::is_loopback(url), "{name}");
        }
        // Every preset builds a completion request to a URL under its base.
        let provider = provider(preset, url, AZURE_API_VERSION);
        let wire = provider
            .authed_completion(&request("m", 5), Some(&Secret::new("k".into())))
            .expect(name);
        assert_eq!(wire.url.host_str(), url.host_str(), "{name}");
        assert!(wire.url.path().ends_with("/chat/completions"), "{name}");
        for (alias, id) in profile.aliases {
            assert!(!alias.is_empty() && !id.is_empty(), "{name}");
        }
    }
    assert!(find("nonesuch").is_none());
}

#[test]
fn presets_choose_their_token_field() {
    let field = |name: &str, model: &str| -> &'static str {
        let preset = find(name).unwrap();
        let base = Url::parse(preset.profile.base_url).unwrap();
        let body = provider(preset, &base, AZURE_API_VERSION)
            .authed_completion(&request(model, 9), None)
            .unwrap()
            .body
            .unwrap();
        ["max_tokens", "max_completion_tokens"]
            .into_iter()
            .find(|f| body.get(*f) == Some(&json!(9)))
            .unwrap()
    };
    assert_eq!(
        field("groq", "llama-3.3-70b-versatile"),
        "max_completion_tokens"
    );
    assert_eq!(field("cerebras", "gpt-oss-120b"), "max_completion_tokens");
    assert_eq!(field("openrouter", "openai/gpt-5"), "max_tokens");
    assert_eq!(field("vllm", "gpt-5"), "max_tokens");
    assert_eq!(field("openai", "o3"), "max_completion_tokens");
    assert_eq!(field("openai", "gpt-4o"), "max_tokens");
}

fn azure() -> &'static Preset {
    find("azure").unwrap()
}

#[test]
fn azure_classic_routes_to_the_deployment_with_api_version_and_api_key() {
    let endpoint = Url::parse("https://myres.openai.azure.com/").unwrap();
    let provider = provider(azure(), &endpoint, "2025-04-01-preview");
    let key = Secret::new("azure-secret".into());
    let wire = provider
        .authed_completion(&request("o4-mini", 50), Some(&key))
        .unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://myres.openai.azure.com/openai/deployments/o4-mini/chat/completions?api-version=2025-04-01-preview"
    );
    assert_eq!(wire.headers["api-key"].to_str().unwrap(), "azure-secret");
    assert!(wire.headers["api-key"].is_sensitive());
    assert!(wire.headers.get("authorization").is_none());
    let body: Value = wire.body.unwrap();
    // The deployment is in the path; the body still names the model, as the SDKs send it.
    assert_eq!(body["model"], "o4-mini");
    assert_eq!(body["max_completion_tokens"], 50);
    let models = provider.authed_models(Some(&key)).unwrap();
    assert_eq!(
        models.url.as_str(),
        "https://myres.openai.azure.com/openai/models?api-version=2025-04-01-preview"
    );
    assert!(models.headers["api-key"].is_sensitive());
}

#[test]
fn azure_deployment_names_are_encoded_and_a_trailing_openai_is_dropped() {
    let endpoint = Url::parse("https://myres.openai.azure.com/openai").unwrap();
    let provider = provider(azure(), &endpoint, AZURE_API_VERSION);
    let wire = provider
        .authed_completion(&request("my dep/../x?y", 1), None)
        .unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://myres.openai.azure.com/openai/deployments/my%20dep%2F..%2Fx%3Fy/chat/completions?api-version=2024-10-21"
    );
}

#[test]
fn azure_v1_is_plain_openai_style_with_api_key() {
    let base = Url::parse("https://myres.openai.azure.com/openai/v1/").unwrap();
    let provider = provider(azure(), &base, AZURE_API_VERSION);
    let key = Secret::new("azure-secret".into());
    let wire = provider
        .authed_completion(&request("gpt-4o", 20), Some(&key))
        .unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://myres.openai.azure.com/openai/v1/chat/completions"
    );
    assert!(wire.url.query().is_none());
    assert!(wire.headers["api-key"].is_sensitive());
    assert_eq!(wire.body.unwrap()["max_tokens"], 20);
    assert_eq!(
        provider.authed_models(None).unwrap().url.as_str(),
        "https://myres.openai.azure.com/openai/v1/models"
    );
}

/// The body a preset streams with.
fn stream_body(preset: &str, base: &str, api_version: &str) -> Value {
    let preset = find(preset).unwrap();
    let provider = provider(preset, &Url::parse(base).unwrap(), api_version);
    assert_eq!(provider.stream_framing(), Some(crate::stream::Framing::Sse));
    provider
        .authed_stream(&request("m", 10), None)
        .unwrap()
        .body
        .unwrap()
}

#[test]
fn streams_ask_for_usage_except_where_stream_options_is_refused() {
    let usage = json!({"include_usage": true});
    let groq = stream_body("groq", "https://api.groq.com/openai/v1", AZURE_API_VERSION);
    assert_eq!(groq["stream"], true);
    assert_eq!(groq["stream_options"], usage);
    // Mistral answers 422 to `stream_options`.
    let mistral = stream_body("mistral", "https://api.mistral.ai/v1", AZURE_API_VERSION);
    assert_eq!(mistral["stream"], true);
    assert!(mistral.get("stream_options").is_none());
    // Azure's classic routes know it from 2024-08-01-preview on; the v1 API always.
    let endpoint = "https://myres.openai.azure.com";
    let current = stream_body("azure", endpoint, AZURE_API_VERSION);
    assert_eq!(current["stream_options"], usage);
    let preview = stream_body("azure", endpoint, "2024-08-01-preview");
    assert_eq!(preview["stream_options"], usage);
    let old = stream_body("azure", endpoint, "2024-06-01");
    assert_eq!(old["stream"], true);
    assert!(old.get("stream_options").is_none());
    let v1 = stream_body(
        "azure",
        "https://myres.openai.azure.com/openai/v1",
        "2024-06-01",
    );
    assert_eq!(v1["stream_options"], usage);
}
