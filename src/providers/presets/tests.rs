//! The preset table and Azure's request shapes.

use crate::test_server::Authed;
use std::collections::BTreeSet;

use clap::Parser;
use reqwest::Url;
use serde_json::{Value, json};

use super::*;
use crate::catalog::Catalog;
use crate::catalog::types::TokenLimitField;
use crate::completion::{CompletionRequest, Message, Role, Sampling, ToolCall};
use crate::config::CommonArgs;
use crate::provider::Provider;
use crate::secret::Secret;

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
            (preset.wire == Wire::Azure && var == "AZURE_OPENAI_ENDPOINT")
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
fn presets_choose_their_token_field_unless_the_request_names_one() {
    let field = |name: &str, model: &str, named: Option<TokenLimitField>| -> &'static str {
        let preset = find(name).unwrap();
        let base = Url::parse(preset.profile.base_url).unwrap();
        let mut asked = request(model, 9);
        asked.token_limit_field = named;
        let body = provider(preset, &base, AZURE_API_VERSION)
            .authed_completion(&asked, None)
            .unwrap()
            .body
            .unwrap();
        let found: Vec<_> = ["max_tokens", "max_completion_tokens"]
            .into_iter()
            .filter(|f| body.get(*f) == Some(&json!(9)))
            .collect();
        assert_eq!(found.len(), 1, "{body}");
        found[0]
    };
    // A model nobody knows: the preset's field, whatever the model's name.
    assert_eq!(
        field("groq", "llama-3.3-70b-versatile", None),
        "max_completion_tokens"
    );
    assert_eq!(
        field("cerebras", "gpt-oss-120b", None),
        "max_completion_tokens"
    );
    assert_eq!(field("openrouter", "openai/gpt-5", None), "max_tokens");
    assert_eq!(field("vllm", "gpt-5", None), "max_tokens");
    // OpenAI's own API deprecated max_tokens and takes max_completion_tokens for every chat
    // model, so an unknown name gets it there.
    assert_eq!(
        field("openai", "house-model", None),
        "max_completion_tokens"
    );
    // What the catalog (or an earlier refusal) says wins.
    let tokens = Some(TokenLimitField::MaxTokens);
    let completion = Some(TokenLimitField::MaxCompletionTokens);
    assert_eq!(field("openai", "gpt-4o", tokens), "max_tokens");
    assert_eq!(field("vllm", "qwen3", completion), "max_completion_tokens");
    // A field of another wire format does not apply to Chat Completions.
    let gemini = Some(TokenLimitField::GenerationConfigMaxOutputTokens);
    assert_eq!(field("gemini", "gemini-flash-latest", gemini), "max_tokens");
    // Mistral knows max_tokens only (422 `extra_forbidden` for the other).
    assert_eq!(
        field("mistral", "mistral-medium-latest", completion),
        "max_tokens"
    );
}

/// The catalog provider a preset's requests are shaped by, as `CommonArgs::resolve` finds it.
fn catalog_provider(catalog: &Catalog, preset: &Preset) -> Option<String> {
    let name = preset.catalog_provider.unwrap_or(preset.profile.backend);
    catalog.provider(name).map(|p| p.provider.clone())
}

#[test]
fn no_preset_alias_or_default_names_a_retired_model() {
    let catalog = Catalog::builtin();
    let mut checked = BTreeSet::new();
    for preset in PRESETS {
        let Some(provider) = catalog_provider(&catalog, preset) else {
            continue;
        };
        let profile = preset.profile;
        let mut pairs: Vec<(&str, &str)> = profile.aliases.to_vec();
        pairs.push(("default", profile.default_model));
        let retired = catalog.retired_targets(&provider, &pairs);
        assert!(retired.is_empty(), "{}: {retired:?}", profile.backend);
        checked.insert(profile.backend);
    }
    // Every preset of a catalogued provider was checked, Azure against OpenAI's entries.
    let expected = BTreeSet::from(["azure", "gemini", "mistral", "ollama", "openai"]);
    assert_eq!(checked, expected);
    // The check would catch the defaults these presets had: Gemini 2.5 is shut down, and
    // Magistral and Devstral Medium 1.0 were folded into Mistral Medium 3.5.
    let old_gemini = [("default", "gemini-2.5-flash"), ("pro", "gemini-2.5-pro")];
    assert_eq!(catalog.retired_targets("gemini", &old_gemini).len(), 2);
    let old_mistral = [
        ("magistral", "magistral-medium-latest"),
        ("devstral", "devstral-medium-latest"),
    ];
    let retired = catalog.retired_targets("mistral", &old_mistral);
    assert_eq!(retired.len(), 2);
    assert_eq!(
        retired[0].replacement.as_deref(),
        Some("mistral-medium-3.5")
    );
}

#[test]
fn the_azure_preset_is_shaped_by_openais_catalog_and_its_default_version_takes_reasoning_models() {
    assert_eq!(azure().catalog_provider, Some("openai"));
    let catalog = Catalog::builtin();
    assert_eq!(
        catalog_provider(&catalog, azure()).as_deref(),
        Some("openai")
    );
    // Azure: reasoning models are "enabled only for api versions 2024-12-01-preview and
    // later"; versions are dates, so they compare as text.
    assert!(
        AZURE_API_VERSION >= "2024-12-01-preview",
        "{AZURE_API_VERSION}"
    );
    assert_eq!(AZURE_API_VERSION, "2025-04-01-preview");
}

#[test]
fn the_mistral_preset_speaks_through_the_mistral_adapter() {
    let preset = find("mistral").unwrap();
    assert_eq!(preset.wire, Wire::Mistral);
    let base = Url::parse("https://api.mistral.ai/v1").unwrap();
    let provider = provider(preset, &base, AZURE_API_VERSION);
    assert!(
        matches!(provider, PresetProvider::Mistral(_)),
        "{provider:?}"
    );
    // Ids minted by another provider become the 9 characters Mistral accepts, the call and
    // its result alike ("Tool call id was call_0 but must be a-z, A-Z, 0-9, with a length of 9").
    let mut asked = request("mistral-medium-latest", 50);
    asked.messages.push(Message {
        role: Role::Assistant,
        tool_calls: vec![ToolCall {
            id: "call_0".into(),
            name: "lookup".into(),
            arguments: serde_json::Map::new(),
        }],
        ..Message::default()
    });
    asked.messages.push(Message {
        role: Role::Tool,
        content: "found".into(),
        tool_call_id: Some("call_0".into()),
        ..Message::default()
    });
    let wire = provider.authed_completion(&asked, None).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://api.mistral.ai/v1/chat/completions"
    );
    let body = wire.body.unwrap();
    let id = body["messages"][1]["tool_calls"][0]["id"].as_str().unwrap();
    assert_eq!(id.len(), 9, "{body}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert_eq!(body["messages"][2]["tool_call_id"], json!(id));
    // Mistral's finish reason for a full context window is a length stop.
    let answer = json!({"model": "mistral-medium-3-5", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": "cut"}, "finish_reason": "model_length"}]});
    let done = provider
        .parse_completion(answer.to_string().as_bytes())
        .unwrap();
    assert_eq!(done.finish_reason, crate::completion::FinishReason::Length);
    // Mistral's error bodies: a 422 validation list names the field.
    let refused = json!({"object": "error", "message": {"detail": [{"type": "extra_forbidden",
        "loc": ["body", "stream_options"], "msg": "Extra inputs are not permitted"}]},
        "type": "invalid_request_error", "param": null, "code": null});
    let err = provider.parse_error(422, refused.to_string().as_bytes());
    assert_eq!(err.kind, crate::error::ErrorKind::BadRequest);
    assert!(
        err.message
            .contains("stream_options: Extra inputs are not permitted"),
        "{}",
        err.message
    );
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
        "https://myres.openai.azure.com/openai/deployments/my%20dep%2F..%2Fx%3Fy/chat/completions?api-version=2025-04-01-preview"
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
    // The deployment's name says nothing here (no catalog entry settled the field), so Azure
    // gets the field all its chat models take; reasoning models take no other.
    assert_eq!(wire.body.unwrap()["max_completion_tokens"], 20);
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

#[test]
fn a_deployment_model_makes_a_deployment_follow_that_models_catalog_entry() {
    let resolve = |args: &[&str], models: &[&str], preset: &Preset| {
        let mut cli =
            Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap();
        cli.common.catalog_provider = preset.catalog_provider.map(str::to_string);
        cli.common.catalog_models = models.iter().map(|m| m.to_string()).collect();
        let env = |var: &str| {
            (var == "AZURE_OPENAI_ENDPOINT").then(|| "https://res.openai.azure.com".to_string())
        };
        cli.common.resolve(preset.profile, &env)
    };
    let models = ["gpt-6-astra", "cheap=gpt-6-luna"];
    let config = resolve(&["--model", "prod-reasoner"], &models, azure()).unwrap();
    assert_eq!(config.catalog_provider.as_deref(), Some("openai"));
    // MODEL alone is the default deployment's; NAME=MODEL another's; the rest go by name.
    assert_eq!(config.catalog_model("prod-reasoner"), "gpt-6-astra");
    assert_eq!(config.catalog_model("cheap"), "gpt-6-luna");
    assert_eq!(config.catalog_model("gpt-4o"), "gpt-4o");
    let found = config
        .catalog
        .lookup(
            "openai",
            config.base_url.host_str(),
            config.catalog_model("prod-reasoner"),
        )
        .unwrap();
    assert_eq!(
        found.entry.token_limit_field,
        Some(TokenLimitField::MaxCompletionTokens)
    );
    // Azure bills its own rates: the entry is found, OpenAI's list price does not apply.
    assert!(found.price().is_none());
    // A model the catalog does not know, a malformed entry, a preset without a catalog.
    let err = resolve(&[], &["prod=gpt-9-nova"], azure()).unwrap_err().0;
    assert!(
        err.contains("gpt-9-nova") && err.contains("--deployment-model"),
        "{err}"
    );
    let err = resolve(&[], &["prod="], azure()).unwrap_err().0;
    assert!(err.contains("DEPLOYMENT=MODEL"), "{err}");
    let err = resolve(
        &["--model", "qwen3"],
        &["gpt-6-astra"],
        find("vllm").unwrap(),
    )
    .unwrap_err()
    .0;
    assert!(err.contains("not in the model catalog"), "{err}");
}

#[test]
fn azure_deployments_named_dot_or_dot_dot_are_refused_not_dropped_from_the_path() {
    let endpoint = Url::parse("https://myres.openai.azure.com").unwrap();
    let provider = provider(azure(), &endpoint, AZURE_API_VERSION);
    for name in [".", "..", ""] {
        let err = provider
            .authed_completion(&request(name, 1), None)
            .unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::BadRequest, "{name:?}");
        assert!(err.message.contains("deployment"), "{}", err.message);
    }
}
