//! `llm-mcp-openai --preset ...` against fake OpenAI-compatible services: Azure OpenAI's two
//! route styles and its `api-key` header, and the token-limit field of the groq and deepseek
//! presets (see `src/providers/presets.rs`).

use serde_json::{Value, json};

use crate::providers::{self, KEY, assert_meta};
use crate::support::backends::{self, Backend};
use crate::support::openai_api::{self as api, Usage};
use crate::support::{self, FakeProvider, Reply};

const USAGE: Usage = Usage {
    prompt: 10,
    completion: 5,
    cached: 0,
    reasoning: 0,
};

/// The classic route of the preset's default deployment.
const AZURE_CHAT: &str = "/openai/deployments/gpt-5.5/chat/completions";

fn ok(text: &str) -> Reply {
    Reply::json(200, &api::text("gpt-4o-2024-11-20", text, USAGE))
}

/// Azure's error envelope: `code` is a string, there is no `type`.
fn azure_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

/// 404 for a deployment the resource does not have
/// (https://learn.microsoft.com/answers/questions/2225315).
fn deployment_not_found(_model: &str) -> Reply {
    azure_error(
        404,
        "DeploymentNotFound",
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
    )
}

fn identity(url: &str) -> String {
    url.to_string()
}

const AZURE: Backend = Backend {
    args: &["--preset", "azure"],
    name: "azure",
    key_env: "AZURE_OPENAI_API_KEY",
    path: AZURE_CHAT,
    stream_path: AZURE_CHAT,
    models_path: "/openai/models",
    base_url: identity,
    model: "gpt-4o-2024-11-20",
    models: |_| api::models(&["gpt-4o", "gpt-4.1"]),
    unauthorized: || {
        azure_error(
            401,
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        )
    },
    model_not_found: deployment_not_found,
    rate_limited: || {
        azure_error(
            429,
            "429",
            "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second.",
        )
    },
    quota: api::insufficient_quota,
    server_error: api::server_error,
    ..backends::OPENAI
};

/// Asserts `request` carried the key in `api-key` and no `Authorization` header.
fn assert_azure_key(request: &crate::support::http::RecordedRequest) {
    assert_eq!(request.header("api-key"), Some(KEY), "{request:?}");
    assert_eq!(request.header("authorization"), None, "{request:?}");
}

async fn start_azure(fake: &FakeProvider, base: &str, extra: &[&str]) -> support::McpProcess {
    fake.fallback(
        "/openai/models",
        Reply::json(200, &(AZURE.models)(AZURE.model)),
    );
    fake.fallback(
        "/openai/v1/models",
        Reply::json(200, &(AZURE.models)(AZURE.model)),
    );
    let mut args = vec![
        "--preset",
        "azure",
        "--base-url",
        base,
        "--max-retries",
        "1",
    ];
    args.extend_from_slice(extra);
    support::start(AZURE.binary, &args, &[(AZURE.key_env, KEY)]).await
}

#[tokio::test]
async fn azure_classic_route_names_the_deployment_and_the_api_version() {
    let fake = FakeProvider::start().await;
    let path = "/openai/deployments/team-gpt4o/chat/completions";
    fake.push(path, ok("from the deployment"));
    fake.push(path, ok("newer version"));
    let mut server = start_azure(&fake, &fake.url(), &[]).await;
    let args = json!({"prompt": "hi", "model": "team-gpt4o"});
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("from the deployment"));
    assert_eq!(record["provider"], json!("azure"));
    let sent = fake.requests_to(path);
    assert_eq!(sent.len(), 1);
    // The default version takes reasoning deployments (2024-12-01-preview and later).
    assert_eq!(
        sent[0].query.as_deref(),
        Some("api-version=2025-04-01-preview")
    );
    assert_azure_key(&sent[0]);

    // --api-version picks another data-plane version.
    let mut server =
        start_azure(&fake, &fake.url(), &["--api-version", "2024-12-01-preview"]).await;
    let args = json!({"prompt": "hi", "model": "team-gpt4o"});
    server.call("complete", args).await.record();
    let sent = fake.requests_to(path);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].query.as_deref(),
        Some("api-version=2024-12-01-preview")
    );
    assert_azure_key(&sent[1]);
}

#[tokio::test]
async fn azure_deployment_not_found_is_model_not_found() {
    let fake = FakeProvider::start().await;
    let path = "/openai/deployments/no-such-deployment/chat/completions";
    fake.push(path, deployment_not_found("no-such-deployment"));
    let mut server = start_azure(&fake, &fake.url(), &[]).await;
    let args = json!({"prompt": "hi", "model": "no-such-deployment"});
    let result = server.call("complete", args).await;
    let text = result.expect_error("model_not_found");
    assert!(text.contains("DeploymentNotFound"), "{text}");
    assert_meta(&result, "model_not_found", Some(404), false);
    assert_eq!(fake.requests_to(path).len(), 1, "not retried");
}

#[tokio::test]
async fn azure_v1_api_uses_openai_routes_without_api_version() {
    let fake = FakeProvider::start().await;
    let path = "/openai/v1/chat/completions";
    fake.push(path, ok("v1 answer"));
    let base = format!("{}/openai/v1", fake.url());
    let mut server = start_azure(&fake, &base, &[]).await;
    let args = json!({"prompt": "hi", "model": "gpt-4o"});
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("v1 answer"));
    let sent = fake.requests_to(path);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query, None, "the v1 API takes no api-version");
    assert_azure_key(&sent[0]);
    assert_eq!(sent[0].body_json()["model"], json!("gpt-4o"));
    let listing = server.call("list_models", json!({})).await;
    assert_eq!(listing.structured()["models"], json!(["gpt-4o", "gpt-4.1"]));
    assert_azure_key(&fake.requests_to("/openai/v1/models")[0]);
}

providers::contract_tests!(
    AZURE;
    rejected_key_is_auth,
    key_never_leaks,
);

/// Sends one `complete` with `max_tokens: 100` through `--preset NAME` to a fake at
/// `base_path` and returns the body the fake received at `chat_path`.
async fn preset_body(preset: &str, key_env: &str, base_path: &str, chat_path: &str) -> Value {
    let fake = FakeProvider::start().await;
    fake.push(chat_path, ok("fine"));
    let base = format!("{}{base_path}", fake.url());
    let args = [
        "--preset",
        preset,
        "--base-url",
        &base,
        "--max-retries",
        "1",
    ];
    let mut server = support::start(AZURE.binary, &args, &[(key_env, KEY)]).await;
    let record = server
        .call("complete", json!({"prompt": "hi", "max_tokens": 100}))
        .await;
    assert_eq!(record.record()["output"], json!("fine"));
    let sent = fake.requests_to(chat_path);
    assert_eq!(sent.len(), 1);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(sent[0].header("authorization"), Some(bearer.as_str()));
    let transcript = server.shutdown(support::EXIT_GRACE).await;
    transcript.assert_never_printed(KEY);
    sent[0].body_json().clone()
}

#[tokio::test]
async fn groq_sends_max_completion_tokens() {
    let path = "/openai/v1/chat/completions";
    let body = preset_body("groq", "GROQ_API_KEY", "/openai/v1", path).await;
    assert_eq!(body["model"], json!("llama-3.3-70b-versatile"));
    assert_eq!(body["max_completion_tokens"], json!(100), "{body}");
    assert!(body.get("max_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn deepseek_sends_max_tokens() {
    let body = preset_body("deepseek", "DEEPSEEK_API_KEY", "", "/chat/completions").await;
    assert_eq!(body["model"], json!("deepseek-chat"));
    assert_eq!(body["max_tokens"], json!(100), "{body}");
    assert!(body.get("max_completion_tokens").is_none(), "{body}");
}

/// The Azure deployment `prod-reasoner` runs a reasoning model: like OpenAI's, it refuses
/// `temperature` (and `max_tokens`, `top_p`, `stop`) with `unsupported_parameter`.
fn prod_reasoner(model: &str) -> bool {
    model == "prod-reasoner"
}

#[tokio::test]
async fn a_deployment_model_makes_a_reasoning_deployment_follow_its_models_rules() {
    let path = "/openai/deployments/prod-reasoner/chat/completions";
    let args = json!({"prompt": "hi", "model": "prod-reasoner", "temperature": 0.4,
                      "max_tokens": 64, "reasoning": {"effort": "none"}});
    // Without it, the name says nothing: the provider refuses temperature, the server sends
    // the call again without it and says so.
    let fake = FakeProvider::start().await;
    fake.compute(api::strict(prod_reasoner, "gpt-6-astra", "first"));
    let mut server = start_azure(&fake, &fake.url(), &[]).await;
    let record = server.call("complete", args.clone()).await.record().clone();
    assert_eq!(record["output"], json!("first"));
    let said = record["warnings"].to_string();
    assert!(
        said.contains("temperature") && said.contains("refused"),
        "{said}"
    );
    let sent = fake.requests_to(path);
    assert_eq!(sent.len(), 2, "refused, then sent without");
    assert_eq!(sent[0].body_json()["temperature"], json!(0.4));
    // Azure's default field is the one reasoning deployments take.
    assert_eq!(sent[0].body_json()["max_completion_tokens"], json!(64));
    assert_eq!(sent[0].body_json()["reasoning_effort"], json!("none"));

    // With it, the catalog's gpt-6-astra rules apply before sending: one request.
    let fake = FakeProvider::start().await;
    fake.compute(api::strict(prod_reasoner, "gpt-6-astra", "second"));
    let extra = [
        "--model",
        "prod-reasoner",
        "--deployment-model",
        "gpt-6-astra",
    ];
    let mut server = start_azure(&fake, &fake.url(), &extra).await;
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("second"));
    let said = record["warnings"].to_string();
    assert!(said.contains("temperature 0.4 dropped"), "{said}");
    // Astra cannot turn reasoning off: none goes as its lowest level, and the record says so.
    assert!(said.contains("effort none is not available"), "{said}");
    let sent = fake.requests_to(path);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].query.as_deref(),
        Some("api-version=2025-04-01-preview")
    );
    let body = sent[0].body_json();
    assert!(body.get("temperature").is_none(), "{body}");
    assert_eq!(body["max_completion_tokens"], json!(64), "{body}");
    assert_eq!(body["reasoning_effort"], json!("low"), "{body}");
    assert_azure_key(&sent[0]);
}

#[tokio::test]
async fn a_deployment_model_the_catalog_does_not_know_stops_the_server_with_a_message() {
    let args = [
        "--preset",
        "azure",
        "--base-url",
        "https://res.openai.azure.com",
        "--deployment-model",
        "prod=gpt-9-nova",
    ];
    let mut command = support::command(AZURE.binary, &args, &[]);
    command.stdin(std::process::Stdio::null());
    let output = command.output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--deployment-model") && stderr.contains("gpt-9-nova"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_mistral_preset_speaks_mistral() {
    use crate::support::mistral_api;
    let fake = FakeProvider::start().await;
    let cut = mistral_api::completion(
        "mistral-medium-3-5",
        json!({"role": "assistant", "content": "It was", "tool_calls": null}),
        "model_length",
        (120, 8),
    );
    fake.push(mistral_api::CHAT, Reply::json(200, &cut));
    fake.push(
        mistral_api::CHAT,
        mistral_api::extra_forbidden("max_completion_tokens", json!(64)),
    );
    let base = format!("{}/v1", fake.url());
    let args = [
        "--preset",
        "mistral",
        "--base-url",
        &base,
        "--max-retries",
        "1",
    ];
    let mut server = support::start(AZURE.binary, &args, &[("MISTRAL_API_KEY", KEY)]).await;
    // A conversation whose ids another backend minted.
    let messages = json!([
        {"role": "user", "content": "Status of T1001?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_0", "name": "retrieve_payment_status", "arguments": {"transaction_id": "T1001"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "{\"status\": \"Paid\"}"}
    ]);
    let record = server
        .call(
            "chat",
            json!({"messages": messages, "reasoning": {"effort": "high"}}),
        )
        .await
        .record()
        .clone();
    // model_length: the context window is full.
    assert_eq!(record["finish_reason"], json!("length"), "{record}");
    let sent = fake.requests_to(mistral_api::CHAT);
    let body = sent[0].body_json();
    assert_eq!(
        body["model"],
        json!("mistral-medium-latest"),
        "llm-mcp-mistral's default"
    );
    let id = body["messages"][1]["tool_calls"][0]["id"].as_str().unwrap();
    assert_eq!(id.len(), 9, "{body}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert_eq!(body["messages"][2]["tool_call_id"], json!(id));
    assert!(body.get("stream_options").is_none(), "{body}");
    // Mistral's reasoning setting (https://docs.mistral.ai/capabilities/reasoning/adjustable).
    assert_eq!(body["reasoning_effort"], json!("high"), "{body}");
    // Mistral's error body, read by Mistral's reader: the field it refused.
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("bad_request");
    assert!(
        text.contains("max_completion_tokens: Extra inputs are not permitted"),
        "{text}"
    );
}
