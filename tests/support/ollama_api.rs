//! Bodies of Ollama's native API, as documented, for the fake provider.
//!
//! API DOC: https://github.com/ollama/ollama/blob/main/docs/api.md ("Chat request (No
//! streaming)", "Chat request (with tools)", "List Local Models"; errors are `{"error": "..."}`
//! with an HTTP status). `prompt_eval_count` is absent when the prompt came from Ollama's cache
//! (ollama/ollama#2068), so builders take it as an `Option`.

use serde_json::{Value, json};

use super::fake::Reply;
use super::http::RecordedRequest;

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

/// The thinking of [`thinking_tool_loop`]'s first turn.
pub const FIRST_THOUGHT: &str =
    "The user wants the temperature in Paris; I should call get_temperature.";
/// The thinking of [`thinking_tool_loop`]'s answer.
pub const SECOND_THOUGHT: &str = "The tool says 18 C.";

/// A thinking model's tool loop (<https://docs.ollama.com/capabilities/thinking>), for
/// [`super::FakeProvider::compute`]: it thinks unless the request says `"think": false` (a
/// thinking model thinks when `think` is absent, ollama/ollama#14108), the thinking in
/// `message.thinking`; the first turn calls `get_temperature`, a follow-up that carries the
/// tool's result is answered in text. Whole with `"stream": false`, NDJSON lines otherwise
/// (thinking, then content or the calls, then the `done` line with the counts).
pub fn thinking_tool_loop(model: &'static str) -> impl Fn(usize, &RecordedRequest) -> Reply {
    move |_, request| {
        let body = request.body_json();
        let thinks = body.get("think") != Some(&json!(false));
        let answers_a_call = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .is_some_and(|m| m["role"] == json!("tool"));
        let (thought, mut message) = if answers_a_call {
            (
                SECOND_THOUGHT,
                json!({"role": "assistant", "content": "It is 18 C in Paris."}),
            )
        } else {
            let calls = json!([{"function": {"name": "get_temperature",
                "arguments": {"city": "Paris"}}}]);
            (
                FIRST_THOUGHT,
                json!({"role": "assistant", "content": "", "tool_calls": calls}),
            )
        };
        if body["stream"] != json!(true) {
            if thinks {
                message["thinking"] = json!(thought);
            }
            return Reply::json(200, &chat(model, message, "stop", Some(30), Some(20)));
        }
        let line = |message: Value| {
            json!({"model": model, "created_at": "2025-05-29T09:35:56.836222Z",
                "message": message, "done": false})
            .to_string()
                + "\n"
        };
        let mut lines = Vec::new();
        if thinks {
            let (head, tail) = thought.split_at(thought.len() / 2);
            for piece in [head, tail] {
                lines.push(line(
                    json!({"role": "assistant", "content": "", "thinking": piece}),
                ));
            }
        }
        lines.push(line(message));
        let done = chat(
            model,
            json!({"role": "assistant", "content": ""}),
            "stop",
            Some(30),
            Some(20),
        );
        lines.push(done.to_string() + "\n");
        let pieces = lines
            .into_iter()
            .map(|l| (std::time::Duration::ZERO, l))
            .collect();
        Reply::chunked(200, "application/x-ndjson", pieces)
    }
}
