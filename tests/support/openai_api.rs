//! Bodies of the OpenAI Chat Completions API, as documented, for the fake provider.
//!
//! API DOC: https://platform.openai.com/docs/api-reference/chat/object (response shape; usage
//! with `prompt_tokens_details.cached_tokens` included in `prompt_tokens`);
//! https://platform.openai.com/docs/guides/error-codes (error envelope `{"error": {message,
//! type, param, code}}`, 429 `insufficient_quota` when the quota is used up).

use serde_json::{Value, json};

use super::fake::Reply;

/// The path of Chat Completions under a base URL ending in `/v1`.
pub const CHAT: &str = "/v1/chat/completions";
/// The path of the models listing.
pub const MODELS: &str = "/v1/models";

/// Usage as OpenAI reports it: `prompt` includes `cached`, `completion` includes `reasoning`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// prompt_tokens.
    pub prompt: u64,
    /// completion_tokens.
    pub completion: u64,
    /// prompt_tokens_details.cached_tokens.
    pub cached: u64,
    /// completion_tokens_details.reasoning_tokens.
    pub reasoning: u64,
}

impl Usage {
    fn to_json(self) -> Value {
        json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt.saturating_add(self.completion), // a hostile fake may send u64::MAX
            "prompt_tokens_details": {"cached_tokens": self.cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        })
    }
}

/// A `chat.completion` with one choice holding `message`.
pub fn completion(model: &str, message: Value, finish_reason: &str, usage: Usage) -> Value {
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": usage.to_json(),
        "service_tier": "default",
        "system_fingerprint": "fp_50cad350e4"
    })
}

/// A plain text answer that ended normally.
pub fn text(model: &str, text: &str, usage: Usage) -> Value {
    let message = json!({"role": "assistant", "content": text, "refusal": null, "annotations": []});
    completion(model, message, "stop", usage)
}

/// An answer that calls `name` with `arguments` (sent as a JSON string, as the API does).
pub fn tool_call(model: &str, id: &str, name: &str, arguments: &Value, usage: Usage) -> Value {
    let message = json!({
        "role": "assistant",
        "content": null,
        "refusal": null,
        "tool_calls": [{
            "id": id,
            "type": "function",
            "function": {"name": name, "arguments": arguments.to_string()}
        }]
    });
    completion(model, message, "tool_calls", usage)
}

/// The documented error envelope.
pub fn error(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// 401 for a rejected key; like the real API, it echoes a masked key.
pub fn unauthorized() -> Reply {
    let body = error(
        "Incorrect API key provided: sk-test-*********-123. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        Some("invalid_api_key"),
    );
    Reply::json(401, &body)
}

/// 404 for a model that does not exist.
pub fn model_not_found(model: &str) -> Reply {
    let body = error(
        &format!("The model `{model}` does not exist or you do not have access to it."),
        "invalid_request_error",
        Some("model_not_found"),
    );
    Reply::json(404, &body)
}

/// 429 for a rate limit; the caller adds `retry-after`/`retry-after-ms` as needed.
pub fn rate_limited() -> Reply {
    let body = error(
        "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
        "requests",
        Some("rate_limit_exceeded"),
    );
    Reply::json(429, &body)
}

/// 429 when the quota is used up: not worth retrying.
pub fn insufficient_quota() -> Reply {
    let body = error(
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        Some("insufficient_quota"),
    );
    Reply::json(429, &body)
}

/// 500 server error.
pub fn server_error() -> Reply {
    let body = error(
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    );
    Reply::json(500, &body)
}

/// The models listing (`GET /v1/models`).
pub fn models(ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1686935002, "owned_by": "openai"}))
        .collect();
    json!({"object": "list", "data": data})
}

/// OpenAI's 400 for a parameter the model does not take, in the API's words
/// (`unsupported_parameter`: charmbracelet/crush#3741 for `max_tokens` on GPT-6 Astra,
/// huggingface/smolagents#1671 and #1893 for `temperature` and `stop` on reasoning models).
pub fn unsupported_parameter(param: &str) -> Reply {
    let hint = if param == "max_tokens" {
        " Use 'max_completion_tokens' instead."
    } else {
        ""
    };
    let body = json!({"error": {
        "message": format!("Unsupported parameter: '{param}' is not supported with this model.{hint}"),
        "type": "invalid_request_error", "param": param, "code": "unsupported_parameter"
    }});
    Reply::json(400, &body)
}

/// What a current reasoning model (GPT-6, GPT-5.6, the o-series) refuses on Chat Completions:
/// the first of `max_tokens`, `temperature`, `top_p` and `stop` in `body`, as OpenAI's 400
/// names it (the API names one parameter at a time); `None` when it takes the body.
pub fn reasoning_refusal(body: &Value) -> Option<Reply> {
    ["max_tokens", "temperature", "top_p", "stop"]
        .into_iter()
        .find(|param| body.get(*param).is_some())
        .map(unsupported_parameter)
}

/// A reply function for [`super::FakeProvider::compute`]: a completion request for a model
/// `reasoning` says is a reasoning model gets its refusal, any other request a text answer
/// `text` by `answered_as`.
pub fn strict(
    reasoning: fn(&str) -> bool,
    answered_as: &'static str,
    text: &'static str,
) -> impl Fn(usize, &super::http::RecordedRequest) -> Reply + Send + Sync + 'static {
    move |_, request| {
        let body = request.body_json();
        let model = body["model"].as_str().unwrap_or_default();
        if reasoning(model)
            && let Some(refusal) = reasoning_refusal(body)
        {
            return refusal;
        }
        let usage = Usage {
            prompt: 10,
            completion: 5,
            cached: 0,
            reasoning: 3,
        };
        Reply::json(200, &self::text(answered_as, text, usage))
    }
}
