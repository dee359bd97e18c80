//! Bodies of the Anthropic Messages API, as documented, for the fake provider.
//!
//! API DOC: https://docs.anthropic.com/en/api/messages (response shape, usage fields);
//! https://docs.claude.com/en/api/errors (error shapes and statuses);
//! https://platform.claude.com/docs/en/api/rate-limits (429 with
//! `error.details.error_code = enforced_spend_limit_reached` when the spend limit is reached).

use serde_json::{Value, json};

use super::fake::Reply;

/// The path the Messages API is served on.
pub const MESSAGES: &str = "/v1/messages";
/// The path of the models listing.
pub const MODELS: &str = "/v1/models";

/// Usage as Anthropic reports it: `input_tokens` excludes both cache counts.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the cache.
    pub cache_read: u64,
    /// Input tokens written to the cache.
    pub cache_creation: u64,
}

impl Usage {
    fn to_json(self) -> Value {
        json!({
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": self.output,
            "service_tier": "standard"
        })
    }
}

/// A `message` with the given content blocks and stop reason.
pub fn message(model: &str, content: Value, stop_reason: &str, usage: Usage) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage.to_json()
    })
}

/// A plain text answer that ended normally.
pub fn text(model: &str, text: &str, usage: Usage) -> Value {
    message(
        model,
        json!([{"type": "text", "text": text}]),
        "end_turn",
        usage,
    )
}

/// An answer that calls tool `name` with `input` after some text.
pub fn tool_use(
    model: &str,
    lead: &str,
    id: &str,
    name: &str,
    input: Value,
    usage: Usage,
) -> Value {
    let content = json!([
        {"type": "text", "text": lead},
        {"type": "tool_use", "id": id, "name": name, "input": input}
    ]);
    message(model, content, "tool_use", usage)
}

/// The documented error envelope: `{"type":"error","error":{type,message},"request_id"}`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
}

/// A reply carrying [`error`] with `status`.
pub fn error_reply(status: u16, kind: &str, message: &str) -> Reply {
    Reply::json(status, &error(kind, message)).header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
}

/// 401 `authentication_error`.
pub fn unauthorized() -> Reply {
    error_reply(401, "authentication_error", "invalid x-api-key")
}

/// 404 `not_found_error` for an unknown model.
pub fn model_not_found(model: &str) -> Reply {
    error_reply(404, "not_found_error", &format!("model: {model}"))
}

/// 429 `rate_limit_error`; the caller adds `retry-after` as needed.
pub fn rate_limited() -> Reply {
    error_reply(
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute.",
    )
}

/// 429 when the organization's monthly spend limit is reached: not worth retrying.
pub fn spend_limit() -> Reply {
    let body = json!({
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "You have reached your API usage limits: your organization has crossed its monthly API usage threshold. You will regain access on 2026-09-01 at 00:00 UTC.",
            "details": {"error_code": "enforced_spend_limit_reached"}
        },
        "request_id": "req_018EeWyXxfu5pfWkrYcMdjWG"
    });
    Reply::json(429, &body)
}

/// 500 `api_error`.
pub fn api_error() -> Reply {
    error_reply(500, "api_error", "Internal server error")
}

/// 529 `overloaded_error`.
pub fn overloaded() -> Reply {
    error_reply(529, "overloaded_error", "Overloaded")
}

/// The models listing (`GET /v1/models`).
pub fn models(ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-05-14T00:00:00Z"}))
        .collect();
    json!({"data": data, "has_more": false, "first_id": ids.first(), "last_id": ids.last()})
}

/// The SSE events of the whole answer `message`, as the streaming reference sends them
/// (<https://docs.claude.com/en/api/messages-streaming>): `message_start` with empty content,
/// per block a start (text and thinking empty, `tool_use` with `input: {}`, a
/// `redacted_thinking` block whole), its deltas in two pieces (`text_delta`,
/// `thinking_delta` then one `signature_delta`, `input_json_delta`), its stop; then
/// `message_delta` with the stop reason and output tokens, and `message_stop`.
pub fn events(message: &Value) -> Vec<String> {
    use super::sse::event;
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    let mut out = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": start}),
    )];
    let halves = |text: &str| {
        let cut = text
            .char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i);
        let (a, b) = text.split_at(cut);
        [a.to_string(), b.to_string()]
    };
    let delta = |index: usize, delta: Value| {
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    };
    for (index, block) in message["content"].as_array().unwrap().iter().enumerate() {
        let kind = block["type"].as_str().unwrap();
        let opening = match kind {
            "text" => json!({"type": "text", "text": ""}),
            "thinking" => json!({"type": "thinking", "thinking": ""}),
            "tool_use" => {
                json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}})
            }
            _ => block.clone(),
        };
        out.push(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": opening}),
        ));
        match kind {
            "text" => {
                for piece in halves(block["text"].as_str().unwrap()) {
                    out.push(delta(index, json!({"type": "text_delta", "text": piece})));
                }
            }
            "thinking" => {
                let text = block["thinking"].as_str().unwrap();
                if !text.is_empty() {
                    for piece in halves(text) {
                        out.push(delta(
                            index,
                            json!({"type": "thinking_delta", "thinking": piece}),
                        ));
                    }
                }
                let signature = json!({"type": "signature_delta", "signature": block["signature"]});
                out.push(delta(index, signature));
            }
            "tool_use" => {
                out.push(delta(
                    index,
                    json!({"type": "input_json_delta", "partial_json": ""}),
                ));
                for piece in halves(&block["input"].to_string()) {
                    out.push(delta(
                        index,
                        json!({"type": "input_json_delta", "partial_json": piece}),
                    ));
                }
            }
            _ => {}
        }
        out.push(event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    out.push(event(
        "message_delta",
        &json!({"type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": null},
                "usage": {"output_tokens": message["usage"]["output_tokens"]}}),
    ));
    out.push(event("message_stop", &json!({"type": "message_stop"})));
    out
}

/// The answer `message` whole, or streamed when the request body asked for a stream.
pub fn answer(request: &Value, message: &Value) -> Reply {
    if request["stream"] == json!(true) {
        super::sse::reply(events(message), std::time::Duration::from_millis(1))
    } else {
        Reply::json(200, message)
    }
}

/// What Claude Sonnet 5.5 refuses, as the API says it, for the fake to answer with a 400.
///
/// References: the Sonnet 5.5 migration guide (thinking budgets, sampling parameters,
/// assistant prefill, forced tool choice and `thinking: {"type": "disabled"}` return 400;
/// "disabled" answers with a message pointing at `between_tools`,
/// <https://platform.claude.com/docs/en/models/sonnet-5-5/migration-guide>); the refusals'
/// words as users met them: "`temperature` is deprecated for this model." (github/app#2574,
/// Sonnet 5), "Thinking may not be enabled when tool_choice forces tool use."
/// (mastra-ai/mastra#7507), "Prefilling assistant messages is not supported for this model."
/// (benchr.org, wire review A4), and the dropped-thinking-block message of
/// anomalyco/opencode#3077 and deepset-ai/haystack-core-integrations#2146. The `top_p`/`top_k`
/// and thinking-type wordings follow the `temperature` one; the reference gives no exact text.
pub struct Sonnet55 {
    /// Every thinking block this fake has answered with: a replayed one must be one of them,
    /// unchanged ("Invalid `signature` in `thinking` block" otherwise).
    pub issued: Vec<Value>,
}

impl Sonnet55 {
    /// The 400 for `body`, or `None` when Sonnet 5.5 takes it.
    pub fn refusal(&self, body: &Value) -> Option<Reply> {
        let refuse = |message: &str| Some(error_reply(400, "invalid_request_error", message));
        for param in ["temperature", "top_p", "top_k"] {
            if body.get(param).is_some() {
                return refuse(&format!("`{param}` is deprecated for this model."));
            }
        }
        match body["thinking"]["type"].as_str() {
            None | Some("adaptive" | "between_tools") => {}
            Some("disabled") => {
                return refuse(
                    "thinking.type: `disabled` is not supported for this model. Use \
                     `between_tools` to turn off up-front thinking.",
                );
            }
            Some(other) => {
                return refuse(&format!(
                    "thinking.type: `{other}` is not supported for this model. Use `adaptive`."
                ));
            }
        }
        if let Some(display) = body["thinking"].get("display")
            && !matches!(display.as_str(), Some("summarized" | "omitted"))
        {
            return refuse(&format!("thinking.display: invalid value {display}"));
        }
        if let Some(effort) = body.get("output_config").map(|c| &c["effort"])
            && !matches!(
                effort.as_str(),
                Some("low" | "medium" | "high" | "xhigh" | "max")
            )
        {
            return refuse(&format!("output_config.effort: invalid value {effort}"));
        }
        if matches!(body["tool_choice"]["type"].as_str(), Some("any" | "tool")) {
            return refuse("Thinking may not be enabled when tool_choice forces tool use.");
        }
        let messages = body["messages"].as_array()?;
        if messages.last()?["role"] == "assistant" {
            return refuse("Prefilling assistant messages is not supported for this model.");
        }
        self.thinking_refusal(messages)
    }

    /// The final assistant turn that called tools must start with its thinking block, and
    /// every thinking block must be one this fake issued, unchanged.
    fn thinking_refusal(&self, messages: &[Value]) -> Option<Reply> {
        let refuse = |message: String| Some(error_reply(400, "invalid_request_error", &message));
        for (i, message) in messages.iter().enumerate() {
            let Some(blocks) = message["content"].as_array() else {
                continue;
            };
            for (j, block) in blocks.iter().enumerate() {
                let thinking = matches!(
                    block["type"].as_str(),
                    Some("thinking" | "redacted_thinking")
                );
                if thinking && !self.issued.contains(block) {
                    return refuse(format!(
                        "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                    ));
                }
            }
        }
        let (i, last) = messages
            .iter()
            .enumerate()
            .rev()
            .find(|(_, m)| m["role"] == "assistant")?;
        let blocks = last["content"].as_array()?;
        let calls_tools = blocks.iter().any(|b| b["type"] == "tool_use");
        let first = blocks.first()?["type"].as_str().unwrap_or_default();
        if calls_tools && !matches!(first, "thinking" | "redacted_thinking") {
            return refuse(format!(
                "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but \
                 found `{first}`. When `thinking` is enabled, a final `assistant` message must \
                 start with a thinking block (preceeding the lastmost set of `tool_use` and \
                 `tool_result` blocks). We recommend you include thinking blocks from previous \
                 turns. To avoid this requirement, disable `thinking`. Please consult our \
                 documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
            ));
        }
        None
    }
}
