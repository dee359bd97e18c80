//! Bodies of Mistral's chat completions API, as documented, for the fake provider.
//!
//! API DOC: https://docs.mistral.ai/api/#tag/chat (OpenAI-shaped answers, usage with
//! `prompt_tokens`/`completion_tokens` only); https://docs.mistral.ai/capabilities/function_calling/
//! (9-character tool call ids, `arguments` as a JSON string). Errors are
//! `{"object": "error", "message", "type", "param", "code"}`, a 422 validation error puts
//! pydantic's `{"detail": [{"type", "loc", "msg", "input"}]}` in `message`
//! (mistralai/platform-docs-public#7, nomtek/mistralai_client_dart#44), and a rejected key is
//! `{"message": "Unauthorized", "request_id": ...}`.

use serde_json::{Value, json};

use super::fake::Reply;

/// The chat completions path.
pub const CHAT: &str = "/v1/chat/completions";
/// The models listing path.
pub const MODELS: &str = "/v1/models";

/// A `chat.completion` whose one choice holds `message`.
pub fn completion(model: &str, message: Value, finish_reason: &str, usage: (u64, u64)) -> Value {
    let (prompt, completion) = usage;
    json!({
        "id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
        "object": "chat.completion",
        "model": model,
        "created": 1702256327,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion},
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]
    })
}

/// A plain text answer that stopped normally.
pub fn text(model: &str, text: &str, usage: (u64, u64)) -> Value {
    let message =
        json!({"role": "assistant", "content": text, "tool_calls": null, "prefix": false});
    completion(model, message, "stop", usage)
}

/// An answer calling `name` with `arguments` under the 9-character `id`.
pub fn tool_call(model: &str, id: &str, name: &str, arguments: &Value) -> Value {
    let message = json!({
        "role": "assistant",
        "content": "",
        "prefix": false,
        "tool_calls": [{
            "id": id, "index": 0, "type": "function",
            "function": {"name": name, "arguments": arguments.to_string()}
        }]
    });
    completion(model, message, "tool_calls", (88, 27))
}

/// The documented error envelope with a text message.
pub fn error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Reply {
    let body =
        json!({"object": "error", "message": message, "type": kind, "param": null, "code": code});
    Reply::json(status, &body)
}

/// 401 for a rejected key.
pub fn unauthorized() -> Reply {
    let body = json!({"message": "Unauthorized", "request_id": "933f233947ff6d346065bb297e4a4d56"});
    Reply::json(401, &body)
}

/// 400 for a model that does not exist.
pub fn invalid_model(model: &str) -> Reply {
    error(
        400,
        &format!("Invalid model: {model}"),
        "invalid_model",
        Some("1500"),
    )
}

/// 422 for a request field Mistral refuses (an OpenAI-only field, say).
pub fn extra_forbidden(field: &str, input: Value) -> Reply {
    let detail = json!([{
        "type": "extra_forbidden", "loc": ["body", field],
        "msg": "Extra inputs are not permitted", "input": input
    }]);
    let body = json!({
        "object": "error", "message": {"detail": detail},
        "type": "invalid_request_error", "param": null, "code": null
    });
    Reply::json(422, &body)
}

/// 429 for a rate limit.
pub fn rate_limited() -> Reply {
    Reply::json(429, &json!({"message": "Requests rate limit exceeded"}))
}

/// 429 once the spending limit is reached.
pub fn spending_limit() -> Reply {
    let body = json!({"message": "You have exceeded your monthly spending limit"});
    Reply::json(429, &body)
}

/// 500 server error.
pub fn server_error() -> Reply {
    error(
        500,
        "Internal server error",
        "internal_server_error",
        Some("1000"),
    )
}

/// The `/v1/models` listing.
pub fn models(ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "id": id, "object": "model", "created": 1735689600, "owned_by": "mistralai",
                "capabilities": {"completion_chat": true, "function_calling": true,
                    "completion_fim": false, "fine_tuning": false, "vision": false},
                "max_context_length": 131072, "type": "base"
            })
        })
        .collect();
    json!({"object": "list", "data": data})
}
