//! `llm-mcp-openai` against a fake Chat Completions API: the request it sends, the record it
//! makes of the answer, and the shared failure checks of `providers.rs`.

use std::time::Duration;

use serde_json::json;

use crate::providers::{self, KEY};
use crate::support::backends::{self, Backend};
use crate::support::openai_api::{self as api, Usage};
use crate::support::{FakeProvider, Reply};

const MODEL: &str = "gpt-4o-mini-2024-07-18";

fn ok(text: &str) -> Reply {
    let usage = Usage {
        prompt: 10,
        completion: 5,
        cached: 0,
        reasoning: 0,
    };
    Reply::json(200, &api::text(MODEL, text, usage))
}

/// The base URL of a fake: OpenAI's includes `/v1`.
const BACKEND: Backend = Backend {
    models: |model| api::models(&[model, "gpt-4.1"]),
    ..backends::OPENAI
};

#[tokio::test]
async fn complete_sends_the_documented_request_and_returns_the_record() {
    let fake = FakeProvider::start().await;
    // The list prices, as if the fake were the provider's own endpoint.
    let catalog = crate::support::catalog::priced_at_loopback("openai", "api");
    let usage = Usage {
        prompt: 100,
        completion: 30,
        cached: 40,
        reasoning: 10,
    };
    fake.push(
        api::CHAT,
        Reply::json(200, &api::text(MODEL, "Hello there!", usage)),
    );
    let mut server = BACKEND
        .start(&fake, &["--name", "oai", "--catalog", &catalog])
        .await;
    let args = json!({
        "prompt": "Say hello", "system": "You are terse.", "model": "gpt-4o-mini",
        "max_tokens": 256, "temperature": 0.5, "top_p": 0.9, "stop": ["END"]
    });
    let result = server.call("complete", args).await;
    let record = result.record();
    assert_eq!(record["output"], json!("Hello there!"));
    assert_eq!(
        record["model"],
        json!(MODEL),
        "the model the provider says it used"
    );
    assert_eq!(record["provider"], json!("oai"));
    // prompt_tokens already includes the cached tokens; completion includes reasoning.
    let expected_usage = json!({
        "input_tokens": 100, "output_tokens": 30,
        "cache_read_tokens": 40, "cache_write_tokens": null, "reasoning_tokens": 10
    });
    let mut usage = record["usage"].clone();
    // OpenAI has no cache writes; 0 and null both say "none reported".
    if usage["cache_write_tokens"] == json!(0) {
        usage["cache_write_tokens"] = json!(null);
    }
    assert_eq!(usage, expected_usage);
    assert_eq!(record["tokens_used"], json!(130));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["attempts"], json!(1));
    // gpt-4o-mini prices: 0.15 in, 0.075 cached, 0.6 out per million.
    let cost = record["cost_usd"]
        .as_f64()
        .expect("a known model has a cost");
    let expected = (60.0 * 0.15 + 40.0 * 0.075 + 30.0 * 0.6) / 1e6;
    assert!(
        (cost - expected).abs() < 1e-9,
        "cost {cost}, expected {expected}"
    );
    assert_eq!(record["tool_calls"], json!([]));

    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = request.body_json();
    assert_eq!(body["model"], json!("gpt-4o-mini"));
    let limit = body.get("max_completion_tokens").or(body.get("max_tokens"));
    assert_eq!(limit, Some(&json!(256)), "{body}");
    assert_eq!(body["temperature"], json!(0.5));
    assert_eq!(body["top_p"], json!(0.9));
    assert_eq!(body["stop"], json!(["END"]));
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{body}");
    assert_eq!(
        messages[0],
        json!({"role": "system", "content": "You are terse."})
    );
    assert_eq!(messages[1], json!({"role": "user", "content": "Say hello"}));
    assert!(
        body.get("stream").is_none_or(|s| s == &json!(false)),
        "{body}"
    );
}

#[tokio::test]
async fn length_and_content_filter_finish_reasons_map() {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        prompt: 5,
        completion: 16,
        cached: 0,
        reasoning: 0,
    };
    let message = json!({"role": "assistant", "content": "cut"});
    fake.push(
        api::CHAT,
        Reply::json(
            200,
            &api::completion(MODEL, message.clone(), "length", usage),
        ),
    );
    fake.push(
        api::CHAT,
        Reply::json(
            200,
            &api::completion(MODEL, message, "content_filter", usage),
        ),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let record = server
        .call("complete", json!({"prompt": "go"}))
        .await
        .record()
        .clone();
    assert_eq!(record["finish_reason"], json!("length"));
    assert_eq!(record["tokens_used"], json!(21));
    let record = server.call("complete", json!({"prompt": "go"})).await;
    // A filtered answer is either a record saying so or a [content_filter] error.
    if record.is_error() {
        record.expect_error("content_filter");
    } else {
        assert_eq!(record.record()["finish_reason"], json!("content_filter"));
    }
}

#[tokio::test]
async fn chat_round_trips_a_tool_call() {
    let fake = FakeProvider::start().await;
    let usage = Usage {
        prompt: 50,
        completion: 20,
        cached: 0,
        reasoning: 0,
    };
    let arguments = json!({"city": "Paris"});
    let first = api::tool_call(MODEL, "call_abc123", "get_weather", &arguments, usage);
    fake.push(api::CHAT, Reply::json(200, &first));
    fake.push(
        api::CHAT,
        Reply::json(200, &api::text(MODEL, "It is sunny in Paris.", usage)),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let tools = json!([{
        "name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    }]);
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let args = json!({"messages": messages, "tools": tools, "tool_choice": "get_weather"});
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    assert_eq!(record["output"], json!(""));
    let calls = record["tool_calls"].clone();
    assert_eq!(
        calls,
        json!([{"id": "call_abc123", "name": "get_weather", "arguments": arguments}])
    );
    let sent = BACKEND.calls(&fake)[0].body_json().clone();
    assert_eq!(sent["tools"][0]["type"], json!("function"));
    assert_eq!(sent["tools"][0]["function"]["name"], json!("get_weather"));
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["required"],
        json!(["city"])
    );
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "function", "function": {"name": "get_weather"}})
    );

    messages.push(json!({"role": "assistant", "content": "", "tool_calls": calls}));
    messages.push(json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": "call_abc123"}));
    let record = server
        .call("chat", json!({"messages": messages, "tools": tools}))
        .await
        .record()
        .clone();
    assert_eq!(record["output"], json!("It is sunny in Paris."));
    let sent = BACKEND.calls(&fake)[1].body_json().clone();
    let turns = sent["messages"].as_array().unwrap();
    assert_eq!(turns.len(), 3, "{sent}");
    let call = &turns[1]["tool_calls"][0];
    assert_eq!(call["id"], json!("call_abc123"));
    assert_eq!(call["type"], json!("function"));
    let sent_args: serde_json::Value = serde_json::from_str(
        call["function"]["arguments"]
            .as_str()
            .expect("arguments as a JSON string"),
    )
    .unwrap();
    assert_eq!(sent_args, arguments);
    assert_eq!(
        turns[2],
        json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": "call_abc123"})
    );
}

#[tokio::test]
async fn a_loopback_server_needs_no_key() {
    let fake = FakeProvider::start().await;
    fake.push(api::CHAT, ok("local answer"));
    let mut server = BACKEND.start_with_env(&fake, &[], &[]).await;
    let status = server.call("status", json!({})).await.structured().clone();
    assert_ne!(status["credentials"], json!("present"), "{status}");
    let record = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .record()
        .clone();
    assert_eq!(record["output"], json!("local answer"));
    assert_eq!(BACKEND.calls(&fake)[0].header("authorization"), None);
    // A local server that wants a key after all: [auth] names the variable to set.
    fake.push(api::CHAT, api::unauthorized());
    let text = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .expect_error("auth");
    assert!(text.contains("OPENAI_API_KEY"), "{text}");
}

providers::contract_tests!(
    BACKEND;
    redirect_is_not_followed,
    oversized_body_is_cut_off,
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
async fn rate_limit_is_retried_after_retry_after_ms() {
    let wait = Duration::from_millis(300);
    providers::rate_limit_is_retried_after_the_asked_wait(&BACKEND, "retry-after-ms", "300", wait)
        .await;
}

#[tokio::test]
async fn missing_key_is_reported_not_fatal() {
    let fake = FakeProvider::start().await;
    // A non-loopback endpoint needs a key. The IPv4-mapped IPv6 form of 127.0.0.1 is not a
    // loopback address by its type, yet it still reaches the fake on this machine, so the
    // status probe never leaves 127.0.0.1.
    let port = fake.url().rsplit(':').next().unwrap().to_string();
    let base = format!("http://[::ffff:127.0.0.1]:{port}/v1");
    providers::missing_key_is_reported_not_fatal(&BACKEND, &fake, &base).await;
}

#[tokio::test]
async fn a_key_is_never_sent_over_plain_http_to_another_host() {
    let args = ["--base-url", "http://10.0.0.5:8000/v1"];
    let mut command = crate::support::command(BACKEND.binary, &args, &[("OPENAI_API_KEY", KEY)]);
    command.stdin(std::process::Stdio::null());
    let output = command.output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-http"), "{stderr}");
    assert!(!stderr.contains(KEY), "{stderr}");
}

/// The warnings of a record, as text.
fn warnings(record: &serde_json::Value) -> Vec<String> {
    record["warnings"]
        .as_array()
        .expect("warnings is a list")
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// The fake's rule for which models reason: every GPT-6 model refuses `max_tokens`,
/// `temperature`, `top_p` and `stop` on Chat Completions, as OpenAI's do.
fn gpt_6(model: &str) -> bool {
    model.starts_with("gpt-6")
}

#[tokio::test]
async fn gpt_6_gets_max_completion_tokens_its_effort_and_no_temperature_and_the_record_says_so() {
    let fake = FakeProvider::start().await;
    fake.compute(api::strict(gpt_6, "gpt-6-astra-2026-09-03", "Ready."));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"prompt": "hi", "model": "gpt-6-astra", "max_tokens": 300,
                      "temperature": 0.2, "reasoning": {"effort": "high"}});
    let result = server.call("complete", args).await;
    assert!(!result.is_error(), "{}", result.text());
    let record = result.record().clone();
    assert_eq!(record["output"], json!("Ready."));
    assert_eq!(record["usage"]["reasoning_tokens"], json!(3));
    let said = warnings(&record);
    assert!(
        said.iter().any(|w| w.contains("temperature 0.2 dropped")),
        "{said:?}"
    );
    // One request, shaped by the catalog: on 127.0.0.1 an unknown model would get max_tokens.
    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 1, "no refusal to retry");
    let body = sent[0].body_json();
    assert_eq!(body["max_completion_tokens"], json!(300), "{body}");
    assert!(body.get("max_tokens").is_none(), "{body}");
    assert!(body.get("temperature").is_none(), "{body}");
    assert_eq!(body["reasoning_effort"], json!("high"), "{body}");
}

#[tokio::test]
async fn a_gpt_6_model_the_catalog_does_not_know_is_asked_again_with_max_completion_tokens() {
    let fake = FakeProvider::start().await;
    fake.compute(api::strict(gpt_6, "gpt-6.3-nova", "Fine."));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"prompt": "hi", "model": "gpt-6.3-nova", "max_tokens": 100});
    let result = server.call("complete", args.clone()).await;
    assert!(!result.is_error(), "{}", result.text());
    let record = result.record().clone();
    assert_eq!(record["output"], json!("Fine."));
    let said = warnings(&record);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("max_completion_tokens") && said[0].contains("refused"),
        "{said:?}"
    );
    // Remembered: the next call goes straight with the field the model takes.
    let again = server.call("complete", args).await.record().clone();
    assert_eq!(again["output"], json!("Fine."));
    let sent: Vec<_> = BACKEND
        .calls(&fake)
        .iter()
        .map(|r| r.body_json().clone())
        .collect();
    assert_eq!(sent.len(), 3, "one retry, then none");
    assert_eq!(sent[0]["max_tokens"], json!(100));
    for body in &sent[1..] {
        assert_eq!(body["max_completion_tokens"], json!(100), "{body}");
        assert!(body.get("max_tokens").is_none(), "{body}");
    }
}

/// One `chat` call's record, streamed under progress token `token` or whole.
async fn chat(
    server: &mut crate::support::McpProcess,
    args: serde_json::Value,
    streamed: bool,
    token: &str,
) -> serde_json::Value {
    if !streamed {
        return server.call("chat", args).await.record().clone();
    }
    let (_, response) =
        crate::support::backends::call_with_progress(server, "chat", args, token).await;
    response["result"]["structuredContent"].clone()
}

/// A chat turn's arguments with one tool offered.
fn weather_chat(messages: &[serde_json::Value]) -> serde_json::Value {
    json!({"messages": messages, "model": "gpt-5.5", "tools": [{
        "name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                         "required": ["city"]}
    }]})
}

/// A two-turn tool loop on gpt-5.5 (which takes function tools on Chat Completions): the
/// client appends `record.message` and the tool's result, and the second turn sends the
/// assistant's call back as OpenAI's transcripts have it.
async fn tool_loop_replaying_the_record_message(streamed: bool) {
    use crate::support::sse;
    let fake = FakeProvider::start().await;
    let usage = Usage {
        prompt: 50,
        completion: 20,
        cached: 0,
        reasoning: 0,
    };
    let arguments = json!({"city": "Paris"});
    if streamed {
        let first = sse::Answer {
            model: "gpt-5.5-2026-04-23",
            pieces: Vec::new(),
            tool: Some(sse::ToolCall {
                id: "call_Wq3bX",
                name: "get_weather",
                fragments: vec!["{\"ci", "ty\": \"Paris\"}"],
            }),
            stop: "tool_calls",
            input: 50,
            output: 20,
            cache_read: 0,
            cache_write: 0,
        };
        let second = sse::Answer {
            model: "gpt-5.5-2026-04-23",
            pieces: vec!["Sunny, ", "21 C."],
            tool: None,
            stop: "stop",
            ..first.clone()
        };
        for answer in [first, second] {
            let events = sse::openai_events(&answer);
            fake.push(api::CHAT, sse::reply(events, Duration::from_millis(5)));
        }
    } else {
        let call = api::tool_call(
            "gpt-5.5-2026-04-23",
            "call_Wq3bX",
            "get_weather",
            &arguments,
            usage,
        );
        fake.push(api::CHAT, Reply::json(200, &call));
        let text = api::text("gpt-5.5-2026-04-23", "Sunny, 21 C.", usage);
        fake.push(api::CHAT, Reply::json(200, &text));
    }
    let mut server = BACKEND.start(&fake, &[]).await;
    let mut messages = vec![json!({"role": "user", "content": "Weather in Paris?"})];
    let record = chat(&mut server, weather_chat(&messages), streamed, "t1").await;
    assert_eq!(record["finish_reason"], json!("tool_calls"), "{record}");
    let message = record["message"].clone();
    assert_eq!(message["role"], json!("assistant"), "{record}");
    assert_eq!(
        message["tool_calls"],
        json!([{"id": "call_Wq3bX", "name": "get_weather", "arguments": arguments}])
    );
    messages.push(message);
    messages.push(json!({"role": "tool", "tool_call_id": "call_Wq3bX", "content": "sunny, 21 C"}));
    let record = chat(&mut server, weather_chat(&messages), streamed, "t2").await;
    assert_eq!(record["output"], json!("Sunny, 21 C."), "{record}");
    assert_eq!(record["warnings"], json!([]), "{record}");
    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 2);
    for request in &sent {
        let body = request.body_json();
        assert_eq!(
            body["stream"].as_bool().unwrap_or(false),
            streamed,
            "{body}"
        );
    }
    let turns = sent[1].body_json()["messages"].as_array().unwrap().clone();
    assert_eq!(turns.len(), 3, "{turns:?}");
    assert_eq!(
        turns[1],
        json!({"role": "assistant", "content": null, "tool_calls": [{
            "id": "call_Wq3bX", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]})
    );
    assert_eq!(
        turns[2],
        json!({"role": "tool", "tool_call_id": "call_Wq3bX", "content": "sunny, 21 C"})
    );
}

#[tokio::test]
async fn a_two_turn_tool_loop_replays_the_record_message() {
    tool_loop_replaying_the_record_message(false).await;
}

#[tokio::test]
async fn a_streamed_two_turn_tool_loop_replays_the_record_message() {
    tool_loop_replaying_the_record_message(true).await;
}
