//! Structured output through each provider's own control (issue 13): the fake answers JSON
//! only when the native control arrived, so a record with `json` and no fallback warning
//! shows the control was sent; a non-conforming answer is `[invalid_response]`.

use serde_json::{Value, json};

use crate::support::backends;
use crate::support::catalog::priced_at_loopback;
use crate::support::gemini_api;
use crate::support::openai_api::{self, Usage};
use crate::support::{FakeProvider, Reply};

fn person() -> Value {
    json!({"type": "json_schema", "name": "person", "strict": true, "schema": {
        "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"], "additionalProperties": false}})
}

/// No record warning says the format went into the system prompt.
fn assert_no_fallback(record: &Value) {
    let warnings = record["warnings"].as_array().unwrap();
    assert!(
        !warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("system prompt")),
        "{record}"
    );
}

const OPENAI_USAGE: Usage = Usage {
    prompt: 10,
    completion: 5,
    cached: 0,
    reasoning: 0,
};

/// An OpenAI fake that answers `answer` when the request carries the schema in
/// `response_format.json_schema`, and prose otherwise.
fn openai_fake(fake: &FakeProvider, answer: &'static str) {
    fake.compute(move |_, request| {
        let body = request.body_json();
        let native = body["response_format"]["type"] == json!("json_schema")
            && body["response_format"]["json_schema"]["name"] == json!("person")
            && body["response_format"]["json_schema"]["schema"]["required"]
                == json!(["name", "age"]);
        let text = if native { answer } else { "Sure: Ada, 36." };
        Reply::json(200, &openai_api::text("gpt-4o-mini", text, OPENAI_USAGE))
    });
}

#[tokio::test]
async fn openai_sends_response_format_and_checks_the_answer() {
    let fake = FakeProvider::start().await;
    openai_fake(&fake, r#"{"name": "Ada", "age": 36}"#);
    let catalog = priced_at_loopback("openai", "api");
    let mut server = backends::OPENAI
        .start(&fake, &["--catalog", &catalog])
        .await;
    let args = json!({"prompt": "Who?", "model": "gpt-4o-mini", "response_format": person()});
    let result = server.call("complete", args.clone()).await;
    let record = result.record();
    assert_eq!(
        record["json"],
        json!({"name": "Ada", "age": 36}),
        "{record}"
    );
    assert_no_fallback(record);
    let requests = fake.requests();
    let body = requests[0].body_json();
    assert_eq!(
        body["response_format"]["json_schema"]["strict"],
        json!(true)
    );
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(
        !system.contains("JSON Schema"),
        "no prompt fallback: {body}"
    );

    let fake = FakeProvider::start().await;
    openai_fake(&fake, r#"{"name": "Ada", "age": "old"}"#);
    let mut server = backends::OPENAI
        .start(&fake, &["--catalog", &catalog])
        .await;
    let result = server.call("complete", args).await;
    let text = result.expect_error("invalid_response");
    assert!(text.contains("/age"), "{text}");
}

#[tokio::test]
async fn gemini_sends_response_json_schema_and_checks_the_answer() {
    const MODEL: &str = "gemini-2.5-flash";
    let usage = gemini_api::Usage {
        prompt: 10,
        candidates: 5,
        thoughts: 0,
        cached: 0,
    };
    for (answer, conforms) in [
        (r#"{"name": "Ada", "age": 36}"#, true),
        (r#"{"name": "Ada"}"#, false),
    ] {
        let fake = FakeProvider::start().await;
        fake.compute(move |_, request| {
            let body = request.body_json();
            let config = &body["generationConfig"];
            let native = config["responseMimeType"] == json!("application/json")
                && config["responseJsonSchema"]["required"] == json!(["name", "age"]);
            let text = if native { answer } else { "Ada, 36." };
            Reply::json(200, &gemini_api::text(MODEL, text, usage))
        });
        let catalog = priced_at_loopback("gemini", "native");
        let mut server = backends::GEMINI
            .start(&fake, &["--catalog", &catalog])
            .await;
        let args = json!({"prompt": "Who?", "model": MODEL, "response_format": person()});
        let result = server.call("complete", args).await;
        if conforms {
            let record = result.record();
            assert_eq!(
                record["json"],
                json!({"name": "Ada", "age": 36}),
                "{record}"
            );
            assert_no_fallback(record);
            let requests = fake.requests();
            let body = requests[0].body_json();
            assert!(body.get("systemInstruction").is_none(), "{body}");
        } else {
            let text = result.expect_error("invalid_response");
            assert!(text.contains("age"), "{text}");
        }
    }
}

/// `--prompt-cache auto` (the default): a long system prompt gets a breakpoint, the fake
/// (which caches only what a breakpoint marks, as Anthropic does) writes it on the first call
/// and reads it on the second, and the second costs less.
#[tokio::test]
async fn anthropic_caches_a_long_prefix_and_the_second_call_costs_less() {
    use crate::support::anthropic_api;
    const MODEL: &str = "claude-sonnet-4-5";
    let fake = FakeProvider::start().await;
    fake.compute(|n, request| {
        let body = request.body_json();
        let marked = body["system"][0]["cache_control"] == json!({"type": "ephemeral"});
        let cached = if marked { 3000 } else { 0 };
        let usage = anthropic_api::Usage {
            input: if marked { 20 } else { 3020 },
            output: 10,
            cache_read: if n > 0 { cached } else { 0 },
            cache_creation: if n == 0 { cached } else { 0 },
        };
        Reply::json(200, &anthropic_api::text(MODEL, "Done.", usage))
    });
    let catalog = priced_at_loopback("anthropic", "api");
    let mut server = backends::ANTHROPIC
        .start(&fake, &["--catalog", &catalog])
        .await;
    let args = json!({"prompt": "Summarize.", "model": MODEL, "system": "rule ".repeat(3000)});
    let first = server.call("complete", args.clone()).await;
    let second = server.call("complete", args).await;
    let (first, second) = (first.record(), second.record());
    assert_eq!(first["usage"]["cache_write_tokens"], json!(3000), "{first}");
    assert_eq!(
        second["usage"]["cache_read_tokens"],
        json!(3000),
        "{second}"
    );
    let (a, b) = (
        first["cost_usd"].as_f64().unwrap(),
        second["cost_usd"].as_f64().unwrap(),
    );
    assert!(b < a / 2.0, "cached call {b} vs first {a}");
}

#[tokio::test]
async fn openai_keys_the_cache_and_a_second_call_reads_it_for_less() {
    // OpenAI caches on its own; the fake reports the prefix cached from the second call with
    // the same `prompt_cache_key` on (`usage.input_tokens_details.cached_tokens`). Responses,
    // since the fake's loopback address is not api.openai.com, where Chat Completions sends
    // the key (a unit test shows that body).
    use crate::support::responses_api as api;
    const MODEL: &str = "gpt-4o-mini";
    let fake = FakeProvider::start().await;
    fake.compute(|n, request| {
        let keyed = request.body_json()["prompt_cache_key"] == json!("openai");
        let mut answer = api::response(MODEL, vec![api::message("msg_1", "Done.")]);
        answer["usage"] = json!({
            "input_tokens": 3020,
            "input_tokens_details": {"cached_tokens": if keyed && n > 0 { 3000 } else { 0 }},
            "output_tokens": 10,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 3030
        });
        Reply::json(200, &answer)
    });
    let catalog = priced_at_loopback("openai", "api");
    let mut server = backends::OPENAI
        .start(&fake, &["--catalog", &catalog, "--api", "responses"])
        .await;
    let args = json!({"prompt": "Summarize.", "model": MODEL, "system": "rule ".repeat(3000)});
    let first = server.call("complete", args.clone()).await;
    let second = server.call("complete", args).await;
    let (first, second) = (first.record(), second.record());
    assert_eq!(first["usage"]["cache_read_tokens"], json!(0), "{first}");
    assert_eq!(
        second["usage"]["cache_read_tokens"],
        json!(3000),
        "{second}"
    );
    let (a, b) = (
        first["cost_usd"].as_f64().unwrap(),
        second["cost_usd"].as_f64().unwrap(),
    );
    assert!(b < a * 0.75, "cached call {b} vs first {a}");
}
