//! Bodies of the OpenAI Responses API, as documented, and a fake that speaks it with the rule
//! the real one enforces on reasoning items.
//!
//! API DOC: https://platform.openai.com/docs/api-reference/responses/object (response object,
//! `usage.input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`);
//! https://platform.openai.com/docs/api-reference/responses-streaming (typed events);
//! the 400 for a function call replayed without its reasoning item: "Item 'fc_…' of type
//! 'function_call' was provided without its required 'reasoning' item: 'rs_…'."
//! (continuedev/continue#10018).

use std::time::Duration;

use serde_json::{Value, json};

use super::fake::Reply;
use super::http::RecordedRequest;
use super::sse::event;

/// The path of Responses under a base URL ending in `/v1`.
pub const RESPONSES: &str = "/v1/responses";
/// The Codex backend's path of Responses under `/backend-api/codex`.
pub const CODEX_RESPONSES: &str = "/backend-api/codex/responses";

/// A reasoning item with its encrypted content and a summary.
pub fn reasoning(id: &str, summary: &str) -> Value {
    json!({
        "type": "reasoning",
        "id": id,
        "summary": [{"type": "summary_text", "text": summary}],
        "encrypted_content": format!("gAAAAAB-encrypted-{id}")
    })
}

/// A finished assistant message holding `text`.
pub fn message(id: &str, text: &str) -> Value {
    json!({
        "type": "message", "id": id, "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]
    })
}

/// A finished function call.
pub fn function_call(id: &str, call_id: &str, name: &str, arguments: &Value) -> Value {
    json!({
        "type": "function_call", "id": id, "call_id": call_id, "name": name,
        "arguments": arguments.to_string(), "status": "completed"
    })
}

/// A `completed` response object by `model` with `output`.
pub fn response(model: &str, output: Vec<Value>) -> Value {
    json!({
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": 1741476542,
        "status": "completed",
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": "medium", "summary": null},
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 328,
            "input_tokens_details": {"cached_tokens": 128},
            "output_tokens": 148,
            "output_tokens_details": {"reasoning_tokens": 64},
            "total_tokens": 476
        },
        "user": null,
        "metadata": {}
    })
}

/// The SSE events of `response`: created, then each item added, its deltas (text and
/// arguments in two pieces each) and done, then `response.completed`.
pub fn events(response: &Value) -> Vec<String> {
    let mut created = response.clone();
    created["status"] = json!("in_progress");
    created["output"] = json!([]);
    created["usage"] = Value::Null;
    let mut out = Vec::new();
    let mut push = |kind: &str, mut data: Value| {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(out.len());
        out.push(event(kind, &data));
    };
    push("response.created", json!({"response": created}));
    for (index, item) in response["output"].as_array().unwrap().iter().enumerate() {
        let id = item["id"].clone();
        let halves = |text: &str| {
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            let (a, b) = text.split_at(cut);
            [a.to_string(), b.to_string()]
        };
        match item["type"].as_str().unwrap() {
            "message" => {
                let added = json!({"id": id, "type": "message", "status": "in_progress", "role": "assistant", "content": []});
                push(
                    "response.output_item.added",
                    json!({"output_index": index, "item": added}),
                );
                push(
                    "response.content_part.added",
                    json!({"item_id": id, "output_index": index, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
                );
                let text = item["content"][0]["text"].as_str().unwrap();
                for delta in halves(text) {
                    push(
                        "response.output_text.delta",
                        json!({"item_id": id, "output_index": index, "content_index": 0, "delta": delta, "logprobs": []}),
                    );
                }
                push(
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": index, "content_index": 0, "text": text, "logprobs": []}),
                );
            }
            "function_call" => {
                let mut added = item.clone();
                added["arguments"] = json!("");
                added["status"] = json!("in_progress");
                push(
                    "response.output_item.added",
                    json!({"output_index": index, "item": added}),
                );
                let arguments = item["arguments"].as_str().unwrap();
                for delta in halves(arguments) {
                    push(
                        "response.function_call_arguments.delta",
                        json!({"item_id": id, "output_index": index, "delta": delta}),
                    );
                }
                push(
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": index, "name": item["name"], "arguments": arguments}),
                );
            }
            _ => {
                push(
                    "response.output_item.added",
                    json!({"output_index": index, "item": {"id": id, "type": "reasoning", "summary": []}}),
                );
                let summary = item["summary"][0]["text"].clone();
                push(
                    "response.reasoning_summary_text.delta",
                    json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": summary}),
                );
            }
        }
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
    }
    push("response.completed", json!({"response": response}));
    out
}

/// `response` as a reply: a stream of its events when the request asked for one, else JSON.
pub fn reply_to(request: &RecordedRequest, response: &Value) -> Reply {
    if request.body_json()["stream"] == json!(true) {
        let pieces = events(response)
            .into_iter()
            .map(|e| (Duration::from_millis(2), e))
            .collect();
        Reply::chunked(200, "text/event-stream", pieces)
    } else {
        Reply::json(200, response)
    }
}

/// The 400 of an input whose `function_call` `fc` comes without its reasoning item `rs`.
pub fn missing_reasoning(fc: &str, rs: &str) -> Reply {
    let message = format!(
        "Item '{fc}' of type 'function_call' was provided without its required 'reasoning' item: '{rs}'."
    );
    Reply::json(
        400,
        &json!({"error": {"message": message, "type": "invalid_request_error", "param": "input", "code": null}}),
    )
}

/// The model of the weather tool loop.
pub const LOOP_MODEL: &str = "gpt-6-astra-2026-09-03";

/// The fake's side of a two-turn weather tool loop: the first turn reasons and calls
/// `get_weather`; the follow-up must bring back the reasoning item, with its encrypted
/// content, before the call (else the documented 400), and gets the answer.
pub fn weather_loop(request: &RecordedRequest) -> Reply {
    let input = request.body_json()["input"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let first_reasoning = reasoning("rs_loop_1", "**Checking the weather**");
    let call = function_call(
        "fc_loop_1",
        "call_loop_1",
        "get_weather",
        &json!({"city": "Paris"}),
    );
    let answered = input
        .iter()
        .any(|item| item["type"] == "function_call_output");
    if !answered {
        return reply_to(request, &response(LOOP_MODEL, vec![first_reasoning, call]));
    }
    let call_at = input
        .iter()
        .position(|item| item["call_id"] == "call_loop_1" && item["type"] == "function_call");
    let reasoning_at = input.iter().position(|item| *item == first_reasoning);
    match (call_at, reasoning_at) {
        (Some(call_at), Some(reasoning_at)) if reasoning_at + 1 == call_at => {}
        _ => return missing_reasoning("fc_loop_1", "rs_loop_1"),
    }
    let output = vec![
        reasoning("rs_loop_2", "**Reporting the temperature**"),
        message("msg_loop_2", "It is 14 °C in Paris."),
    ];
    reply_to(request, &response(LOOP_MODEL, output))
}

/// Unpadded base64url, for the JWTs of test logins.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// An unsigned JWT whose claims are `claims`.
pub fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        base64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        base64url(claims.to_string().as_bytes())
    )
}
