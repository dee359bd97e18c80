//! `llm-mcp-gemini` against a fake generateContent API: the key in `x-goog-api-key` and never
//! in a URL, the body it sends, the record (thoughts counted as output), function calls,
//! the listing, Google's error bodies, and the shared failure checks of `providers.rs`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::providers::{self, KEY, assert_meta};
use crate::support::backends::{self, Backend};
use crate::support::gemini_api::{self as api, Usage};
use crate::support::{FakeProvider, Reply};

/// The default model of the binary, so the shared checks post where the fake answers.
const DEFAULT_MODEL: &str = "gemini-flash-latest";
const DEFAULT_PATH: &str = "/v1beta/models/gemini-flash-latest:generateContent";
const MODEL: &str = "gemini-2.5-flash";

const USAGE: Usage = Usage {
    prompt: 10,
    candidates: 5,
    thoughts: 0,
    cached: 0,
};

const BACKEND: Backend = Backend {
    models: |model| {
        api::models(&[
            (model, &["generateContent", "countTokens"]),
            ("gemini-2.5-pro", &["generateContent", "countTokens"]),
            ("text-embedding-004", &["embedContent"]),
        ])
    },
    ..backends::GEMINI
};

/// Asserts the fake saw the key in `x-goog-api-key` on every request and nowhere in a path or
/// query (GEM-2: a key in the URL ends up in logs).
fn assert_key_only_in_the_header(fake: &FakeProvider) {
    let requests = fake.requests();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(request.header("x-goog-api-key"), Some(KEY), "{request:?}");
        assert_eq!(request.header("authorization"), None);
        assert!(!request.path.contains(KEY), "{}", request.path);
        let query = request.query.clone().unwrap_or_default();
        assert!(!query.contains(KEY), "{query}");
        assert!(!query.contains("key="), "{query}");
    }
}

#[tokio::test]
async fn complete_sends_the_documented_request_and_returns_the_record() {
    let fake = FakeProvider::start().await;
    // The list prices, as if the fake were the provider's own endpoint.
    let catalog = crate::support::catalog::priced_at_loopback("gemini", "native");
    let path = api::generate_path(MODEL);
    let usage = Usage {
        prompt: 100,
        candidates: 20,
        thoughts: 30,
        cached: 40,
    };
    // A thought summary comes first; it is not part of the answer.
    let parts = json!([
        {"text": "**Greeting** I should answer briefly.", "thought": true},
        {"text": "Hello "},
        {"text": "there!"}
    ]);
    fake.push(
        &path,
        Reply::json(200, &api::response(MODEL, parts, "STOP", usage)),
    );
    let mut server = BACKEND.start(&fake, &["--catalog", &catalog]).await;
    let args = json!({
        "prompt": "Say hello", "system": "You are terse.", "model": MODEL,
        "max_tokens": 256, "temperature": 0.5, "top_p": 0.9, "stop": ["END"]
    });
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("Hello there!"));
    assert_eq!(record["model"], json!(MODEL));
    assert_eq!(record["provider"], json!("gemini"));
    // candidatesTokenCount excludes thoughts (GEM-3): output = 20 + 30.
    let expected_usage = json!({
        "input_tokens": 100, "output_tokens": 50, "cache_read_tokens": 40,
        "cache_write_tokens": null, "reasoning_tokens": 30
    });
    assert_eq!(record["usage"], expected_usage);
    assert_eq!(record["tokens_used"], json!(150));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["attempts"], json!(1));
    // gemini-2.5-flash: 60 uncached input at $0.30, 40 cached at $0.03, 50 output at $2.50
    // per million tokens.
    let cost = record["cost_usd"]
        .as_f64()
        .expect("gemini-2.5-flash has a price");
    assert!((cost - 144.2e-6).abs() < 1e-12, "{cost}");
    assert_eq!(record["tool_calls"], json!([]));

    let sent = fake.requests_to(&path);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].query, None);
    let expected = json!({
        "contents": [{"role": "user", "parts": [{"text": "Say hello"}]}],
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "generationConfig": {"maxOutputTokens": 256, "temperature": 0.5, "topP": 0.9,
            "stopSequences": ["END"]}
    });
    assert_eq!(sent[0].body_json(), &expected);
    assert_key_only_in_the_header(&fake);
}

#[tokio::test]
async fn chat_round_trips_a_function_call() {
    let fake = FakeProvider::start().await;
    let path = api::generate_path(MODEL);
    let args = json!({"city": "Paris"});
    fake.push(
        &path,
        Reply::json(200, &api::function_call(MODEL, "get_weather", &args, USAGE)),
    );
    fake.push(
        &path,
        Reply::json(200, &api::text(MODEL, "It is sunny in Paris.", USAGE)),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let tools = json!([{
        "name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
            "required": ["city"]}
    }]);
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let call = json!({"messages": messages, "tools": tools, "tool_choice": "get_weather",
        "model": MODEL});
    let record = server.call("chat", call).await.record().clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    assert_eq!(record["output"], json!(""));
    let calls = record["tool_calls"].clone();
    assert_eq!(
        calls,
        json!([{"id": "call_0", "name": "get_weather", "arguments": args}])
    );
    let sent = fake.requests_to(&path)[0].body_json().clone();
    let declaration = json!({"name": "get_weather", "description": "Weather for a city",
        "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}},
            "required": ["city"]}});
    assert_eq!(
        sent["tools"],
        json!([{"functionDeclarations": [declaration]}])
    );
    assert_eq!(
        sent["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
    );

    messages.push(json!({"role": "assistant", "content": "", "tool_calls": calls}));
    messages.push(json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": "call_0"}));
    let call = json!({"messages": messages, "tools": tools, "model": MODEL});
    let record = server.call("chat", call).await.record().clone();
    assert_eq!(record["output"], json!("It is sunny in Paris."));
    let sent = fake.requests_to(&path)[1].body_json().clone();
    // The result is a functionResponse naming the function, in a user turn.
    let expected = json!([
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {"role": "model", "parts": [{
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
            "thoughtSignature": "skip_thought_signature_validator"
        }]},
        {"role": "user", "parts": [{"functionResponse": {
            "name": "get_weather", "response": {"result": "sunny, 21 C"}
        }}]}
    ]);
    assert_eq!(sent["contents"], expected, "{sent}");
    assert!(sent.get("toolConfig").is_none(), "{sent}");
    assert_key_only_in_the_header(&fake);
}

#[tokio::test]
async fn list_models_keeps_the_models_that_generate_content() {
    let fake = FakeProvider::start().await;
    let mut server = BACKEND.start(&fake, &[]).await;
    let listing = server.call("list_models", json!({})).await;
    assert!(!listing.is_error(), "{:?}", listing.0);
    let listing = listing.structured().clone();
    assert_eq!(listing["models"], json!([MODEL, "gemini-2.5-pro"]));
    assert_eq!(listing["default_model"], json!(DEFAULT_MODEL));
    assert_eq!(listing["aliases"]["flash"], json!(DEFAULT_MODEL));
    let asked = fake.requests_to(api::MODELS);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].method, "GET");
    assert_eq!(asked[0].query.as_deref(), Some("pageSize=1000"));
    assert_key_only_in_the_header(&fake);
}

providers::contract_tests!(
    BACKEND;
    status_shows_configuration,
    exhausted_retries_are_rate_limited,
    quota_is_not_retried,
    rejected_key_is_auth,
    server_error_is_upstream_and_retried,
    garbage_body_is_invalid_response,
    refused_connection_is_unreachable,
    key_never_leaks,
    key_echoed_by_the_provider_is_not_shown,
);

#[tokio::test]
async fn rate_limit_is_retried_after_the_retry_delay_then_succeeds() {
    let fake = FakeProvider::start().await;
    fake.push(DEFAULT_PATH, api::rate_limited("0.3s"));
    fake.push(DEFAULT_PATH, BACKEND.ok("after the wait"));
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    let started = Instant::now();
    let record = server.call("complete", json!({"prompt": "hi"})).await;
    let record = record.record();
    assert_eq!(record["output"], json!("after the wait"));
    assert_eq!(record["attempts"], json!(2));
    // The body's RetryInfo.retryDelay is the wait asked for: no header carries it.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(BACKEND.calls(&fake).len(), 2);
}

#[tokio::test]
async fn safety_blocks_are_content_filter() {
    let fake = FakeProvider::start().await;
    fake.push(DEFAULT_PATH, Reply::json(200, &api::safety_blocked(MODEL)));
    fake.push(DEFAULT_PATH, Reply::json(200, &api::prompt_blocked()));
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    let result = server.call("complete", json!({"prompt": "x"})).await;
    let text = result.expect_error("content_filter");
    assert!(text.contains("SAFETY"), "{text}");
    assert_eq!(result.meta()["retryable"], json!(false));
    let result = server.call("complete", json!({"prompt": "x"})).await;
    let text = result.expect_error("content_filter");
    assert!(text.contains("SAFETY"), "{text}");
    assert_eq!(
        BACKEND.calls(&fake).len(),
        2,
        "a filtered answer is not retried"
    );
}

#[tokio::test]
async fn forbidden_and_invalid_keys_are_auth() {
    let fake = FakeProvider::start().await;
    fake.push(DEFAULT_PATH, api::permission_denied());
    fake.push(DEFAULT_PATH, api::key_invalid());
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    for status in [403, 400] {
        let result = server.call("complete", json!({"prompt": "hi"})).await;
        let text = result.expect_error("auth");
        assert!(text.contains("GEMINI_API_KEY"), "{text}");
        assert!(!text.contains(KEY), "{text}");
        assert_meta(&result, "auth", Some(status), false);
    }
    assert_eq!(BACKEND.calls(&fake).len(), 2, "auth errors are not retried");
}

#[tokio::test]
async fn unknown_model_is_model_not_found() {
    let fake = FakeProvider::start().await;
    let path = api::generate_path("no-such-model-9");
    fake.push(&path, api::model_not_found("no-such-model-9"));
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    let args = json!({"prompt": "hi", "model": "no-such-model-9"});
    let result = server.call("complete", args).await;
    let text = result.expect_error("model_not_found");
    assert!(text.contains("no-such-model-9"), "{text}");
    assert_meta(&result, "model_not_found", Some(404), false);
    assert_eq!(fake.requests_to(&path).len(), 1);
}

#[tokio::test]
async fn missing_key_is_reported_not_fatal() {
    let fake = FakeProvider::start().await;
    let base = fake.url();
    providers::missing_key_is_reported_not_fatal(&BACKEND, &fake, &base).await;
}
