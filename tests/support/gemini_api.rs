//! Bodies of Google's Gemini API (generateContent), as documented, for the fake provider.
//!
//! API DOC: https://ai.google.dev/api/generate-content (`GenerateContentResponse`,
//! `usageMetadata` where `candidatesTokenCount` excludes `thoughtsTokenCount`, `FinishReason`);
//! https://ai.google.dev/api/models#method:-models.list (listing);
//! https://ai.google.dev/gemini-api/docs/troubleshooting (errors are `google.rpc.Status`:
//! `{"error": {"code", "message", "status", "details"}}`; 429 RESOURCE_EXHAUSTED carries
//! `QuotaFailure` violations and a `RetryInfo.retryDelay`).

use serde_json::{Value, json};

use super::fake::Reply;
use super::http::RecordedRequest;

/// The path of the models listing.
pub const MODELS: &str = "/v1beta/models";

/// The generateContent path for `model`.
pub fn generate_path(model: &str) -> String {
    format!("/v1beta/models/{model}:generateContent")
}

/// The streamGenerateContent path for `model`.
pub fn stream_path(model: &str) -> String {
    format!("/v1beta/models/{model}:streamGenerateContent")
}

/// Usage as Gemini reports it.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// promptTokenCount (cached content included).
    pub prompt: u64,
    /// candidatesTokenCount (thoughts excluded).
    pub candidates: u64,
    /// thoughtsTokenCount.
    pub thoughts: u64,
    /// cachedContentTokenCount.
    pub cached: u64,
}

impl Usage {
    fn to_json(self) -> Value {
        let mut usage = json!({
            "promptTokenCount": self.prompt,
            "candidatesTokenCount": self.candidates,
            "totalTokenCount": self.prompt + self.candidates + self.thoughts,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt}]
        });
        // Gemini leaves out counts that are zero.
        if self.thoughts > 0 {
            usage["thoughtsTokenCount"] = json!(self.thoughts);
        }
        if self.cached > 0 {
            usage["cachedContentTokenCount"] = json!(self.cached);
        }
        usage
    }
}

/// A response with one candidate holding `parts`.
pub fn response(model: &str, parts: Value, finish_reason: &str, usage: Usage) -> Value {
    json!({
        "candidates": [{
            "content": {"parts": parts, "role": "model"},
            "finishReason": finish_reason,
            "index": 0
        }],
        "usageMetadata": usage.to_json(),
        "modelVersion": model,
        "responseId": "mH1-aKWDKb2H1dkP7K2p-Ag"
    })
}

/// A plain text answer that stopped normally.
pub fn text(model: &str, text: &str, usage: Usage) -> Value {
    response(model, json!([{"text": text}]), "STOP", usage)
}

/// An answer calling `name` with `args`, without a call id (as Gemini 2.x sends it).
pub fn function_call(model: &str, name: &str, args: &Value, usage: Usage) -> Value {
    let parts = json!([{"functionCall": {"name": name, "args": args}}]);
    response(model, parts, "STOP", usage)
}

/// An answer withheld by the safety filter: no content, only the reason and the ratings.
pub fn safety_blocked(model: &str) -> Value {
    json!({
        "candidates": [{
            "finishReason": "SAFETY",
            "index": 0,
            "safetyRatings": [
                {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "MEDIUM", "blocked": true},
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}
            ]
        }],
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": model
    })
}

/// A prompt blocked before any candidate was made.
pub fn prompt_blocked() -> Value {
    json!({
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]
        },
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}
    })
}

/// A `google.rpc.Status` error reply.
pub fn error(code: u16, status: &str, message: &str, details: Value) -> Reply {
    let body =
        json!({"error": {"code": code, "message": message, "status": status, "details": details}});
    Reply::json(code, &body)
}

/// 401 UNAUTHENTICATED.
pub fn unauthenticated() -> Reply {
    error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        json!([]),
    )
}

/// 400 for a key that is not valid: what AI Studio really answers to a bad key.
pub fn key_invalid() -> Reply {
    let details = json!([{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"}
    }]);
    error(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        details,
    )
}

/// 403 PERMISSION_DENIED (the key's project may not use the API).
pub fn permission_denied() -> Reply {
    error(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        json!([]),
    )
}

/// 404 for a model that does not exist (or does not generate content).
pub fn model_not_found(model: &str) -> Reply {
    error(
        404,
        "NOT_FOUND",
        &format!(
            "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
        ),
        json!([]),
    )
}

fn quota_violation(quota_id: &str) -> Value {
    json!({
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
        "quotaValue": "10"
    })
}

/// 429 for a per-minute limit, asking for a wait of `retry_delay` (e.g. `"0.3s"`).
pub fn rate_limited(retry_delay: &str) -> Reply {
    let details = json!([
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [quota_violation("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")]},
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
    ]);
    error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        details,
    )
}

/// 429 for the daily quota: Google still attaches a RetryInfo, but waiting seconds is useless.
pub fn daily_quota() -> Reply {
    let details = json!([
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [quota_violation("GenerateRequestsPerDayPerProjectPerModel-FreeTier")]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.1s"}
    ]);
    error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        details,
    )
}

/// 500 INTERNAL.
pub fn internal() -> Reply {
    error(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
        json!([]),
    )
}

/// The `models.list` body: each name with its supported methods.
pub fn models(entries: &[(&str, &[&str])]) -> Value {
    let models: Vec<Value> = entries
        .iter()
        .map(|(id, methods)| {
            json!({
                "name": format!("models/{id}"),
                "version": "001",
                "displayName": id,
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": methods
            })
        })
        .collect();
    json!({"models": models})
}

/// The 400 Gemini 3 answers to a follow-up whose function call lacks the `thoughtSignature`
/// the model sent with it, in Google's words (as quoted in google-gemini/gemini-cli#26682 and
/// <https://ai.google.dev/gemini-api/docs/thought-signatures>); `position` is the turn's.
pub fn missing_signature(function: &str, position: usize) -> Reply {
    error(
        400,
        "INVALID_ARGUMENT",
        &format!(
            "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:{function}` , position {position}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
        ),
        json!([]),
    )
}

/// A Gemini 3 tool loop as the current models run it, for [`super::FakeProvider::compute`]:
/// the first turn calls `get_weather` with a `thoughtSignature` (and a thought summary first
/// when the request asks `includeThoughts`); a follow-up answering that call is refused with
/// [`missing_signature`] unless the first `functionCall` part of each model step in the
/// current turn carries a signature, as Google validates it ("the first functionCall part in
/// each step of the current turn must include its thought_signature"); a valid follow-up is
/// answered in text, its signature on the last part. Whole answers on `:generateContent`,
/// SSE on `:streamGenerateContent` (the signature of a streamed text on a last, empty part).
pub fn signed_tool_loop(model: &'static str) -> impl Fn(usize, &RecordedRequest) -> Reply {
    move |_, request| {
        let body = request.body_json();
        let streamed = request.path.ends_with(":streamGenerateContent");
        let contents = body["contents"].as_array().cloned().unwrap_or_default();
        let answers_a_call = contents.last().is_some_and(|turn| {
            turn["parts"]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| p.get("functionResponse").is_some()))
        });
        if !answers_a_call {
            let mut parts = Vec::new();
            if body["generationConfig"]["thinkingConfig"]["includeThoughts"] == json!(true) {
                parts.push(json!({"text": THOUGHT, "thought": true}));
            }
            parts.push(
                json!({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": CALL_SIGNATURE}),
            );
            return answer(model, parts, streamed);
        }
        // The current turn starts after the last user turn holding text.
        let start = contents
            .iter()
            .rposition(|turn| {
                turn["role"] == json!("user")
                    && turn["parts"]
                        .as_array()
                        .is_some_and(|parts| parts.iter().any(|p| p.get("text").is_some()))
            })
            .unwrap_or(0);
        for (index, turn) in contents.iter().enumerate().skip(start) {
            let first_call = turn["parts"]
                .as_array()
                .and_then(|parts| parts.iter().find(|p| p.get("functionCall").is_some()));
            if let Some(call) = first_call
                && call.get("thoughtSignature").is_none()
            {
                let name = call["functionCall"]["name"].as_str().unwrap_or_default();
                return missing_signature(name, index + 1);
            }
        }
        let parts =
            vec![json!({"text": "It is sunny in Paris.", "thoughtSignature": TEXT_SIGNATURE})];
        answer(model, parts, streamed)
    }
}

/// The thought summary of [`signed_tool_loop`]'s first turn.
pub const THOUGHT: &str = "**Checking the weather** The user wants Paris; I will call get_weather.";
/// The signature on [`signed_tool_loop`]'s function call.
pub const CALL_SIGNATURE: &str = "CiQB0e2Kb5qU5Xo2i9pCmY8v3w==";
/// The signature on [`signed_tool_loop`]'s text answer.
pub const TEXT_SIGNATURE: &str = "EoYBCoMBAb4+9vsQ7lDh2J0=";

const LOOP_USAGE: Usage = Usage {
    prompt: 40,
    candidates: 12,
    thoughts: 30,
    cached: 0,
};

/// `parts` as a whole answer, or streamed: one chunk per part, a text answer's signature
/// on a last part of its own with empty text, the last chunk with the finish reason and usage.
fn answer(model: &str, parts: Vec<Value>, streamed: bool) -> Reply {
    if !streamed {
        return Reply::json(
            200,
            &response(model, Value::Array(parts), "STOP", LOOP_USAGE),
        );
    }
    let mut pieces = Vec::new();
    for part in parts {
        match (
            part.get("text"),
            part.get("thoughtSignature"),
            part.get("thought"),
        ) {
            (Some(text), Some(signature), None) => {
                let text = text.as_str().unwrap_or_default();
                let (head, tail) = text.split_at(text.len() / 2);
                pieces.push(json!({"text": head}));
                pieces.push(json!({"text": tail}));
                pieces.push(json!({"text": "", "thoughtSignature": signature}));
            }
            _ => pieces.push(part),
        }
    }
    let last = pieces.len() - 1;
    let events = pieces
        .into_iter()
        .enumerate()
        .map(|(index, part)| {
            let mut chunk = response(model, json!([part]), "STOP", LOOP_USAGE);
            if index != last {
                chunk["candidates"][0]
                    .as_object_mut()
                    .expect("a candidate")
                    .remove("finishReason");
                chunk["usageMetadata"] = json!({"promptTokenCount": 40, "totalTokenCount": 40});
            }
            (std::time::Duration::ZERO, format!("data: {chunk}\r\n\r\n"))
        })
        .collect();
    Reply::chunked(200, "text/event-stream", events)
}
