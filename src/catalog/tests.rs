//! Catalog tests: the file format, merging user files, name matching, endpoint prices and the
//! built-in data's own consistency.

use super::types::{Reasoning, Status, TokenLimitField, ToolsApi};
use super::*;

const USER_FILE: &str = r#"{
  "format": 1,
  "provider": "openai",
  "endpoints": [{"id": "gateway", "hosts": ["llm.example.com"], "prices_apply": true}],
  "models": [
    {"id": "gpt-5.5", "endpoints": ["gateway"],
     "price": {"input": 1.0, "output": 2.0, "source": "https://llm.example.com/prices", "as_of": "2026-12-01"},
     "sources": ["https://llm.example.com/models"]},
    {"id": "house-model-1", "aliases": ["house"], "max_output": 4096,
     "tools_api": "chat_completions",
     "price": {"input": 0.5, "output": 0.5, "source": "https://llm.example.com/prices", "as_of": "2026-12-01"},
     "sources": ["https://llm.example.com/models"]}
  ]
}"#;

fn merged(text: &str) -> Result<Catalog, CatalogError> {
    let mut catalog = Catalog::builtin();
    catalog.merge_text("user.json", text)?;
    Ok(catalog)
}

#[test]
fn every_builtin_file_parses_and_every_fact_cites_a_page() {
    let catalog = Catalog::builtin();
    for name in ["anthropic", "openai", "gemini", "mistral", "ollama", "mock"] {
        assert!(catalog.provider(name).is_some(), "{name}");
    }
    for (provider, model) in catalog.models() {
        assert!(
            !model.sources.is_empty(),
            "{provider}/{} has no source",
            model.id
        );
        if let Some(price) = &model.price {
            assert!(!price.source.is_empty(), "{provider}/{}", model.id);
            assert!(parse::is_date(&price.as_of), "{provider}/{}", model.id);
        }
    }
}

#[test]
fn every_builtin_replacement_is_a_model_of_the_same_provider_and_not_retired() {
    let catalog = Catalog::builtin();
    let mut replacements = 0;
    for provider in catalog.providers() {
        for model in &provider.models {
            let Some(target) = model
                .lifecycle
                .as_ref()
                .and_then(|l| l.replacement.as_ref())
            else {
                continue;
            };
            replacements += 1;
            let entry = lookup::find_model(provider, target)
                .unwrap_or_else(|| panic!("{}: replacement {target} missing", model.id));
            let status = entry.lifecycle.as_ref().map(|l| l.status);
            assert_ne!(status, Some(Status::Retired), "{} -> {target}", model.id);
        }
    }
    assert!(replacements >= 5, "{replacements}");
}

#[test]
fn only_ollama_and_the_mock_have_endpoints_without_prices_of_their_own() {
    // Every priced provider prices at its own API host, and Ollama has no prices at all.
    let catalog = Catalog::builtin();
    for (host, provider) in [
        ("api.anthropic.com", "anthropic"),
        ("api.openai.com", "openai"),
        ("generativelanguage.googleapis.com", "gemini"),
        ("api.mistral.ai", "mistral"),
    ] {
        let priced = catalog
            .provider(provider)
            .unwrap()
            .models
            .iter()
            .filter(|m| {
                catalog
                    .lookup(provider, Some(host), &m.id)
                    .unwrap()
                    .price()
                    .is_some()
            })
            .count();
        assert!(priced > 0, "{provider}");
        assert_eq!(catalog.provider_for_host(host), Some(provider));
    }
    assert!(
        catalog
            .models()
            .all(|(p, m)| p != "ollama" || m.price.is_none())
    );
}

#[test]
fn a_good_file_parses_into_typed_facts() {
    let catalog = Catalog::builtin();
    let astra = catalog
        .lookup("openai", Some("api.openai.com"), "gpt-6-astra")
        .unwrap();
    assert_eq!(astra.entry.tools_api, Some(ToolsApi::Responses));
    assert_eq!(
        astra.entry.token_limit_field,
        Some(TokenLimitField::MaxCompletionTokens)
    );
    assert_eq!(astra.entry.params.temperature, Some(false));
    assert!(
        matches!(&astra.entry.reasoning, Some(Reasoning::Effort { levels, .. }) if levels[0] == "low")
    );
    let oss = catalog
        .lookup("ollama", Some("127.0.0.1"), "gpt-oss:20b")
        .unwrap();
    assert!(
        matches!(&oss.entry.reasoning, Some(Reasoning::OllamaThink { levels }) if levels.len() == 3)
    );
    assert!(oss.price().is_none());
}

#[test]
fn an_unknown_field_is_an_error_naming_the_file_the_path_and_the_field() {
    let text = USER_FILE.replace("\"max_output\"", "\"max_ouptut\"");
    let err = merged(&text).unwrap_err();
    assert_eq!(err.file, "user.json");
    assert_eq!(err.path, "models[1].max_ouptut");
    assert!(err.message.contains("max_ouptut"), "{err}");
    let text = USER_FILE.replace("\"prices_apply\"", "\"price_apply\"");
    let err = merged(&text).unwrap_err();
    assert_eq!(err.path, "endpoints[0].price_apply");
    assert!(
        err.to_string()
            .starts_with("catalog user.json: endpoints[0].price_apply: "),
        "{err}"
    );
}

#[test]
fn bad_values_are_errors_with_their_path() {
    let cases = [
        (
            "\"as_of\": \"2026-12-01\"",
            "\"as_of\": \"Dec 2026\"",
            "models[0].price.as_of",
        ),
        ("\"input\": 1.0", "\"input\": -1.0", "models[0].price.input"),
        (
            "\"max_output\": 4096",
            "\"max_output\": \"4k\"",
            "models[1].max_output",
        ),
        (
            "\"tools_api\": \"chat_completions\"",
            "\"tools_api\": \"chat\"",
            "models[1].tools_api",
        ),
        ("\"format\": 1", "\"format\": 2", "format"),
        (
            "\"endpoints\": [\"gateway\"]",
            "\"endpoints\": [\"nowhere\"]",
            "models[0].endpoints[0]",
        ),
    ];
    for (from, to, path) in cases {
        let text = USER_FILE.replacen(from, to, 1);
        assert_ne!(text, USER_FILE, "{from}");
        let err = merged(&text).unwrap_err();
        assert_eq!(err.path, path, "{to}: {err}");
    }
    let err = merged("{\"format\": 1, \"provider\": \"x\"} trailing").unwrap_err();
    assert_eq!(err.path, ".");
}

#[test]
fn a_user_file_overrides_same_ids_and_adds_new_ones() {
    let catalog = merged(USER_FILE).unwrap();
    let openai = catalog.provider("openai").unwrap();
    let builtin = Catalog::builtin();
    assert_eq!(
        openai.models.len(),
        builtin.provider("openai").unwrap().models.len() + 1
    );
    // The override replaced the whole entry: its price is the user's, at the user's endpoint.
    let found = catalog
        .lookup("openai", Some("llm.example.com"), "gpt-5.5")
        .unwrap();
    assert_eq!(found.price().unwrap().input, 1.0);
    assert!(
        catalog
            .lookup("openai", Some("api.openai.com"), "gpt-5.5")
            .unwrap()
            .price()
            .is_none()
    );
    let house = catalog
        .lookup("openai", Some("api.openai.com"), "house")
        .unwrap();
    assert_eq!(house.entry.id, "house-model-1");
    assert_eq!(house.price().unwrap().output, 0.5);
    // Built-in entries the file does not name are untouched.
    assert_eq!(
        catalog
            .lookup("openai", Some("api.openai.com"), "gpt-4o")
            .unwrap()
            .entry,
        builtin
            .lookup("openai", Some("api.openai.com"), "gpt-4o")
            .unwrap()
            .entry
    );
}

#[test]
fn user_files_load_from_disk_in_order_and_a_name_may_not_belong_to_two_entries() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("first.json");
    let second = dir.join("second.json");
    std::fs::write(&first, USER_FILE).unwrap();
    std::fs::write(
        &second,
        USER_FILE.replace("\"max_output\": 4096", "\"max_output\": 8192"),
    )
    .unwrap();
    let catalog = Catalog::with_files(&[first, second]).unwrap();
    let house = catalog.lookup("openai", None, "house-model-1").unwrap();
    assert_eq!(house.entry.max_output, Some(8192));
    let clash = dir.join("clash.json");
    std::fs::write(&clash, USER_FILE.replace("[\"house\"]", "[\"gpt-4o\"]")).unwrap();
    let err = Catalog::with_files(std::slice::from_ref(&clash)).unwrap_err();
    assert!(err.message.contains("\"gpt-4o\""), "{err}");
    assert_eq!(err.file, clash.display().to_string());
    let missing = dir.join("missing.json");
    assert!(
        Catalog::with_files(&[missing])
            .unwrap_err()
            .message
            .contains("cannot read")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ids_aliases_and_dated_snapshots_match_and_looser_prefixes_never_do() {
    let catalog = Catalog::builtin();
    let id = |provider: &str, model: &str| {
        catalog
            .lookup(provider, None, model)
            .map(|f| f.entry.id.clone())
    };
    assert_eq!(
        id("anthropic", "claude-sonnet-4-5-20250929").as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(id("openai", "gpt-5-2025-08-07").as_deref(), Some("gpt-5"));
    assert_eq!(
        id("openai", "gpt-5-mini-2025-08-07").as_deref(),
        Some("gpt-5-mini")
    );
    assert_eq!(
        id("mistral", "mistral-medium-latest").as_deref(),
        Some("mistral-medium-3.5")
    );
    assert_eq!(
        id("mistral", "magistral-medium-2506").as_deref(),
        Some("magistral-medium")
    );
    assert_eq!(id("ollama", "qwen3:8b").as_deref(), Some("qwen3"));
    assert_eq!(
        id("openai", "gpt-5.4-mini"),
        Some("gpt-5.4-mini".to_string())
    );
    for (provider, model) in [
        ("openai", "gpt-5-turbo-preview"),
        ("openai", "gpt-5.4-mini-high"),
        ("openai", "gpt-6"),
        ("openai", "gpt-5-2025-08"),
        ("openai", "gpt-5-2025-08-07-"),
        ("gemini", "gemini-2.5-flash-preview-09-2025"),
        ("anthropic", "claude-sonnet-4-5-latest"),
        ("ollama", "qwen3.5"),
        ("ollama", "qwen3:"),
    ] {
        assert_eq!(id(provider, model), None, "{model}");
    }
    assert!(lookup::names_model("gpt-oss:20b", "gpt-oss:20b"));
    assert!(!lookup::names_model("gpt-oss:20b:x", "gpt-oss:20b"));
}

#[test]
fn prices_belong_to_the_endpoint_host() {
    let catalog = Catalog::builtin();
    let price = |provider: &str, host: &str, model: &str| {
        catalog
            .lookup(provider, Some(host), model)
            .and_then(|f| f.price())
            .map(|p| p.input)
    };
    assert_eq!(price("openai", "api.openai.com", "gpt-5.5"), Some(5.0));
    assert_eq!(price("openai", "API.OpenAI.com.", "gpt-5.5"), Some(5.0));
    assert_eq!(price("openai", "127.0.0.1", "gpt-5.5"), None);
    assert_eq!(price("openai", "localhost", "gpt-5.5"), None);
    assert_eq!(price("openai", "myres.openai.azure.com", "gpt-5.5"), None);
    assert_eq!(price("openai", "openai.com", "gpt-5.5"), None);
    assert_eq!(price("openai", "evilapi.openai.com", "gpt-5.5"), None);
    assert_eq!(
        price("anthropic", "api.anthropic.com", "claude-sonnet-4-6"),
        Some(3.0)
    );
    assert_eq!(price("anthropic", "127.0.0.1", "claude-sonnet-4-6"), None);
    assert_eq!(
        price(
            "gemini",
            "generativelanguage.googleapis.com",
            "gemini-3.8-flash"
        ),
        Some(0.75)
    );
    assert_eq!(price("mock", "127.0.0.1", "mock-echo-1"), Some(0.0));
    // The Azure endpoint is OpenAI's: its models' facts apply, its prices do not.
    let azure = catalog
        .lookup("openai", Some("x.openai.azure.com"), "gpt-6-astra")
        .unwrap();
    assert_eq!(azure.endpoint.map(|e| e.id.as_str()), Some("azure"));
    assert_eq!(
        catalog.provider_for_host("x.openai.azure.com"),
        Some("openai")
    );
    assert_eq!(catalog.provider_for_host("10.0.0.7"), None);
    assert!(lookup::host_matches(
        "*.openai.azure.com",
        "a.b.openai.azure.com"
    ));
    assert!(!lookup::host_matches(
        "*.openai.azure.com",
        "openai.azure.com"
    ));
}

#[test]
fn retired_targets_names_each_alias_pointing_at_a_retired_model() {
    let catalog = Catalog::builtin();
    let pairs = [
        ("default", "gemini-2.5-flash"),
        ("pro", "gemini-2.5-pro"),
        ("flash", "gemini-flash-latest"),
        ("new", "gemini-4-ultra"),
    ];
    let retired = catalog.retired_targets("gemini", &pairs);
    let got: Vec<(&str, Option<&str>)> = retired
        .iter()
        .map(|r| (r.alias.as_str(), r.replacement.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("default", Some("gemini-3.8-flash")),
            ("pro", Some("gemini-pro-latest"))
        ]
    );
    let mistral = catalog.retired_targets(
        "mistral",
        &[
            ("magistral", "magistral-medium-latest"),
            ("medium", "mistral-medium-latest"),
        ],
    );
    assert_eq!(mistral.len(), 1);
    assert_eq!(
        mistral[0].replacement.as_deref(),
        Some("mistral-medium-3.5")
    );
    assert!(catalog.retired_targets("nobody", &pairs).is_empty());
}

#[test]
fn the_recommended_defaults_and_aliases_name_no_retired_model() {
    // The pairs the lead applies to the provider profiles (see the catalog report).
    let catalog = Catalog::builtin();
    let recommended: &[(&str, &[(&str, &str)])] = &[
        (
            "anthropic",
            &[
                ("default", "claude-sonnet-5-5"),
                ("haiku", "claude-haiku-5-5"),
                ("sonnet", "claude-sonnet-5-5"),
                ("opus", "claude-opus-5-5"),
            ],
        ),
        (
            "openai",
            &[
                ("default", "gpt-6.1-terra"),
                ("latest", "gpt-6-astra"),
                ("mini", "gpt-6-luna"),
                ("nano", "gpt-6-luna"),
                ("reasoning", "gpt-6.1-sol"),
            ],
        ),
        (
            "gemini",
            &[
                ("default", "gemini-flash-latest"),
                ("flash", "gemini-flash-latest"),
                ("pro", "gemini-pro-latest"),
            ],
        ),
        (
            "mistral",
            &[
                ("default", "mistral-medium-latest"),
                ("medium", "mistral-medium-latest"),
                ("devstral", "mistral-medium-latest"),
                ("magistral", "mistral-medium-latest"),
            ],
        ),
    ];
    for (provider, pairs) in recommended {
        assert_eq!(catalog.retired_targets(provider, pairs), [], "{provider}");
        for (alias, id) in *pairs {
            assert!(
                catalog.lookup(provider, None, id).is_some(),
                "{provider} {alias} -> {id}"
            );
        }
    }
}

#[test]
fn the_models_table_shows_unknown_as_a_dash_and_json_round_trips() {
    let catalog = Catalog::builtin();
    let lines = crate::cli::models::table(&catalog, Some("openai"));
    assert!(lines[0].starts_with("PROVIDER  ID"), "{}", lines[0]);
    let astra = lines.iter().find(|l| l.contains("gpt-6-astra ")).unwrap();
    assert!(
        astra.contains("1050000") && astra.contains("responses") && astra.contains("10/50"),
        "{astra}"
    );
    assert!(lines.iter().skip(1).all(|l| l.starts_with("openai")));
    let pro = lines.iter().find(|l| l.contains("gpt-5.5-pro")).unwrap();
    assert!(
        pro.split_whitespace().filter(|c| *c == "-").count() >= 5,
        "{pro}"
    );
    // Each provider of the JSON is a valid --catalog file that reproduces the catalog.
    let json = catalog.to_json(None);
    let mut rebuilt = Catalog {
        providers: Vec::new(),
    };
    for provider in json["providers"].as_array().unwrap() {
        rebuilt.merge_text("json", &provider.to_string()).unwrap();
    }
    assert_eq!(rebuilt, catalog);
}
