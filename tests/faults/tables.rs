//! The faults each provider documents, as tables: an error status with its documented body
//! and the kind the adapter gives it; 200 bodies of the wrong shape; a retryable overload and a
//! rejected key.
//!
//! API DOC: https://docs.claude.com/en/api/errors (Anthropic statuses and error types);
//! https://platform.openai.com/docs/guides/error-codes (OpenAI statuses, bodies and the Python
//! library's status classes: 400, 401, 403, 404, 409, 422, 429, >=500);
//! https://docs.ollama.com/api/errors (400, 404, 429, 500, 502 with `{"error": "..."}`; 401
//! from hosted Ollama; 503 when the queue is full, `ErrMaxQueue` in ollama's server/sched.go);
//! https://ai.google.dev/gemini-api/docs/troubleshooting (400 INVALID_ARGUMENT and
//! FAILED_PRECONDITION, 403 PERMISSION_DENIED, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500
//! INTERNAL, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, as `google.rpc.Status` bodies);
//! https://docs.mistral.ai/resources/error-glossary (400, 401, 403, 404, 422, 429, 500, 503;
//! `{"object": "error", "message", "type", "param", "code"}`).

use serde_json::{Value, json};

use super::{Fault, fault};
use crate::support::backends::Backend;
use crate::support::{Reply, anthropic_api, gemini_api, mistral_api, ollama_api, openai_api};

// One fault a line reads as the table it is.
#[rustfmt::skip]
pub(super) fn anthropic_statuses() -> Vec<Fault> {
    let e = anthropic_api::error_reply;
    vec![
        fault("400", e(400, "invalid_request_error", "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row"), "bad_request", Some(400)),
        fault("400 too long", e(400, "invalid_request_error", "prompt is too long: 208656 tokens > 200000 maximum"), "context_length", Some(400)),
        fault("401", e(401, "authentication_error", "invalid x-api-key"), "auth", Some(401)),
        fault("403", e(403, "permission_error", "Your API key does not have permission to use the specified resource."), "auth", Some(403)),
        fault("404", e(404, "not_found_error", "model: claude-nonexistent-1"), "model_not_found", Some(404)),
        // A byte limit (32 MB), not the context window (issue 10): shortening the prompt for the
        // window is not the fix, so it is a bad request.
        fault("413", e(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."), "bad_request", Some(413)),
        // The 413 comes from Cloudflare, before the API: it may not be the API's JSON.
        fault("413 html", Reply::raw(413, "text/html", "<html><head><title>413 Request Entity Too Large</title></head></html>"), "bad_request", Some(413)),
        fault("429", e(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "rate_limited", Some(429)),
        fault("429 spend", anthropic_api::spend_limit(), "quota_exceeded", Some(429)),
        fault("500", e(500, "api_error", "Internal server error"), "upstream", Some(500)),
        fault("529", e(529, "overloaded_error", "Overloaded"), "overloaded", Some(529)),
    ]
}

#[rustfmt::skip]
pub(super) fn openai_statuses() -> Vec<Fault> {
    let e = |status: u16, message: &str, kind: &str, code: Option<&str>| {
        Reply::json(status, &openai_api::error(message, kind, code))
    };
    vec![
        fault("400", e(400, "Invalid value for 'temperature': expected a number between 0 and 2.", "invalid_request_error", Some("invalid_value")), "bad_request", Some(400)),
        fault("400 context", e(400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.", "invalid_request_error", Some("context_length_exceeded")), "context_length", Some(400)),
        fault("401", openai_api::unauthorized(), "auth", Some(401)),
        fault("401 org", e(401, "You must be a member of an organization to use the API.", "invalid_request_error", Some("no_organization")), "auth", Some(401)),
        fault("403", e(403, "Country, region, or territory not supported", "request_forbidden", Some("unsupported_country_region_territory")), "auth", Some(403)),
        fault("404", openai_api::model_not_found("gpt-9-nope"), "model_not_found", Some(404)),
        fault("409", e(409, "The resource was updated by another request.", "invalid_request_error", Some("conflict")), "bad_request", Some(409)),
        fault("422", e(422, "Unprocessable Entity", "invalid_request_error", None), "bad_request", Some(422)),
        fault("429", openai_api::rate_limited(), "rate_limited", Some(429)),
        fault("429 quota", openai_api::insufficient_quota(), "quota_exceeded", Some(429)),
        fault("500", openai_api::server_error(), "upstream", Some(500)),
        fault("503", e(503, "The engine is currently overloaded, please try again later.", "server_error", None), "overloaded", Some(503)),
        fault("503 slow down", e(503, "Slow Down", "server_error", None), "overloaded", Some(503)),
    ]
}

#[rustfmt::skip]
pub(super) fn ollama_statuses() -> Vec<Fault> {
    let e = ollama_api::error;
    vec![
        fault("400", e(400, "invalid character '}' looking for beginning of object key string"), "bad_request", Some(400)),
        fault("400 tools", e(400, "registry.ollama.ai/library/gemma:2b does not support tools"), "bad_request", Some(400)),
        fault("401 hosted", Reply::json(401, &json!({"error": "unauthorized", "signin_url": "https://ollama.com/connect?name=host&key=c3NoLWVk"})), "auth", Some(401)),
        fault("404", ollama_api::model_not_found("llama3.2"), "model_not_found", Some(404)),
        fault("429", e(429, "too many requests"), "rate_limited", Some(429)),
        fault("500", e(500, "llama runner process has terminated: exit status 2"), "upstream", Some(500)),
        fault("502 cloud", e(502, "Post \"https://ollama.com:443/api/chat\": dial tcp: lookup ollama.com: no such host"), "upstream", Some(502)),
        fault("503 busy", e(503, "server busy, please try again.  maximum pending requests exceeded"), "overloaded", Some(503)),
    ]
}

#[rustfmt::skip]
pub(super) fn gemini_statuses() -> Vec<Fault> {
    let e = |code, status, message| gemini_api::error(code, status, message, json!([]));
    let field = json!([{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "generation_config",
        "description": "Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field."}]}]);
    vec![
        fault("400", gemini_api::error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field.", field), "bad_request", Some(400)),
        fault("400 key", gemini_api::key_invalid(), "auth", Some(400)),
        fault("400 too long", e(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."), "context_length", Some(400)),
        fault("400 precondition", e(400, "FAILED_PRECONDITION", "User location is not supported for the API use."), "bad_request", Some(400)),
        fault("401", gemini_api::unauthenticated(), "auth", Some(401)),
        fault("403", gemini_api::permission_denied(), "auth", Some(403)),
        fault("404", gemini_api::model_not_found("gemini-flash-latest"), "model_not_found", Some(404)),
        fault("429", gemini_api::rate_limited("0.3s"), "rate_limited", Some(429)),
        fault("429 daily", gemini_api::daily_quota(), "quota_exceeded", Some(429)),
        fault("500", gemini_api::internal(), "upstream", Some(500)),
        fault("503", e(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), "overloaded", Some(503)),
        fault("504", e(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."), "timeout", Some(504)),
    ]
}

#[rustfmt::skip]
pub(super) fn mistral_statuses() -> Vec<Fault> {
    let e = mistral_api::error;
    vec![
        fault("400", e(400, "Assistant message must have either content or tool_calls, but not none.", "invalid_request_error", Some("3230")), "bad_request", Some(400)),
        fault("400 model", mistral_api::invalid_model("mistral-ultra"), "model_not_found", Some(400)),
        fault("400 too long", e(400, "Prompt contains 40010 tokens and 0 draft tokens, too large for model with 32768 maximum context length", "invalid_request_error", None), "context_length", Some(400)),
        fault("401", mistral_api::unauthorized(), "auth", Some(401)),
        fault("403", e(403, "You do not have access to this model on your current plan.", "authentication_error", None), "auth", Some(403)),
        fault("404", e(404, "Invalid model ID: mistral-ultra-latest", "invalid_request_error", Some("unknown_model")), "model_not_found", Some(404)),
        fault("422", mistral_api::extra_forbidden("max_completion_tokens", json!(256)), "bad_request", Some(422)),
        fault("429", mistral_api::rate_limited(), "rate_limited", Some(429)),
        fault("429 spending", mistral_api::spending_limit(), "quota_exceeded", Some(429)),
        fault("500", mistral_api::server_error(), "upstream", Some(500)),
        fault("503", e(503, "Service unavailable.", "server_error", None), "overloaded", Some(503)),
    ]
}

/// 200 bodies that are JSON but not an answer of `backend`'s provider.
pub(super) fn wrong_shapes(backend: Backend) -> Vec<(&'static str, Value)> {
    let model = backend.model;
    match backend.name {
        "anthropic" => vec![(
            "content not blocks",
            json!({"type": "message", "model": model, "content": "hello"}),
        )],
        "ollama" => vec![(
            "message not an object",
            json!({"model": model, "message": "hello", "done": true}),
        )],
        "gemini" => vec![
            (
                "content not an object",
                json!({"candidates": [{"content": "hello", "finishReason": "STOP"}]}),
            ),
            // What streamGenerateContent answers without `alt=sse`: an array of responses.
            (
                "a stream array",
                json!([gemini_api::text(
                    model,
                    "hello",
                    gemini_api::Usage {
                        prompt: 3,
                        candidates: 1,
                        thoughts: 0,
                        cached: 0
                    }
                )]),
            ),
        ],
        // OpenAI and Mistral share the chat completion shape.
        _ => vec![
            (
                "choices not a list",
                json!({"model": model, "choices": "hello"}),
            ),
            // The legacy Completions API's shape: `text` where a chat completion has `message`.
            (
                "legacy completion",
                json!({"id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", "object": "text_completion",
                    "created": 1589478378, "model": "gpt-3.5-turbo-instruct",
                    "choices": [{"text": "hello", "index": 0, "logprobs": null, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}),
            ),
        ],
    }
}

/// A retryable overload with a zero wait, so the retry comes at once.
pub(super) fn overloaded(backend: Backend) -> Reply {
    let reply = match backend.name {
        "anthropic" => anthropic_api::overloaded(),
        "openai" => Reply::json(503, &openai_api::error("Slow Down", "server_error", None)),
        "ollama" => ollama_api::error(
            503,
            "server busy, please try again.  maximum pending requests exceeded",
        ),
        "gemini" => gemini_api::error(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
            json!([]),
        ),
        _ => mistral_api::error(503, "Service unavailable.", "server_error", None),
    };
    reply.header("retry-after", "0")
}

/// A rejected key in `backend`'s provider's words.
pub(super) fn bad_key(backend: Backend) -> Reply {
    match backend.name {
        "anthropic" => anthropic_api::unauthorized(),
        "openai" => openai_api::unauthorized(),
        "ollama" => ollama_api::error(401, "unauthorized"),
        "gemini" => gemini_api::unauthenticated(),
        _ => mistral_api::unauthorized(),
    }
}
