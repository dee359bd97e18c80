//! `llm-mcp-ollama` against a fake Ollama native API: the `/api/chat` request it sends, the
//! record it makes of the answer (a missing count is null, never 0), tools, the listing, and
//! the shared failure checks of `providers.rs`.

use serde_json::json;

use crate::providers::{self, KEY};
use crate::support::backends::{self, Backend};
use crate::support::ollama_api as api;
use crate::support::{self, FakeProvider, Reply};

const MODEL: &str = "llama3.2";

const BACKEND: Backend = Backend {
    models: |_| api::tags(&["llama3.2:latest", "qwen3:8b"]),
    ..backends::OLLAMA
};

/// Starts the binary against `fake` without a key, as a local Ollama is used.
async fn start_local(fake: &FakeProvider) -> support::McpProcess {
    BACKEND
        .start_with_env(fake, &["--max-retries", "0"], &[])
        .await
}

#[tokio::test]
async fn complete_sends_options_without_streaming_and_returns_the_record() {
    let fake = FakeProvider::start().await;
    let answer = api::text(MODEL, "Hello! How are you today?", Some(26), Some(298));
    fake.push(api::CHAT, Reply::json(200, &answer));
    let mut server = start_local(&fake).await;
    let args = json!({
        "prompt": "Say hello", "system": "Be brief.", "model": "llama",
        "max_tokens": 64, "temperature": 0.2, "top_p": 0.9, "stop": ["END"]
    });
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], json!("Hello! How are you today?"));
    assert_eq!(record["model"], json!(MODEL));
    assert_eq!(record["provider"], json!("ollama"));
    let usage = json!({"input_tokens": 26, "output_tokens": 298, "cache_read_tokens": null,
        "cache_write_tokens": null, "reasoning_tokens": null});
    assert_eq!(record["usage"], usage);
    assert_eq!(record["tokens_used"], json!(324));
    assert_eq!(record["finish_reason"], json!("stop"));
    assert_eq!(record["attempts"], json!(1));
    assert_eq!(
        record["cost_usd"],
        json!(null),
        "a local model has no price"
    );
    assert_eq!(record["tool_calls"], json!([]));

    let sent = BACKEND.calls(&fake);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].header("authorization"), None, "no key, no header");
    // Sampling goes in `options` (OLL-3), and `stream: false` asks for one object (OLL-1).
    let expected = json!({
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ],
        "stream": false,
        "options": {"num_predict": 64, "temperature": 0.2, "top_p": 0.9, "stop": ["END"]}
    });
    assert_eq!(sent[0].body_json(), &expected);
}

#[tokio::test]
async fn missing_counts_are_null_never_zero() {
    let fake = FakeProvider::start().await;
    // A cached prompt: no prompt_eval_count (ollama#2068); the answer was cut at num_predict.
    let cached = api::chat(
        MODEL,
        json!({"role": "assistant", "content": "cut"}),
        "length",
        None,
        Some(5),
    );
    fake.push(api::CHAT, Reply::json(200, &cached));
    let bare = api::chat(
        MODEL,
        json!({"role": "assistant", "content": ""}),
        "load",
        None,
        None,
    );
    fake.push(api::CHAT, Reply::json(200, &bare));
    let mut server = start_local(&fake).await;

    let record = server.call("complete", json!({"prompt": "go"})).await;
    let record = record.record();
    assert_eq!(record["usage"]["input_tokens"], json!(null), "{record}");
    assert_eq!(record["usage"]["output_tokens"], json!(5));
    // tokens_used counts what is known: the output alone.
    assert_eq!(record["tokens_used"], json!(5));
    assert_eq!(record["finish_reason"], json!("length"));

    let record = server.call("complete", json!({"prompt": "go"})).await;
    let record = record.record();
    assert_eq!(record["usage"]["input_tokens"], json!(null), "{record}");
    assert_eq!(record["usage"]["output_tokens"], json!(null));
    assert_eq!(
        record["tokens_used"],
        json!(null),
        "no usage at all is unknown"
    );
    assert_eq!(record["finish_reason"], json!("other"));
}

#[tokio::test]
async fn chat_round_trips_a_tool_call() {
    let fake = FakeProvider::start().await;
    let arguments = json!({"city": "New York"});
    let first = api::tool_call(MODEL, "get_temperature", &arguments);
    fake.push(api::CHAT, Reply::json(200, &first));
    let answer = api::text(MODEL, "It is 22°C in New York.", Some(150), Some(12));
    fake.push(api::CHAT, Reply::json(200, &answer));
    let mut server = start_local(&fake).await;
    let tools = json!([{
        "name": "get_temperature", "description": "Get the current temperature for a city",
        "input_schema": {"type": "object", "required": ["city"],
            "properties": {"city": {"type": "string"}}}
    }]);
    let mut messages = vec![json!({"role": "user", "content": "Temperature in New York?"})];
    let args = json!({"messages": messages, "tools": tools});
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["finish_reason"], json!("tool_calls"));
    assert_eq!(record["output"], json!(""));
    assert_eq!(record["tokens_used"], json!(155));
    // Ollama sends no call id: the server makes one up from the call's position.
    let calls = record["tool_calls"].clone();
    assert_eq!(
        calls,
        json!([{"id": "call_0", "name": "get_temperature", "arguments": arguments}])
    );
    let sent = BACKEND.calls(&fake)[0].body_json().clone();
    let expected_tools = json!([{"type": "function", "function": {
        "name": "get_temperature", "description": "Get the current temperature for a city",
        "parameters": {"type": "object", "required": ["city"],
            "properties": {"city": {"type": "string"}}}
    }}]);
    assert_eq!(sent["tools"], expected_tools);

    messages.push(json!({"role": "assistant", "content": "", "tool_calls": calls}));
    messages.push(json!({"role": "tool", "content": "22°C", "tool_call_id": "call_0"}));
    let args = json!({"messages": messages, "tools": tools});
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["output"], json!("It is 22°C in New York."));
    assert_eq!(record["finish_reason"], json!("stop"));
    let sent = BACKEND.calls(&fake)[1].body_json().clone();
    // The call goes back as Ollama sent it (arguments an object) and the result names the
    // tool it answers (https://docs.ollama.com/capabilities/tool-calling).
    let expected = json!([
        {"role": "user", "content": "Temperature in New York?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_temperature", "arguments": {"city": "New York"}}}
        ]},
        {"role": "tool", "content": "22°C", "tool_name": "get_temperature"}
    ]);
    assert_eq!(sent["messages"], expected, "{sent}");
}

#[tokio::test]
async fn list_models_reads_the_tags() {
    let fake = FakeProvider::start().await;
    let mut server = start_local(&fake).await;
    let listing = server.call("list_models", json!({})).await;
    assert!(!listing.is_error(), "{:?}", listing.0);
    let listing = listing.structured().clone();
    assert_eq!(listing["models"], json!(["llama3.2:latest", "qwen3:8b"]));
    assert_eq!(listing["default_model"], json!(MODEL));
    assert_eq!(listing["aliases"]["llama"], json!(MODEL));
    let asked = fake.requests_to(api::TAGS);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].method, "GET");
}

#[tokio::test]
async fn status_without_a_key_says_none_is_required() {
    let fake = FakeProvider::start().await;
    let mut server = start_local(&fake).await;
    let status = server.call("status", json!({})).await.structured().clone();
    assert_eq!(status["provider"], json!("ollama"));
    assert_eq!(status["backend"], json!("ollama"));
    assert_eq!(status["credentials"], json!("not required"), "{status}");
    assert_eq!(status["reachable"], json!(true), "{status}");
    assert_eq!(status["model"], json!(MODEL));
    assert!(BACKEND.calls(&fake).is_empty(), "status spends no tokens");
}

providers::contract_tests!(
    BACKEND;
    status_shows_configuration,
    unknown_model_is_model_not_found,
    server_error_is_upstream_and_retried,
    rejected_key_is_auth,
    garbage_body_is_invalid_response,
    refused_connection_is_unreachable,
    key_never_leaks,
    key_echoed_by_the_provider_is_not_shown,
);

#[tokio::test]
async fn a_key_for_hosted_ollama_travels_as_a_bearer_header() {
    let fake = FakeProvider::start().await;
    fake.push(api::CHAT, BACKEND.ok("hosted"));
    let mut server = BACKEND.start(&fake, &[]).await;
    let record = server.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(record.record()["output"], json!("hosted"));
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        BACKEND.calls(&fake)[0].header("authorization"),
        Some(bearer.as_str())
    );
}

/// `OLLAMA_HOST` as the ollama CLI reads it: no scheme, and the bind-all address means this
/// machine.
#[tokio::test]
async fn ollama_host_without_a_scheme_is_read_as_the_cli_reads_it() {
    let fake = FakeProvider::start().await;
    fake.fallback(api::CHAT, BACKEND.ok("via OLLAMA_HOST"));
    let port = fake.url().rsplit(':').next().unwrap().to_string();
    for host in [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")] {
        let env = [("OLLAMA_HOST", host.as_str())];
        let mut server = support::start(BACKEND.binary, &["--max-retries", "0"], &env).await;
        let status = server.call("status", json!({})).await.structured().clone();
        let endpoint = format!("http://127.0.0.1:{port}");
        assert!(
            status["endpoint"].as_str().unwrap().starts_with(&endpoint),
            "{host}: {status}"
        );
        let record = server.call("complete", json!({"prompt": "hi"})).await;
        assert_eq!(
            record.record()["output"],
            json!("via OLLAMA_HOST"),
            "{host}"
        );
    }
    assert_eq!(BACKEND.calls(&fake).len(), 2);
}

fn temperature_tool() -> serde_json::Value {
    json!([{"name": "get_temperature", "description": "Current temperature of a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
            "required": ["city"]}}])
}

/// Calls `chat` with `args`, streamed under a progress token or whole; the record without its
/// latency, the one field that differs from run to run.
async fn chat(
    server: &mut support::McpProcess,
    args: serde_json::Value,
    streamed: bool,
) -> serde_json::Value {
    let result = if streamed {
        let (_, response) = backends::call_with_progress(server, "chat", args, "think").await;
        support::mcp::ToolResult(response["result"].clone())
    } else {
        server.call("chat", args).await
    };
    let mut record = result.record().clone();
    record.as_object_mut().unwrap().remove("latency_ms");
    record
}

/// Two turns of a tool loop with a thinking model, appending `record.message` and the tool's
/// result: the records and the bodies the fake received.
async fn thinking_loop(
    streamed: bool,
    effort: &str,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let fake = FakeProvider::start().await;
    fake.compute(api::thinking_tool_loop("qwen3"));
    let mut server = start_local(&fake).await;
    let reasoning = json!({"effort": effort, "include": true});
    let mut messages = vec![json!({"role": "user", "content": "Temperature in Paris?"})];
    let args = json!({"messages": messages, "tools": temperature_tool(), "model": "qwen",
        "reasoning": reasoning});
    let first = chat(&mut server, args, streamed).await;
    messages.push(first["message"].clone());
    messages.push(json!({"role": "tool", "content": "18 C", "tool_call_id": "call_0"}));
    let args = json!({"messages": messages, "tools": temperature_tool(), "model": "qwen",
        "reasoning": reasoning});
    let second = chat(&mut server, args, streamed).await;
    let bodies = BACKEND
        .calls(&fake)
        .into_iter()
        .map(|r| {
            let mut body = r.body_json().clone();
            body.as_object_mut().unwrap().remove("stream");
            body
        })
        .collect();
    (vec![first, second], bodies)
}

#[tokio::test]
async fn think_round_trips_through_a_tool_loop_whole_and_streamed() {
    let (whole, bodies) = thinking_loop(false, "high").await;
    assert_eq!(bodies[0]["think"], json!(true));
    let first = &whole[0];
    assert_eq!(first["reasoning"], json!(api::FIRST_THOUGHT));
    assert_eq!(first["output"], json!(""));
    assert_eq!(first["finish_reason"], json!("tool_calls"));
    assert_eq!(
        first["message"]["provider_state"],
        json!({"format": "ollama", "model": "qwen3", "parts": [{"thinking": api::FIRST_THOUGHT}]})
    );
    // The turn that called the tool goes back with its thinking.
    assert_eq!(
        bodies[1]["messages"][1],
        json!({"role": "assistant", "content": "", "thinking": api::FIRST_THOUGHT,
            "tool_calls": [{"function": {"name": "get_temperature", "arguments": {"city": "Paris"}}}]})
    );
    assert_eq!(
        bodies[1]["messages"][2],
        json!({"role": "tool", "content": "18 C", "tool_name": "get_temperature"})
    );
    let second = &whole[1];
    assert_eq!(second["output"], json!("It is 18 C in Paris."));
    assert_eq!(second["reasoning"], json!(api::SECOND_THOUGHT));
    assert!(
        second["message"].get("provider_state").is_none(),
        "{second}"
    );

    let (streamed, stream_bodies) = thinking_loop(true, "high").await;
    assert_eq!(
        streamed, whole,
        "a streamed loop records what a whole one does"
    );
    assert_eq!(stream_bodies, bodies);
}

#[tokio::test]
async fn effort_none_turns_thinking_off() {
    let (records, bodies) = thinking_loop(false, "none").await;
    assert_eq!(bodies[0]["think"], json!(false));
    assert!(records[0].get("reasoning").is_none(), "{}", records[0]);
    assert!(records[0]["message"].get("provider_state").is_none());
    assert_eq!(records[1]["output"], json!("It is 18 C in Paris."));
}

#[tokio::test]
async fn another_apis_answer_is_an_invalid_response() {
    let fake = FakeProvider::start().await;
    // What an OpenAI-compatible server answers on the same port.
    let openai = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952,
        "model": "llama3.2", "choices": [{"index": 0, "message": {"role": "assistant",
        "content": "Hello!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}});
    fake.push(api::CHAT, Reply::json(200, &openai));
    let mut server = start_local(&fake).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("invalid_response");
    assert!(text.contains("not an Ollama"), "{text}");
}
