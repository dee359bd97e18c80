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
