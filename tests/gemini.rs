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
    // The result is a functionResponse naming the function, in a user turn. The answer carried
    // no signature (as Gemini 2.x without thinking sends none), so the turn has no provider
    // state and the call goes back with Google's documented dummy.
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

/// A concrete Gemini 3 model, so the answer's model is the one the next turn names.
const GEMINI_3: &str = "gemini-3.8-flash";

fn weather_tool() -> serde_json::Value {
    json!([{"name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
            "required": ["city"]}}])
}

/// Calls `chat` with `args`, streamed under a progress token or whole.
async fn chat(
    server: &mut crate::support::McpProcess,
    args: serde_json::Value,
    streamed: bool,
) -> serde_json::Value {
    let result = if streamed {
        let (_, response) = backends::call_with_progress(server, "chat", args, "loop").await;
        crate::support::mcp::ToolResult(response["result"].clone())
    } else {
        server.call("chat", args).await
    };
    let mut record = result.record().clone();
    // The one field that differs from run to run.
    record.as_object_mut().unwrap().remove("latency_ms");
    record
}

/// The two turns of a tool loop against a fake Gemini 3 that refuses a replayed call without
/// its signature: the client appends `record.message` and its tool result, as the README
/// says. Returns both records and the bodies the fake received.
async fn signed_loop(streamed: bool) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let fake = FakeProvider::start().await;
    fake.compute(api::signed_tool_loop(GEMINI_3));
    let mut server = BACKEND.start(&fake, &["--max-retries", "0"]).await;
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let reasoning = json!({"effort": "low", "include": true});
    let args = json!({"messages": messages, "tools": weather_tool(), "model": GEMINI_3,
        "reasoning": reasoning});
    let first = chat(&mut server, args, streamed).await;
    let call_id = first["tool_calls"][0]["id"].clone();
    messages.push(first["message"].clone());
    messages.push(json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": call_id}));
    let args = json!({"messages": messages, "tools": weather_tool(), "model": GEMINI_3,
        "reasoning": reasoning});
    let second = chat(&mut server, args, streamed).await;
    let bodies = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(":"))
        .map(|r| r.body_json().clone())
        .collect();
    (vec![first, second], bodies)
}

#[tokio::test]
async fn a_tool_loop_replays_the_models_own_signed_parts_whole_and_streamed() {
    let (whole, bodies) = signed_loop(false).await;
    let first = &whole[0];
    assert_eq!(first["finish_reason"], json!("tool_calls"));
    assert_eq!(first["reasoning"], json!(api::THOUGHT));
    assert_eq!(first["usage"]["reasoning_tokens"], json!(30));
    let signed_call = json!({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
        "thoughtSignature": api::CALL_SIGNATURE});
    assert_eq!(
        first["message"]["provider_state"],
        json!({"format": "gemini", "model": GEMINI_3, "parts": [signed_call]})
    );
    assert_eq!(
        bodies[0]["generationConfig"]["thinkingConfig"],
        json!({"thinkingLevel": "LOW", "includeThoughts": true})
    );
    // The follow-up carries the model's part exactly as it came: its signature, no dummy.
    let replayed = &bodies[1]["contents"];
    assert_eq!(
        replayed[1],
        json!({"role": "model", "parts": [signed_call]})
    );
    assert_eq!(
        replayed[2],
        json!({"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
            "response": {"result": "sunny, 21 C"}}}]})
    );
    assert!(
        !bodies[1]
            .to_string()
            .contains("skip_thought_signature_validator")
    );
    let second = &whole[1];
    assert_eq!(second["output"], json!("It is sunny in Paris."));
    assert_eq!(second["warnings"], json!([]));
    assert_eq!(
        second["message"]["provider_state"]["parts"],
        json!([{"text": "It is sunny in Paris.", "thoughtSignature": api::TEXT_SIGNATURE}])
    );

    let (streamed, stream_bodies) = signed_loop(true).await;
    assert_eq!(
        streamed, whole,
        "a streamed loop records what a whole one does"
    );
    assert_eq!(stream_bodies, bodies, "and sends the same requests");
}

#[tokio::test]
async fn the_fake_refuses_a_call_without_its_signature_as_gemini_3_does() {
    // Proof the fake checks what it claims: the follow-up without the signature, sent as a
    // client that drops it would, gets Google's 400.
    let fake = FakeProvider::start().await;
    fake.compute(api::signed_tool_loop(GEMINI_3));
    let unsigned = json!({"contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
            "response": {"result": "sunny"}}}]}]});
    let url = format!("{}{}", fake.url(), api::generate_path(GEMINI_3));
    let answer = reqwest::Client::new()
        .post(url)
        .json(&unsigned)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Function call is missing a thought_signature in functionCall parts."),
        "{message}"
    );
    assert!(
        message.contains("`default_api:get_weather` , position 2"),
        "{message}"
    );
}

#[tokio::test]
async fn state_of_another_model_is_left_out_and_the_call_still_succeeds() {
    let fake = FakeProvider::start().await;
    fake.compute(api::signed_tool_loop(GEMINI_3));
    let mut server = BACKEND.start(&fake, &["--max-retries", "0"]).await;
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let args = json!({"messages": messages, "tools": weather_tool(), "model": GEMINI_3});
    let first = chat(&mut server, args, false).await;
    messages.push(first["message"].clone());
    messages.push(json!({"role": "tool", "content": "sunny", "tool_call_id": "call_0"}));
    // A fallback to another model: its signatures are not this model's to read.
    let other = "gemini-3-flash-preview";
    let args = json!({"messages": messages, "tools": weather_tool(), "model": other});
    let second = chat(&mut server, args, false).await;
    assert_eq!(second["output"], json!("It is sunny in Paris."));
    let warnings = second["warnings"].to_string();
    assert!(
        warnings.contains("provider state of 1 assistant turn(s) left out"),
        "{warnings}"
    );
    let sent = fake.requests_to(&api::generate_path(other));
    assert_eq!(
        sent[0].body_json()["contents"][1]["parts"][0]["thoughtSignature"],
        json!("skip_thought_signature_validator"),
        "a call with no signature of its own gets the documented dummy"
    );
}

#[tokio::test]
async fn an_empty_malformed_call_and_another_wire_format_are_errors() {
    let fake = FakeProvider::start().await;
    let malformed = json!({"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}],
        "usageMetadata": {"promptTokenCount": 2595, "totalTokenCount": 2595},
        "modelVersion": MODEL});
    fake.push(DEFAULT_PATH, Reply::json(200, &malformed));
    let image = json!({"candidates": [{"finishReason": "IMAGE_PROHIBITED_CONTENT", "index": 0}],
        "modelVersion": MODEL});
    fake.push(DEFAULT_PATH, Reply::json(200, &image));
    let openai = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952,
        "model": "gpt-4.1", "choices": [{"index": 0, "message": {"role": "assistant",
        "content": "Hello!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}});
    fake.push(DEFAULT_PATH, Reply::json(200, &openai));
    let mut server = BACKEND.start(&fake, &["--max-retries", "0"]).await;
    let result = server.call("complete", json!({"prompt": "x"})).await;
    let text = result.expect_error("upstream");
    assert!(text.contains("MALFORMED_FUNCTION_CALL"), "{text}");
    let result = server.call("complete", json!({"prompt": "x"})).await;
    result.expect_error("content_filter");
    let result = server.call("complete", json!({"prompt": "x"})).await;
    let text = result.expect_error("invalid_response");
    assert!(text.contains("GenerateContentResponse"), "{text}");
}

// Transport behaviour (src/http/retry.rs), through this backend: the provider's
// `x-should-retry` overrules what the status suggests, as the OpenAI and Anthropic SDKs do.
#[tokio::test]
async fn x_should_retry_overrules_the_status() {
    let fake = FakeProvider::start().await;
    let overloaded = api::error(503, "UNAVAILABLE", "The model is overloaded.", json!([]));
    fake.push(DEFAULT_PATH, overloaded.header("x-should-retry", "false"));
    let mut server = BACKEND.start(&fake, &["--max-retries", "2"]).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    result.expect_error("overloaded");
    assert_eq!(result.meta()["retryable"], json!(false));
    assert_eq!(
        BACKEND.calls(&fake).len(),
        1,
        "x-should-retry: false is not retried"
    );

    let refused = api::error(
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        json!([]),
    );
    fake.push(DEFAULT_PATH, refused.header("x-should-retry", "true"));
    fake.push(DEFAULT_PATH, BACKEND.ok("second time lucky"));
    let record = server.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(record.record()["output"], json!("second time lucky"));
    assert_eq!(record.record()["attempts"], json!(2));
}
