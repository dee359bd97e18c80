//! `llm-mcp-mistral` against a fake Mistral chat completions API: the request (Bearer key,
//! `max_tokens`), the record, tool calls with Mistral's 9-character ids, the listing, Mistral's
//! error bodies, and the shared failure checks of `providers.rs`.

use serde_json::{Value, json};

use crate::providers::{self, KEY, assert_meta};
use crate::support::backends::{self, Backend};
use crate::support::mistral_api as api;
use crate::support::{FakeProvider, Reply};

const MODEL: &str = "mistral-small-latest";

const BACKEND: Backend = Backend {
    model: MODEL,
    models: |model| api::models(&[model, "mistral-large-latest"]),
    ..backends::MISTRAL
};

#[tokio::test]
async fn complete_sends_max_tokens_with_a_bearer_key_and_returns_the_record() {
    let fake = FakeProvider::start().await;
    let answer = api::text(MODEL, "Bonjour !", (16, 34));
    fake.push(api::CHAT, Reply::json(200, &answer));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({
        "prompt": "Say hello", "system": "You are terse.", "model": "small",
        "max_tokens": 256, "temperature": 0.3, "top_p": 0.9, "stop": ["END"]
    });
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("Bonjour !"));
    assert_eq!(record["model"], json!(MODEL));
    assert_eq!(record["provider"], json!("mistral"));
    assert_eq!(record["usage"]["input_tokens"], json!(16));
    assert_eq!(record["usage"]["output_tokens"], json!(34));
    assert_eq!(record["usage"]["reasoning_tokens"], json!(null), "{record}");
    assert_eq!(record["tokens_used"], json!(50));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["attempts"], json!(1));
    assert_eq!(record["tool_calls"], json!([]));

    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 1);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(sent[0].header("authorization"), Some(bearer.as_str()));
    let body = sent[0].body_json();
    assert_eq!(body["model"], json!(MODEL), "the alias `small` resolved");
    // Mistral refuses max_completion_tokens with a 422 (extra_forbidden).
    assert_eq!(body["max_tokens"], json!(256));
    assert!(body.get("max_completion_tokens").is_none(), "{body}");
    assert!(body.get("stream_options").is_none(), "{body}");
    assert_eq!(body["temperature"], json!(0.3));
    assert_eq!(body["top_p"], json!(0.9));
    assert_eq!(body["stop"], json!(["END"]));
    assert_eq!(
        body["messages"],
        json!([{"role": "system", "content": "You are terse."},
               {"role": "user", "content": "Say hello"}])
    );
}

fn tools() -> Value {
    json!([{
        "name": "retrieve_payment_status", "description": "Get payment status of a transaction",
        "input_schema": {"type": "object", "required": ["transaction_id"],
            "properties": {"transaction_id": {"type": "string"}}}
    }])
}

/// The tool call ids and the tool result's id of the second request the fake received.
fn replayed_ids(fake: &FakeProvider, index: usize) -> (Value, Value) {
    let sent = BACKEND.calls(fake)[index].body_json().clone();
    let turns = sent["messages"].as_array().unwrap().clone();
    assert_eq!(turns.len(), 3, "{sent}");
    (
        turns[1]["tool_calls"][0]["id"].clone(),
        turns[2]["tool_call_id"].clone(),
    )
}

#[tokio::test]
async fn chat_round_trips_a_tool_call_with_nine_character_ids() {
    let fake = FakeProvider::start().await;
    let arguments = json!({"transaction_id": "T1001"});
    let call = api::tool_call(MODEL, "D681PevKs", "retrieve_payment_status", &arguments);
    fake.push(api::CHAT, Reply::json(200, &call));
    fake.fallback(
        api::CHAT,
        Reply::json(200, &api::text(MODEL, "Your payment is paid.", (120, 9))),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let mut messages = vec![json!({"role": "user", "content": "Status of T1001?"})];
    let args = json!({"messages": messages, "tools": tools(), "tool_choice": "required"});
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    let calls = record["tool_calls"].clone();
    assert_eq!(
        calls,
        json!([{"id": "D681PevKs", "name": "retrieve_payment_status", "arguments": arguments}])
    );
    let sent = BACKEND.calls(&fake)[0].body_json().clone();
    // Mistral documents `required` as a synonym of its own `any`.
    assert!(
        sent["tool_choice"] == json!("any") || sent["tool_choice"] == json!("required"),
        "{sent}"
    );
    assert_eq!(sent["tools"][0]["type"], json!("function"));
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["required"],
        json!(["transaction_id"])
    );

    messages.push(json!({"role": "assistant", "content": "", "tool_calls": calls}));
    messages.push(
        json!({"role": "tool", "content": "{\"status\": \"Paid\"}", "tool_call_id": "D681PevKs"}),
    );
    let args = json!({"messages": messages, "tools": tools()});
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["output"], json!("Your payment is paid."));
    // Mistral's own id goes back unchanged.
    let (call_id, result_id) = replayed_ids(&fake, 1);
    assert_eq!(
        (call_id, result_id),
        (json!("D681PevKs"), json!("D681PevKs"))
    );
    let sent = BACKEND.calls(&fake)[1].body_json().clone();
    let args: Value = serde_json::from_str(
        sent["messages"][1]["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .expect("arguments as a JSON string"),
    )
    .unwrap();
    assert_eq!(args, arguments);

    // A conversation from another provider: its ids become valid ones, call and result alike.
    messages[1]["tool_calls"][0]["id"] = json!("toolu_01A09q90qw90lq917835lq9");
    messages[2]["tool_call_id"] = json!("toolu_01A09q90qw90lq917835lq9");
    let args = json!({"messages": messages, "tools": tools()});
    server.call("chat", args).await.record();
    let (call_id, result_id) = replayed_ids(&fake, 2);
    let id = call_id.as_str().unwrap();
    assert_eq!(id.len(), 9, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert_eq!(result_id, call_id, "the result still matches its call");
}

#[tokio::test]
async fn list_models_reads_the_listing() {
    let fake = FakeProvider::start().await;
    let mut server = BACKEND.start(&fake, &[]).await;
    let listing = server.call("list_models", json!({})).await;
    assert!(!listing.is_error(), "{:?}", listing.0);
    let listing = listing.structured().clone();
    assert_eq!(listing["models"], json!([MODEL, "mistral-large-latest"]));
    assert_eq!(listing["default_model"], json!("mistral-medium-latest"));
    assert_eq!(listing["aliases"]["small"], json!(MODEL));
    let asked = fake.requests_to(api::MODELS);
    assert_eq!(asked.len(), 1);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(asked[0].header("authorization"), Some(bearer.as_str()));
}

#[tokio::test]
async fn validation_error_is_bad_request_naming_the_field() {
    let fake = FakeProvider::start().await;
    fake.push(
        api::CHAT,
        api::extra_forbidden("max_completion_tokens", json!(8192)),
    );
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("bad_request");
    assert!(
        text.contains("max_completion_tokens: Extra inputs are not permitted"),
        "{text}"
    );
    assert_meta(&result, "bad_request", Some(422), false);
    assert_eq!(BACKEND.calls(&fake).len(), 1, "a 422 is not retried");
}

#[tokio::test]
async fn invalid_model_is_model_not_found() {
    let fake = FakeProvider::start().await;
    fake.push(api::CHAT, api::invalid_model("no-such-model-9"));
    let mut server = BACKEND.start(&fake, &["--max-retries", "1"]).await;
    let args = json!({"prompt": "hi", "model": "no-such-model-9"});
    let result = server.call("complete", args).await;
    let text = result.expect_error("model_not_found");
    assert!(text.contains("no-such-model-9"), "{text}");
    // Mistral says so with a 400, not a 404.
    assert_meta(&result, "model_not_found", Some(400), false);
    assert_eq!(BACKEND.calls(&fake).len(), 1);
}

providers::contract_tests!(
    BACKEND;
    rejected_key_is_auth,
    exhausted_retries_are_rate_limited,
    quota_is_not_retried,
    server_error_is_upstream_and_retried,
    garbage_body_is_invalid_response,
    refused_connection_is_unreachable,
    status_shows_configuration,
    key_never_leaks,
    key_echoed_by_the_provider_is_not_shown,
);

#[tokio::test]
async fn missing_key_is_reported_not_fatal() {
    let fake = FakeProvider::start().await;
    let base = fake.url();
    providers::missing_key_is_reported_not_fatal(&BACKEND, &fake, &base).await;
}

#[tokio::test]
async fn reasoning_effort_goes_as_mistral_documents_it_and_the_thinking_comes_back_on_request() {
    let fake = FakeProvider::start().await;
    // Mistral's answer with reasoning on: a thinking chunk, then the text
    // (https://docs.mistral.ai/capabilities/reasoning/adjustable).
    let message = json!({"role": "assistant", "tool_calls": null, "prefix": false, "content": [
        {"type": "thinking", "thinking": [{"type": "text", "text": "4 + 2 = 6, twice that is 12."}]},
        {"type": "text", "text": "John is 12."}
    ]});
    let answer = api::completion("mistral-medium-3-5", message, "stop", (90, 60));
    fake.fallback(api::CHAT, Reply::json(200, &answer));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"prompt": "How old is John?", "model": "medium",
                      "reasoning": {"effort": "high", "include": true}});
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("John is 12."));
    assert_eq!(record["reasoning"], json!("4 + 2 = 6, twice that is 12."));
    assert_eq!(
        BACKEND.calls(&fake)[0].body_json()["reasoning_effort"],
        json!("high")
    );
    // Mistral Medium 3.5 knows none and high: medium goes as high, and the record says so.
    let args = json!({"prompt": "How old is John?", "model": "medium",
                      "reasoning": {"effort": "medium"}});
    let record = server.call("complete", args).await.record().clone();
    assert!(record.get("reasoning").is_none(), "not asked for: {record}");
    assert!(
        record["warnings"]
            .to_string()
            .contains("effort medium sent as high"),
        "{record}"
    );
    assert_eq!(
        BACKEND.calls(&fake)[1].body_json()["reasoning_effort"],
        json!("high")
    );
}

/// A two-turn tool loop that appends `record.message` and the tool's result, whole or streamed:
/// the second turn sends Mistral's own nine-character id back unchanged.
async fn tool_loop_replaying_the_record_message(streamed: bool) {
    use crate::support::sse;
    let fake = FakeProvider::start().await;
    let arguments = json!({"transaction_id": "T1001"});
    if streamed {
        let first = sse::Answer {
            model: MODEL,
            pieces: Vec::new(),
            tool: Some(sse::ToolCall {
                id: "D681PevKs",
                name: "retrieve_payment_status",
                fragments: vec!["{\"transaction_", "id\": \"T1001\"}"],
            }),
            stop: "tool_calls",
            input: 120,
            output: 9,
            cache_read: 0,
            cache_write: 0,
        };
        let second = sse::Answer {
            pieces: vec!["Your payment ", "is paid."],
            tool: None,
            stop: "stop",
            ..first.clone()
        };
        for answer in [first, second] {
            let events = sse::openai_events(&answer);
            fake.push(
                api::CHAT,
                sse::reply(events, std::time::Duration::from_millis(5)),
            );
        }
    } else {
        let call = api::tool_call(MODEL, "D681PevKs", "retrieve_payment_status", &arguments);
        fake.push(api::CHAT, Reply::json(200, &call));
        let text = api::text(MODEL, "Your payment is paid.", (120, 9));
        fake.push(api::CHAT, Reply::json(200, &text));
    }
    let mut server = BACKEND.start(&fake, &[]).await;
    let chat = |messages: &Vec<Value>| json!({"messages": messages, "tools": tools()});
    let mut messages = vec![json!({"role": "user", "content": "Status of T1001?"})];
    let first = if streamed {
        let (_, response) =
            backends::call_with_progress(&mut server, "chat", chat(&messages), "m1").await;
        response["result"]["structuredContent"].clone()
    } else {
        server.call("chat", chat(&messages)).await.record().clone()
    };
    assert_eq!(first["finish_reason"], json!("tool_calls"), "{first}");
    let message = first["message"].clone();
    assert_eq!(
        message["tool_calls"],
        json!([{"id": "D681PevKs", "name": "retrieve_payment_status", "arguments": arguments}])
    );
    messages.push(message);
    messages.push(json!({"role": "tool", "tool_call_id": "D681PevKs", "content": "Paid"}));
    let second = if streamed {
        let (_, response) =
            backends::call_with_progress(&mut server, "chat", chat(&messages), "m2").await;
        response["result"]["structuredContent"].clone()
    } else {
        server.call("chat", chat(&messages)).await.record().clone()
    };
    assert_eq!(second["output"], json!("Your payment is paid."), "{second}");
    assert_eq!(second["warnings"], json!([]), "{second}");
    let (call_id, result_id) = replayed_ids(&fake, 1);
    assert_eq!(
        (call_id, result_id),
        (json!("D681PevKs"), json!("D681PevKs"))
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
