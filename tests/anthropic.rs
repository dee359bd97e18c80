//! `llm-mcp-anthropic` against a fake Messages API: the request it sends, the record it makes
//! of the answer, and the shared failure checks of `providers.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::providers::{self, KEY};
use crate::support::anthropic_api::{self as api, Usage};
use crate::support::backends::{self, Backend};
use crate::support::{FakeProvider, Reply};

const MODEL: &str = "claude-sonnet-4-5-20250929";

fn ok(text: &str) -> Reply {
    let usage = Usage {
        input: 10,
        output: 5,
        cache_read: 0,
        cache_creation: 0,
    };
    Reply::json(200, &api::text(MODEL, text, usage))
}

const BACKEND: Backend = Backend {
    models: |model| api::models(&[model, "claude-haiku-4-5-20251001"]),
    ..backends::ANTHROPIC
};

/// The text of a `system` field, which may be a string or an array of text blocks.
fn system_text(system: &Value) -> String {
    match system {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
        other => panic!("unexpected system {other}"),
    }
}

/// The text of a message's `content`, a string or an array of text blocks.
fn content_text(content: &Value) -> String {
    system_text(content)
}

#[tokio::test]
async fn complete_sends_the_documented_request_and_returns_the_record() {
    let fake = FakeProvider::start().await;
    // The list prices, as if the fake were the provider's own endpoint.
    let catalog = crate::support::catalog::priced_at_loopback("anthropic", "api");
    let usage = Usage {
        input: 100,
        output: 30,
        cache_read: 50,
        cache_creation: 20,
    };
    fake.push(
        api::MESSAGES,
        Reply::json(200, &api::text(MODEL, "Hello there!", usage)),
    );
    let mut server = BACKEND.start(&fake, &["--catalog", &catalog]).await;
    let args = json!({
        "prompt": "Say hello", "system": "You are terse.", "model": "claude-sonnet-4-5",
        "max_tokens": 256, "temperature": 0.5, "stop": ["END"]
    });
    let result = server.call("complete", args).await;
    let record = result.record();
    assert_eq!(record["output"], json!("Hello there!"));
    assert_eq!(
        record["model"],
        json!(MODEL),
        "the model the provider says it used"
    );
    assert_eq!(record["provider"], json!("anthropic"));
    // Anthropic's input_tokens excludes both cache counts; the record's input includes them.
    let expected_usage = json!({
        "input_tokens": 170, "output_tokens": 30,
        "cache_read_tokens": 50, "cache_write_tokens": 20, "reasoning_tokens": null
    });
    assert_eq!(record["usage"], expected_usage);
    assert_eq!(record["tokens_used"], json!(200));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["attempts"], json!(1));
    assert!(record["latency_ms"].is_u64());
    // claude-sonnet-4 prices: 3 in, 15 out, 0.3 cache read, 3.75 cache write per million.
    let cost = record["cost_usd"]
        .as_f64()
        .expect("a known model has a cost");
    let expected = (100.0 * 3.0 + 50.0 * 0.3 + 20.0 * 3.75 + 30.0 * 15.0) / 1e6;
    assert!(
        (cost - expected).abs() < 1e-9,
        "cost {cost}, expected {expected}"
    );
    assert_eq!(record["tool_calls"], json!([]));

    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(request.header("authorization"), None, "not a bearer token");
    let body = request.body_json();
    assert_eq!(body["model"], json!("claude-sonnet-4-5"));
    assert_eq!(body["max_tokens"], json!(256));
    assert_eq!(body["temperature"], json!(0.5));
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(system_text(&body["system"]), "You are terse.");
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], json!("user"));
    assert_eq!(content_text(&messages[0]["content"]), "Say hello");
    assert!(
        body.get("stream").is_none_or(|s| s == &json!(false)),
        "{body}"
    );
}

#[tokio::test]
async fn max_tokens_is_always_sent_and_aliases_resolve() {
    let fake = FakeProvider::start().await;
    fake.push(api::MESSAGES, ok("hi"));
    let mut server = BACKEND.start(&fake, &[]).await;
    server
        .call("complete", json!({"prompt": "hi", "model": "haiku"}))
        .await
        .record();
    let body = BACKEND.calls(&fake)[0].body_json().clone();
    // max_tokens is required by the Messages API, so a default is sent.
    assert!(body["max_tokens"].as_u64().is_some_and(|n| n > 0), "{body}");
    let model = body["model"].as_str().unwrap();
    assert!(
        model.starts_with("claude-haiku"),
        "alias haiku became {model}"
    );
}

#[tokio::test]
async fn temperature_above_anthropics_range_is_refused_before_sending() {
    let fake = FakeProvider::start().await;
    fake.push(api::MESSAGES, ok("hi"));
    let mut server = BACKEND.start(&fake, &[]).await;
    let result = server
        .call("complete", json!({"prompt": "hi", "temperature": 1.5}))
        .await;
    let text = result.error_text();
    assert!(
        text.starts_with("[bad_request] anthropic: temperature 1.5 is outside 0 to 1"),
        "{text}"
    );
    assert!(BACKEND.calls(&fake).is_empty(), "nothing was sent");
    server
        .call("complete", json!({"prompt": "hi", "temperature": 1.0}))
        .await
        .record();
}

#[tokio::test]
async fn max_tokens_stop_reason_is_length() {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        input: 5,
        output: 16,
        cache_read: 0,
        cache_creation: 0,
    };
    let body = api::message(
        MODEL,
        json!([{"type": "text", "text": "cut"}]),
        "max_tokens",
        usage,
    );
    fake.push(api::MESSAGES, Reply::json(200, &body));
    let mut server = BACKEND.start(&fake, &[]).await;
    let record = server
        .call("complete", json!({"prompt": "go", "max_tokens": 16}))
        .await
        .record()
        .clone();
    assert_eq!(record["finish_reason"], json!("length"));
    assert_eq!(record["tokens_used"], json!(21));
}

#[tokio::test]
async fn chat_round_trips_a_tool_use() {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        input: 50,
        output: 20,
        cache_read: 0,
        cache_creation: 0,
    };
    let input = json!({"city": "Paris"});
    let first = api::tool_use(
        MODEL,
        "Let me check.",
        "toolu_01A09q90qw90lq917835lq9",
        "get_weather",
        input.clone(),
        usage,
    );
    fake.push(api::MESSAGES, Reply::json(200, &first));
    fake.push(
        api::MESSAGES,
        Reply::json(200, &api::text(MODEL, "It is sunny in Paris.", usage)),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let tools = json!([{
        "name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    }]);
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let record = server
        .call("chat", json!({"messages": messages, "tools": tools}))
        .await
        .record()
        .clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    assert_eq!(record["output"], json!("Let me check."));
    let calls = record["tool_calls"].clone();
    assert_eq!(
        calls,
        json!([{"id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "arguments": input}])
    );
    let sent = BACKEND.calls(&fake)[0].body_json().clone();
    assert_eq!(sent["tools"][0]["name"], json!("get_weather"));
    assert_eq!(
        sent["tools"][0]["input_schema"]["required"],
        json!(["city"])
    );

    messages.push(json!({"role": "assistant", "content": "Let me check.", "tool_calls": calls}));
    messages.push(json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": "toolu_01A09q90qw90lq917835lq9"}));
    let record = server
        .call("chat", json!({"messages": messages, "tools": tools}))
        .await
        .record()
        .clone();
    assert_eq!(record["output"], json!("It is sunny in Paris."));
    let sent = BACKEND.calls(&fake)[1].body_json().clone();
    let turns = sent["messages"].as_array().unwrap();
    assert_eq!(turns.len(), 3, "{sent}");
    let blocks = turns[1]["content"]
        .as_array()
        .expect("assistant turn as blocks");
    let tool_use = blocks
        .iter()
        .find(|b| b["type"] == json!("tool_use"))
        .expect("a tool_use block");
    assert_eq!(tool_use["id"], json!("toolu_01A09q90qw90lq917835lq9"));
    assert_eq!(tool_use["input"], input);
    // Tool results travel in a user turn as tool_result blocks.
    assert_eq!(turns[2]["role"], json!("user"));
    let result = &turns[2]["content"][0];
    assert_eq!(result["type"], json!("tool_result"));
    assert_eq!(
        result["tool_use_id"],
        json!("toolu_01A09q90qw90lq917835lq9")
    );
    assert_eq!(content_text(&result["content"]), "sunny, 21 C");
}

#[tokio::test]
async fn overloaded_is_its_own_kind() {
    let fake = FakeProvider::start().await;
    fake.fallback(api::MESSAGES, api::overloaded());
    let mut server = BACKEND.start(&fake, &["--max-retries", "0"]).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    result.expect_error("overloaded");
    providers::assert_meta(&result, "overloaded", Some(529), true);
}

#[tokio::test]
async fn a_rate_limited_key_hands_over_to_the_next_one() {
    let fake = FakeProvider::start().await;
    fake.push(
        api::MESSAGES,
        api::rate_limited().header("retry-after", "30"),
    );
    fake.push(api::MESSAGES, ok("from the second key"));
    let env = [("ANTHROPIC_API_KEY", "sk-test-one,sk-test-two")];
    let mut server = BACKEND.start_with_env(&fake, &[], &env).await;
    let started = std::time::Instant::now();
    let record = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .record()
        .clone();
    assert_eq!(record["attempts"], json!(2));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "did not wait out the 30 s"
    );
    let keys: Vec<_> = BACKEND
        .calls(&fake)
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_string())
        .collect();
    assert_eq!(keys, ["sk-test-one", "sk-test-two"]);
}

providers::contract_tests!(
    BACKEND;
    redirect_is_not_followed,
    rejected_key_is_auth,
    unknown_model_is_model_not_found,
    exhausted_retries_are_rate_limited,
    quota_is_not_retried,
    server_error_is_upstream_and_retried,
    garbage_body_is_invalid_response,
    body_cut_mid_way_is_an_error,
    refused_connection_is_unreachable,
    hanging_provider_is_timeout,
    call_timeout_is_honoured,
    cancellation_drops_the_provider_connection,
    key_never_leaks,
    key_echoed_by_the_provider_is_not_shown,
    status_shows_configuration,
    calls_run_concurrently,
);

#[tokio::test]
async fn rate_limit_is_retried_after_retry_after() {
    providers::rate_limit_is_retried_after_the_asked_wait(
        &BACKEND,
        "retry-after",
        "1",
        Duration::from_secs(1),
    )
    .await;
}

#[tokio::test]
async fn missing_key_is_reported_not_fatal() {
    let fake = FakeProvider::start().await;
    providers::missing_key_is_reported_not_fatal(&BACKEND, &fake, &fake.url()).await;
}
