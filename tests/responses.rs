//! `llm-mcp-openai` on the Responses API (`--api responses`, `--api auto`) against a fake that
//! speaks it and enforces its rule on reasoning items: a two-turn tool loop replaying
//! `record.message`, streamed and whole records equal, the faults, cancellation mid-stream.
//! The Codex login (`--auth codex`) is in `responses/codex.rs`.

mod codex;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::KEY;
use crate::support::openai_api;
use crate::support::progress::{call_with_progress, is_heartbeat, streamed_text};
use crate::support::responses_api::{self as api, LOOP_MODEL, RESPONSES};
use crate::support::{FakeProvider, McpProcess, Reply, start};

const BIN: &str = env!("CARGO_BIN_EXE_llm-mcp-openai");

async fn server(fake: &FakeProvider, extra: &[&str]) -> McpProcess {
    let base = format!("{}/v1", fake.url());
    let mut args = vec!["--base-url", base.as_str(), "--max-retries", "2"];
    args.extend_from_slice(extra);
    start(BIN, &args, &[("OPENAI_API_KEY", KEY)]).await
}

/// The fake answering the weather loop on `/v1/responses` and listing models elsewhere.
fn weather_fake(fake: &FakeProvider) {
    fake.compute(|_, request| {
        if request.path == RESPONSES {
            api::weather_loop(request)
        } else {
            Reply::json(200, &openai_api::models(&[LOOP_MODEL]))
        }
    });
}

fn chat(messages: Value) -> Value {
    json!({
        "model": "gpt-6-astra",
        "messages": messages,
        "tools": [{"name": "get_weather", "description": "Weather for a city",
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        "reasoning": {"include": true}
    })
}

fn follow_up(first: &Value) -> Value {
    json!([
        {"role": "user", "content": "Weather in Paris?"},
        first["message"],
        {"role": "tool", "tool_call_id": "call_loop_1", "content": "14 °C"}
    ])
}

/// The record without what legitimately differs between two calls of the same answer.
fn comparable(record: &Value) -> Value {
    let mut record = record.clone();
    let fields = record.as_object_mut().unwrap();
    fields.remove("latency_ms");
    fields.remove("attempts");
    record
}

/// One `chat` call, whole or under a progress token, as its record.
async fn call(server: &mut McpProcess, arguments: Value, streamed: bool) -> Value {
    if streamed {
        let (_, response) = call_with_progress(server, "chat", arguments, "tok").await;
        response["result"]["structuredContent"].clone()
    } else {
        server.call("chat", arguments).await.record().clone()
    }
}

/// Both turns of the loop as records.
async fn two_turns(server: &mut McpProcess, streamed: bool) -> (Value, Value) {
    let opening = json!([{"role": "user", "content": "Weather in Paris?"}]);
    let first = call(server, chat(opening), streamed).await;
    let second = call(server, chat(follow_up(&first)), streamed).await;
    (first, second)
}

#[tokio::test]
async fn a_tool_loop_replays_the_reasoning_items_and_streams_the_same_records() {
    let fake = FakeProvider::start().await;
    weather_fake(&fake);
    let mut server = server(&fake, &["--api", "responses"]).await;
    let (first, second) = two_turns(&mut server, false).await;
    assert_eq!(first["finish_reason"], json!("tool_calls"));
    assert_eq!(
        first["tool_calls"],
        json!([{"id": "call_loop_1", "name": "get_weather", "arguments": {"city": "Paris"}}])
    );
    assert_eq!(first["reasoning"], json!("**Checking the weather**"));
    let state = &first["message"]["provider_state"];
    assert_eq!(state["format"], json!("openai"));
    // The state belongs to the model the call asked for (the answer names a dated snapshot).
    assert_eq!(state["model"], json!("gpt-6-astra"));
    assert_eq!(
        state["parts"][0],
        api::reasoning("rs_loop_1", "**Checking the weather**")
    );
    assert_eq!(second["output"], json!("It is 14 °C in Paris."));
    assert_eq!(second["finish_reason"], json!("stop"));
    assert_eq!(second["usage"]["cache_read_tokens"], json!(128));
    assert_eq!(second["usage"]["reasoning_tokens"], json!(64));
    assert_eq!(second["tokens_used"], json!(476));

    let sent = fake.requests_to(RESPONSES);
    assert_eq!(sent.len(), 2, "no request was refused");
    let body = sent[1].body_json();
    assert_eq!(body["store"], json!(false));
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["reasoning"], json!({"summary": "auto"}));
    assert_eq!(
        body["input"][1],
        api::reasoning("rs_loop_1", "**Checking the weather**")
    );
    assert_eq!(body["input"][2]["id"], json!("fc_loop_1"));
    assert_eq!(
        body["input"][3],
        json!({"type": "function_call_output", "call_id": "call_loop_1", "output": "14 °C"})
    );
    assert_eq!(
        sent[1].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    let (first_streamed, second_streamed) = two_turns(&mut server, true).await;
    assert_eq!(comparable(&first), comparable(&first_streamed));
    assert_eq!(comparable(&second), comparable(&second_streamed));
    let streamed = fake.requests_to(RESPONSES);
    assert_eq!(streamed[3].body_json()["stream"], json!(true));
    assert_eq!(streamed[3].body_json()["input"], body["input"]);
    server
        .shutdown(crate::support::EXIT_GRACE)
        .await
        .assert_never_printed(KEY);
}

#[tokio::test]
async fn a_follow_up_without_the_reasoning_item_is_refused_as_the_api_refuses_it() {
    let fake = FakeProvider::start().await;
    weather_fake(&fake);
    let mut server = server(&fake, &["--api", "responses"]).await;
    let (first, _) = two_turns(&mut server, false).await;
    // The rule is live: the same follow-up with the state taken out of the message fails.
    let mut messages = follow_up(&first);
    messages[1]
        .as_object_mut()
        .unwrap()
        .remove("provider_state");
    messages[1]["tool_calls"][0]["id"] = json!("call_loop_1");
    let mut bare = messages.clone();
    // An id-carrying call without its reasoning, as a client that kept only the call sends it.
    bare[1]["provider_state"] = json!({"format": "openai", "model": LOOP_MODEL,
        "parts": [api::function_call("fc_loop_1", "call_loop_1", "get_weather", &json!({"city": "Paris"}))]});
    let result = server.call("chat", chat(bare)).await;
    let text = result.expect_error("bad_request");
    assert!(
        text.contains("without its required 'reasoning' item"),
        "{text}"
    );
    let rebuilt = server.call("chat", chat(messages)).await;
    assert!(rebuilt.expect_error("bad_request").contains("'rs_loop_1'"));
}

#[tokio::test]
async fn auto_sends_the_models_that_need_it_to_responses_where_the_catalog_knows_the_endpoint() {
    let fake = FakeProvider::start().await;
    fake.compute(|_, request| match request.path.as_str() {
        RESPONSES => api::reply_to(
            request,
            &api::response(LOOP_MODEL, vec![api::message("msg_1", "via responses")]),
        ),
        openai_api::CHAT => Reply::json(
            200,
            &openai_api::text(
                "gpt-4o-mini",
                "via chat",
                openai_api::Usage {
                    prompt: 3,
                    completion: 2,
                    cached: 0,
                    reasoning: 0,
                },
            ),
        ),
        _ => Reply::json(200, &openai_api::models(&["gpt-4o-mini"])),
    });
    let catalog = crate::support::catalog::priced_at_loopback("openai", "api");
    let mut known = server(&fake, &["--catalog", &catalog]).await;
    let ask = |model: &str| json!({"prompt": "hi", "model": model});
    assert_eq!(
        known.call("complete", ask("gpt-6-astra")).await.record()["output"],
        json!("via responses")
    );
    assert_eq!(
        known.call("complete", ask("gpt-4o-mini")).await.record()["output"],
        json!("via chat")
    );
    // At an endpoint the catalog does not list, everything is Chat Completions.
    let mut unknown = server(&fake, &[]).await;
    assert_eq!(
        unknown.call("complete", ask("gpt-6-astra")).await.record()["output"],
        json!("via chat")
    );
    let mut forced = server(&fake, &["--api", "chat", "--catalog", &catalog]).await;
    assert_eq!(
        forced.call("complete", ask("gpt-6-astra")).await.record()["output"],
        json!("via chat")
    );
    // Forced to Chat Completions, a tool call to a model that takes tools only on Responses
    // is refused before anything is sent, naming the flag that fixes it.
    let sent_before = fake.requests_to(openai_api::CHAT).len();
    let with_tools = json!({
        "model": "gpt-6-astra",
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"name": "weather", "description": "d", "input_schema": {"type": "object"}}],
    });
    let refused = forced.call("chat", with_tools).await;
    let message = refused.expect_error("bad_request");
    assert!(message.contains("--api responses"), "{message}");
    assert_eq!(fake.requests_to(openai_api::CHAT).len(), sent_before);
    assert_eq!(fake.requests_to(RESPONSES).len(), 1);
}

fn ok() -> Value {
    api::response(LOOP_MODEL, vec![api::message("msg_ok", "fine")])
}

#[tokio::test]
async fn faults_are_the_error_kinds_every_backend_gives() {
    let fake = FakeProvider::start().await;
    fake.fallback(
        openai_api::MODELS,
        Reply::json(200, &openai_api::models(&[LOOP_MODEL])),
    );
    let mut server = server(&fake, &["--api", "responses"]).await;
    let prompt = json!({"prompt": "hi", "model": "gpt-6-astra"});

    fake.push(RESPONSES, openai_api::unauthorized());
    let text = server
        .call("complete", prompt.clone())
        .await
        .expect_error("auth");
    assert!(text.contains("OPENAI_API_KEY"), "{text}");

    // 429 with retry-after: waited for, then answered.
    fake.push(
        RESPONSES,
        openai_api::rate_limited().header("retry-after", "1"),
    );
    fake.push(RESPONSES, Reply::json(200, &ok()));
    let asked = Instant::now();
    let record = server
        .call("complete", prompt.clone())
        .await
        .record()
        .clone();
    assert_eq!(
        (record["output"].clone(), record["attempts"].clone()),
        (json!("fine"), json!(2))
    );
    assert!(
        asked.elapsed() >= Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );

    fake.push(RESPONSES, openai_api::server_error());
    fake.push(RESPONSES, Reply::json(200, &ok()));
    assert_eq!(
        server.call("complete", prompt.clone()).await.record()["attempts"],
        json!(2)
    );

    fake.push(
        RESPONSES,
        Reply::raw(
            200,
            "application/json",
            "{\"object\": \"response\", \"output\": [tru",
        ),
    );
    server
        .call("complete", prompt.clone())
        .await
        .expect_error("invalid_response");

    let mut failed = ok();
    failed["status"] = json!("failed");
    failed["error"] = json!({"code": "invalid_prompt", "message": "Invalid prompt: flagged."});
    fake.push(RESPONSES, Reply::json(200, &failed));
    let text = server
        .call("complete", prompt.clone())
        .await
        .expect_error("bad_request");
    assert!(text.contains("Invalid prompt"), "{text}");

    // A stream cut before `response.completed` is an upstream error, not a short answer.
    let mut events = api::events(&ok());
    events.pop();
    let pieces = events
        .into_iter()
        .map(|e| (Duration::from_millis(2), e))
        .collect();
    fake.push(RESPONSES, Reply::chunked(200, "text/event-stream", pieces));
    let (_, response) = call_with_progress(&mut server, "complete", prompt, "cut").await;
    let text = response["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("[upstream]"), "{text}");
    server
        .shutdown(crate::support::EXIT_GRACE)
        .await
        .assert_never_printed(KEY);
}

#[tokio::test]
async fn a_cancelled_stream_drops_the_provider_connection() {
    let fake = FakeProvider::start().await;
    fake.fallback(
        openai_api::MODELS,
        Reply::json(200, &openai_api::models(&[LOOP_MODEL])),
    );
    let events = api::events(&ok());
    let first_text = events
        .iter()
        .position(|e| e.contains("output_text.delta"))
        .unwrap();
    let pieces = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| (Duration::from_secs(if i > first_text { 30 } else { 0 }), e))
        .collect();
    fake.push(RESPONSES, Reply::chunked(200, "text/event-stream", pieces));
    let mut server = server(&fake, &["--api", "responses"]).await;
    let params =
        json!({"name": "complete", "arguments": {"prompt": "hi"}, "_meta": {"progressToken": "c"}});
    let (id, _rx) = server.start_request("tools/call", params).await;
    loop {
        let note = server
            .next_notification(Duration::from_secs(5))
            .await
            .expect("progress before the stall");
        if !is_heartbeat(&note) && note["method"] == json!("notifications/progress") {
            assert_eq!(streamed_text(&[note]), "fi");
            break;
        }
    }
    let cancelled = Instant::now();
    server
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "enough"}),
        )
        .await;
    assert!(
        fake.wait_disconnects(1, Duration::from_secs(5)).await,
        "the stream kept running"
    );
    assert!(
        cancelled.elapsed() < Duration::from_millis(500),
        "{:?}",
        cancelled.elapsed()
    );
    fake.push(RESPONSES, Reply::json(200, &ok()));
    assert_eq!(
        server
            .call("complete", json!({"prompt": "again"}))
            .await
            .record()["output"],
        json!("fine")
    );
}

#[tokio::test]
async fn the_prompt_cache_key_is_the_callers_else_the_servers_and_off_means_off() {
    let fake = FakeProvider::start().await;
    fake.compute(|_, request| {
        api::reply_to(
            request,
            &api::response(LOOP_MODEL, vec![api::message("msg_1", "ok")]),
        )
    });
    let mut server = server(&fake, &["--api", "responses", "--name", "team-a"]).await;
    let ask = |key: Option<&str>| match key {
        Some(key) => json!({"prompt": "hi", "cache_key": key}),
        None => json!({"prompt": "hi"}),
    };
    server
        .call("complete", ask(Some("tenant-7")))
        .await
        .record();
    server.call("complete", ask(None)).await.record();
    let keys: Vec<Value> = fake
        .requests_to(RESPONSES)
        .iter()
        .map(|r| r.body_json()["prompt_cache_key"].clone())
        .collect();
    assert_eq!(keys, [json!("tenant-7"), json!("team-a")]);

    let mut off = server_off(&fake).await;
    let answered = off.call("complete", ask(Some("tenant-7"))).await;
    assert_eq!(
        answered.record()["warnings"],
        json!(["cache_key ignored: this server runs with --prompt-cache off"])
    );
    let sent = fake.requests_to(RESPONSES);
    let last = sent.last().unwrap().body_json();
    assert!(last.get("prompt_cache_key").is_none(), "{last}");
}

async fn server_off(fake: &FakeProvider) -> McpProcess {
    server(fake, &["--api", "responses", "--prompt-cache", "off"]).await
}
