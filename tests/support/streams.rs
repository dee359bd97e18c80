//! Streamed answers in Ollama's, Gemini's and Mistral's formats, each beside the whole
//! (non-streamed) body of the same [`Answer`], so a test can check both paths give one record
//! (the Anthropic and OpenAI ones are in [`super::sse`]).
//!
//! API DOC: https://docs.ollama.com/api/chat and
//! https://github.com/ollama/ollama/blob/main/docs/api.md (NDJSON lines with `done: false`,
//! then one `done: true` line with `done_reason` and the counts; tool calls arrive whole);
//! https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent (with
//! `alt=sse` every `data:` is a `GenerateContentResponse`; the chunk with `finishReason` ends
//! the answer, no sentinel follows; Google's front ends end lines with CRLF);
//! https://docs.mistral.ai/api/#tag/chat (OpenAI's `chat.completion.chunk` without
//! `stream_options`: the usage rides on the `finish_reason` chunk, then `data: [DONE]`).

use serde_json::{Value, json};

use super::sse::{Answer, data};
use super::{gemini_api, mistral_api, ollama_api};

/// One Ollama NDJSON line that is not the last.
fn ollama_line(model: &str, message: Value) -> String {
    let line = json!({"model": model, "created_at": "2024-07-22T20:33:28.123648Z",
                      "message": message, "done": false});
    format!("{line}\n")
}

/// Ollama's `tool_calls` for `answer`'s call: arguments an object, no call id.
fn ollama_calls(answer: &Answer) -> Option<Value> {
    let tool = answer.tool.as_ref()?;
    Some(json!([{"function": {"name": tool.name, "arguments": tool.arguments()}}]))
}

/// The NDJSON lines of `answer`: one per piece, the tool call whole on its own line, then the
/// `done: true` line with an empty message, the counts and the durations.
pub fn ollama_lines(answer: &Answer) -> Vec<String> {
    let model = answer.model;
    let mut lines: Vec<String> = answer
        .pieces
        .iter()
        .map(|piece| ollama_line(model, json!({"role": "assistant", "content": piece})))
        .collect();
    if let Some(calls) = ollama_calls(answer) {
        let message = json!({"role": "assistant", "content": "", "tool_calls": calls});
        lines.push(ollama_line(model, message));
    }
    let empty = json!({"role": "assistant", "content": ""});
    let last = ollama_api::chat(
        model,
        empty,
        answer.stop,
        Some(answer.input),
        Some(answer.output),
    );
    lines.push(format!("{last}\n"));
    lines
}

/// The whole `/api/chat` answer of `answer`.
pub fn ollama_whole(answer: &Answer) -> Value {
    let mut message = json!({"role": "assistant", "content": answer.text()});
    if let Some(calls) = ollama_calls(answer) {
        message["tool_calls"] = calls;
    }
    ollama_api::chat(
        answer.model,
        message,
        answer.stop,
        Some(answer.input),
        Some(answer.output),
    )
}

fn gemini_usage(answer: &Answer) -> gemini_api::Usage {
    gemini_api::Usage {
        prompt: answer.input,
        candidates: answer.output,
        thoughts: 0,
        cached: answer.cache_read,
    }
}

/// Gemini's `functionCall` part for `answer`'s call, without an id (as Gemini 2.x sends it).
fn gemini_call(answer: &Answer) -> Option<Value> {
    let tool = answer.tool.as_ref()?;
    Some(json!({"functionCall": {"name": tool.name, "args": tool.arguments()}}))
}

/// The SSE events of `answer`, CRLF-terminated: one chunk per piece with the prompt count so
/// far; the last chunk (the last piece, or the function call after the text) carries the
/// `finishReason` and the full usage. Nothing follows it.
pub fn gemini_events(answer: &Answer) -> Vec<String> {
    let mut parts: Vec<Value> = answer.pieces.iter().map(|p| json!({"text": p})).collect();
    parts.extend(gemini_call(answer));
    let last = parts.len() - 1;
    let mut events = Vec::new();
    for (index, part) in parts.into_iter().enumerate() {
        let usage = gemini_usage(answer);
        let mut chunk = gemini_api::response(answer.model, json!([part]), answer.stop, usage);
        if index != last {
            let candidate = chunk["candidates"][0].as_object_mut().expect("a candidate");
            candidate.remove("finishReason");
            chunk["usageMetadata"] =
                json!({"promptTokenCount": answer.input, "totalTokenCount": answer.input});
        }
        events.push(format!("data: {chunk}\r\n\r\n"));
    }
    events
}

/// The whole `generateContent` answer of `answer`.
pub fn gemini_whole(answer: &Answer) -> Value {
    let mut parts = Vec::new();
    if !answer.pieces.is_empty() {
        parts.push(json!({"text": answer.text()}));
    }
    parts.extend(gemini_call(answer));
    gemini_api::response(
        answer.model,
        Value::Array(parts),
        answer.stop,
        gemini_usage(answer),
    )
}

/// Mistral's `tool_calls` for `answer`'s call: whole, arguments a JSON string, Mistral's id.
fn mistral_calls(answer: &Answer) -> Option<Value> {
    let tool = answer.tool.as_ref()?;
    Some(
        json!([{"id": tool.id, "index": 0, "type": "function", "function": {
        "name": tool.name, "arguments": tool.arguments().to_string()}}]),
    )
}

/// One `chat.completion.chunk` as Mistral sends it.
pub fn mistral_chunk(model: &str, delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion.chunk",
           "created": 1702256327, "model": model,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": null}]})
}

/// The SSE events of `answer`: a role chunk, one chunk per piece, the `finish_reason` chunk
/// (holding the tool call, if any, and the usage), then `[DONE]`.
pub fn mistral_events(answer: &Answer) -> Vec<String> {
    let model = answer.model;
    let role = json!({"role": "assistant", "content": ""});
    let mut events = vec![data(&mistral_chunk(model, role, None))];
    for piece in &answer.pieces {
        events.push(data(&mistral_chunk(model, json!({"content": piece}), None)));
    }
    let delta = match mistral_calls(answer) {
        Some(calls) => json!({"content": "", "tool_calls": calls}),
        None => json!({"content": ""}),
    };
    let mut last = mistral_chunk(model, delta, Some(answer.stop));
    last["usage"] = json!({"prompt_tokens": answer.input, "completion_tokens": answer.output,
                           "total_tokens": answer.input + answer.output});
    events.push(data(&last));
    events.push("data: [DONE]\n\n".to_string());
    events
}

/// The whole `chat.completion` of `answer`.
pub fn mistral_whole(answer: &Answer) -> Value {
    let mut message = json!({"role": "assistant", "content": answer.text(),
                             "tool_calls": null, "prefix": false});
    if let Some(calls) = mistral_calls(answer) {
        message["tool_calls"] = calls;
    }
    mistral_api::completion(
        answer.model,
        message,
        answer.stop,
        (answer.input, answer.output),
    )
}
