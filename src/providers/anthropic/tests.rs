//! Requests, authentication and the model listing, checked against Anthropic's API reference.

use crate::secret::Secret;
use crate::test_server::Authed;
use serde_json::Value;
use std::collections::BTreeMap;

use super::*;
use crate::completion::{Message, Sampling};
use reqwest::Method;

fn adapter(auth: AuthHeader) -> Anthropic {
    Anthropic::new(Url::parse("https://api.anthropic.com/").unwrap(), auth)
}

fn hello() -> CompletionRequest {
    CompletionRequest {
        model: "claude-sonnet-5-5".into(),
        system: None,
        messages: vec![Message::user("Hello, Claude")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    }
}

#[test]
fn messages_request_has_url_version_content_type_and_a_sensitive_key() {
    let key = Secret::new("sk-ant-api03-secret".into());
    let wire = adapter(AuthHeader::XApiKey)
        .authed_completion(&hello(), Some(&key))
        .unwrap();
    assert_eq!(wire.method, Method::POST);
    assert_eq!(wire.url.as_str(), "https://api.anthropic.com/v1/messages");
    assert_eq!(wire.headers["anthropic-version"], "2023-06-01");
    assert_eq!(wire.headers["content-type"], "application/json");
    assert_eq!(wire.headers["x-api-key"], "sk-ant-api03-secret");
    assert!(wire.headers["x-api-key"].is_sensitive());
    assert!(!wire.headers.contains_key("authorization"));
    assert!(!format!("{wire:?}").contains("sk-ant-api03-secret"));
    assert_eq!(wire.body.unwrap()["model"], "claude-sonnet-5-5");
}

#[test]
fn bearer_auth_sends_authorization_instead_of_x_api_key() {
    let key = Secret::new("ollama".into());
    let wire = adapter(AuthHeader::Bearer)
        .authed_completion(&hello(), Some(&key))
        .unwrap();
    assert_eq!(wire.headers["authorization"], "Bearer ollama");
    assert!(wire.headers["authorization"].is_sensitive());
    assert!(!wire.headers.contains_key("x-api-key"));
    assert_eq!(wire.headers["anthropic-version"], "2023-06-01");
}

#[test]
fn stream_request_is_the_same_request_with_stream_true() {
    let key = Secret::new("sk-ant-api03-secret".into());
    let anthropic = adapter(AuthHeader::XApiKey);
    assert_eq!(anthropic.stream_framing(), Some(Framing::Sse));
    let plain = anthropic.authed_completion(&hello(), Some(&key)).unwrap();
    let streamed = anthropic.authed_stream(&hello(), Some(&key)).unwrap();
    assert_eq!(streamed.url, plain.url);
    assert_eq!(streamed.method, plain.method);
    assert_eq!(streamed.headers, plain.headers);
    let mut body = plain.body.unwrap();
    assert!(body.get("stream").is_none());
    body["stream"] = Value::Bool(true);
    assert_eq!(streamed.body.unwrap(), body);
}

#[test]
fn without_a_key_no_auth_header_is_sent() {
    let wire = adapter(AuthHeader::XApiKey)
        .authed_completion(&hello(), None)
        .unwrap();
    assert!(!wire.headers.contains_key("x-api-key"));
    assert!(!wire.headers.contains_key("authorization"));
}

#[test]
fn auth_header_follows_the_key_variable_unless_forced() {
    assert_eq!(
        AuthHeader::for_key_env(None, "ANTHROPIC_API_KEY"),
        AuthHeader::XApiKey
    );
    assert_eq!(
        AuthHeader::for_key_env(None, "ANTHROPIC_AUTH_TOKEN"),
        AuthHeader::Bearer
    );
    assert_eq!(
        AuthHeader::for_key_env(Some(AuthHeader::Bearer), "MY_PROXY_KEY"),
        AuthHeader::Bearer
    );
    assert_eq!(
        AuthHeader::for_key_env(Some(AuthHeader::XApiKey), "ANTHROPIC_AUTH_TOKEN"),
        AuthHeader::XApiKey
    );
}

#[test]
fn the_auth_token_is_used_only_when_no_api_key_is_set() {
    let with = |vars: &[(&str, &str)]| {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        fallback_key_env(&|name| vars.get(name).cloned())
    };
    assert_eq!(with(&[]), None);
    assert_eq!(
        with(&[("ANTHROPIC_AUTH_TOKEN", "ollama")]),
        Some("ANTHROPIC_AUTH_TOKEN")
    );
    assert_eq!(
        with(&[("ANTHROPIC_AUTH_TOKEN_FILE", "/run/token")]),
        Some("ANTHROPIC_AUTH_TOKEN")
    );
    assert_eq!(
        with(&[("ANTHROPIC_AUTH_TOKEN", "t"), ("ANTHROPIC_API_KEY", "k")]),
        None
    );
    assert_eq!(
        with(&[
            ("ANTHROPIC_AUTH_TOKEN", "t"),
            ("ANTHROPIC_API_KEY_FILE", "/k")
        ]),
        None
    );
    assert_eq!(
        with(&[("ANTHROPIC_AUTH_TOKEN", "t"), ("ANTHROPIC_API_KEY", " ")]),
        Some("ANTHROPIC_AUTH_TOKEN")
    );
}

#[test]
fn a_base_url_with_a_path_keeps_it() {
    let proxy = Anthropic::new(
        Url::parse("https://gateway.example.com/anthropic/").unwrap(),
        AuthHeader::Bearer,
    );
    let wire = proxy.authed_completion(&hello(), None).unwrap();
    assert_eq!(
        wire.url.as_str(),
        "https://gateway.example.com/anthropic/v1/messages"
    );
}

#[test]
fn models_request_lists_one_large_page_with_the_same_auth() {
    let key = Secret::new("sk-ant-x".into());
    let wire = adapter(AuthHeader::XApiKey)
        .authed_models(Some(&key))
        .unwrap();
    assert_eq!(wire.method, Method::GET);
    assert_eq!(
        wire.url.as_str(),
        "https://api.anthropic.com/v1/models?limit=1000"
    );
    assert!(wire.headers["x-api-key"].is_sensitive());
    assert_eq!(wire.headers["anthropic-version"], "2023-06-01");
    assert!(wire.body.is_none());
}

#[test]
fn models_listing_reads_ids_in_order() {
    // Shape from https://docs.anthropic.com/en/api/models-list.
    let body = br#"{
      "data": [
        {"type": "model", "id": "claude-opus-5-5", "display_name": "Claude Opus 5.5",
         "created_at": "2026-06-01T00:00:00Z"},
        {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
         "created_at": "2025-10-01T00:00:00Z"}
      ],
      "has_more": false,
      "first_id": "claude-opus-5-5",
      "last_id": "claude-haiku-4-5-20251001"
    }"#;
    let models = adapter(AuthHeader::XApiKey).parse_models(body).unwrap();
    assert_eq!(models, ["claude-opus-5-5", "claude-haiku-4-5-20251001"]);
    let err = adapter(AuthHeader::XApiKey)
        .parse_models(b"<html>")
        .unwrap_err();
    assert_eq!(err.kind, crate::error::ErrorKind::InvalidResponse);
}

#[test]
fn profile_aliases_name_current_models() {
    assert_eq!(PROFILE.backend, "anthropic");
    assert_eq!(PROFILE.key_env, "ANTHROPIC_API_KEY");
    assert_eq!(PROFILE.base_url_env, "ANTHROPIC_BASE_URL");
    let aliases: BTreeMap<_, _> = PROFILE.aliases.iter().copied().collect();
    for alias in ["haiku", "sonnet", "opus"] {
        assert!(aliases[alias].starts_with(&format!("claude-{alias}-")));
    }
    assert_eq!(aliases["sonnet"], PROFILE.default_model);
    // The current Haiku, per its model page (cited in the catalog entry).
    assert_eq!(aliases["haiku"], "claude-haiku-5-5");
}

#[test]
fn no_alias_or_default_names_a_model_the_catalog_marks_retired_or_does_not_know() {
    let catalog = crate::catalog::Catalog::builtin();
    let mut pairs: Vec<(&str, &str)> = PROFILE.aliases.to_vec();
    pairs.push(("default", PROFILE.default_model));
    assert_eq!(catalog.retired_targets("anthropic", &pairs), []);
    for (alias, id) in pairs {
        let found = catalog
            .lookup("anthropic", Some("api.anthropic.com"), id)
            .unwrap_or_else(|| panic!("{alias} -> {id} is not in the catalog"));
        let status = found.entry.lifecycle.as_ref().map(|l| l.status);
        assert_eq!(
            status,
            Some(crate::catalog::types::Status::Active),
            "{alias} -> {id}"
        );
    }
}
