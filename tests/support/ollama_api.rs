//! Bodies of Ollama's native API, as documented, for the fake provider.
//!
//! API DOC: https://github.com/ollama/ollama/blob/main/docs/api.md ("Chat request (No
//! streaming)", "Chat request (with tools)", "List Local Models"; errors are `{"error": "..."}`
//! with an HTTP status). `prompt_eval_count` is absent when the prompt came from Ollama's cache
//! (ollama/ollama#2068), so builders take it as an `Option`.

use serde_json::{Value, json};

use super::fake::Reply;

/// The chat endpoint.
pub const CHAT: &str = "/api/chat";
/// The local models listing.
pub const TAGS: &str = "/api/tags";

/// A final (`done: true`) chat object holding `message`, with the counts given (each left out
/// when `None`) and durations in nanoseconds as Ollama reports them.
pub fn chat(
    model: &str,
    message: Value,
    done_reason: &str,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
) -> Value {
    let mut body = json!({
        "model": model,
        "created_at": "2023-12-12T14:13:43.416799Z",
        "message": message,
        "done_reason": done_reason,
        "done": true,
        "total_duration": 5191566416u64,
        "load_duration": 2154458,
        "prompt_eval_duration": 383809000,
        "eval_duration": 4799921000u64
    });
    if let Some(count) = prompt_eval_count {
        body["prompt_eval_count"] = json!(count);
    }
    if let Some(count) = eval_count {
        body["eval_count"] = json!(count);
    }
    body
}

/// A plain text answer that stopped normally.
pub fn text(model: &str, text: &str, prompt: Option<u64>, eval: Option<u64>) -> Value {
    chat(
        model,
        json!({"role": "assistant", "content": text}),
        "stop",
        prompt,
        eval,
    )
}

/// An answer calling `name` with `arguments` (an object, as Ollama sends it; no call id, as
/// most builds send none).
pub fn tool_call(model: &str, name: &str, arguments: &Value) -> Value {
    let message = json!({
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": name, "arguments": arguments}}]
    });
    chat(model, message, "stop", Some(122), Some(33))
}

/// An error reply: `{"error": message}` with `status`.
pub fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({"error": message}))
}

/// 404 for a model that was never pulled, in Ollama's own words.
pub fn model_not_found(model: &str) -> Reply {
    error(
        404,
        &format!("model \"{model}\" not found, try pulling it first"),
    )
}

/// The `/api/tags` listing of `names`.
pub fn tags(names: &[&str]) -> Value {
    let models: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "name": name, "model": name,
                "modified_at": "2023-11-04T14:56:49.277302595-07:00",
                "size": 7365960935u64,
                "digest": "9f438cb9cd581fc025612d27f7c1a6669ff83a8bb0ed86c94fcf4c5440555697",
                "details": {"format": "gguf", "family": "llama", "families": null,
                    "parameter_size": "13B", "quantization_level": "Q4_0"}
            })
        })
        .collect();
    json!({"models": models})
}
