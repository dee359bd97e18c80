//! Streams fed as literal SSE transcripts, in the chunk shapes of
//! <https://platform.openai.com/docs/api-reference/chat-streaming/streaming>.

use reqwest::Url;
use serde_json::json;

use crate::completion::{FinishReason, Usage};
use crate::error::ErrorKind;
use crate::provider::Provider;
use crate::providers::openai::OpenAi;
use crate::stream::StreamState;

fn openai() -> OpenAi {
    OpenAi::new(Url::parse("https://api.openai.com/v1").unwrap())
}

/// Feeds an SSE transcript (events separated by blank lines, `event:` optional) event by event,
/// stopping at `done` as the HTTP reader does.
fn feed(provider: &OpenAi, transcript: &str) -> Result<StreamState, crate::error::LlmError> {
    let mut state = StreamState::default();
    for block in transcript.split("\n\n").filter(|b| !b.trim().is_empty()) {
        if state.done {
            break;
        }
        let mut event = "";
        let mut data = String::new();
        for line in block.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim();
            } else if let Some(payload) = line.strip_prefix("data:") {
                data.push_str(payload.trim_start());
            }
        }
        provider.stream_event(&mut state, event, &data)?;
    }
    Ok(state)
}

/// One `chat.completion.chunk` as a `data:` line.
fn chunk(choices: serde_json::Value) -> String {
    let body = json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_44709d6fcb",
        "choices": choices, "usage": null,
    });
    format!("data: {body}\n\n")
}

fn delta(delta: serde_json::Value, finish: Option<&str>) -> String {
    chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]))
}

fn usage_chunk() -> String {
    let body = json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190,
        "model": "gpt-4o-mini-2024-07-18", "choices": [],
        "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
            "prompt_tokens_details": {"cached_tokens": 64},
            "completion_tokens_details": {"reasoning_tokens": 0}},
    });
    format!("data: {body}\n\n")
}

const DONE: &str = "data: [DONE]\n\n";

#[test]
fn a_stream_ends_as_the_same_record_as_the_whole_answer() {
    let transcript = [
        delta(json!({"role": "assistant", "content": ""}), None),
        delta(json!({"content": "Checking "}), None),
        delta(json!({"content": "the weather."}), None),
        delta(
            json!({"tool_calls": [{"index": 0, "id": "call_abc", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"loc"}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "ation\": \"Boston, MA\"}"}}]}),
            None,
        ),
        delta(json!({}), Some("tool_calls")),
        usage_chunk(),
        DONE.to_string(),
    ]
    .concat();
    let streamed = feed(&openai(), &transcript).unwrap();
    assert!(streamed.done);
    let whole = json!({
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1694268190,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Checking the weather.",
            "tool_calls": [{"id": "call_abc", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"location\": \"Boston, MA\"}"}}]},
            "logprobs": null, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
            "prompt_tokens_details": {"cached_tokens": 64},
            "completion_tokens_details": {"reasoning_tokens": 0}},
    });
    let expected = openai()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    let done = streamed.finish("requested").unwrap();
    assert_eq!(done, expected);
    assert_eq!(done.usage.cache_read_tokens, Some(64));
    assert_eq!(done.tool_calls[0].arguments["location"], "Boston, MA");
}

#[test]
fn parallel_tool_calls_are_kept_apart_by_index() {
    let transcript = [
        delta(
            json!({"tool_calls": [{"index": 0, "id": "call_a", "function": {"name": "weather", "arguments": ""}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 1, "id": "call_b", "function": {"name": "time", "arguments": ""}}]}),
            None,
        ),
        // Fragments of both calls interleave; only the index says whose they are.
        delta(
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"zone\": \"UTC\"}"}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": \"Paris\"}"}}]}),
            None,
        ),
        delta(json!({}), Some("tool_calls")),
        DONE.to_string(),
    ]
    .concat();
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    let calls: Vec<_> = done
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(calls, [("call_a", "weather"), ("call_b", "time")]);
    assert_eq!(done.tool_calls[0].arguments["city"], "Paris");
    assert_eq!(done.tool_calls[1].arguments["zone"], "UTC");
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
}

#[test]
fn ollama_parallel_calls_at_index_zero_are_told_apart_by_id() {
    let call = |id: &str, city: &str| {
        delta(
            json!({"tool_calls": [{"index": 0, "id": id, "type": "function",
                "function": {"name": "weather", "arguments": format!("{{\"city\":\"{city}\"}}")}}]}),
            None,
        )
    };
    let transcript = [
        call("call_1", "Paris"),
        call("call_2", "Rome"),
        delta(json!({}), Some("tool_calls")),
        DONE.to_string(),
    ]
    .concat();
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    assert_eq!(done.tool_calls.len(), 2);
    assert_eq!(done.tool_calls[0].id, "call_1");
    assert_eq!(done.tool_calls[0].arguments["city"], "Paris");
    assert_eq!(done.tool_calls[1].id, "call_2");
    assert_eq!(done.tool_calls[1].arguments["city"], "Rome");
}

#[test]
fn argument_fragments_split_anywhere_assemble_and_a_missing_id_is_filled() {
    let pieces = [
        "{\"q",
        "uery\": \"rust ",
        "streams\", \"lim",
        "it\": 3",
        "}",
    ];
    let mut transcript = delta(
        json!({"tool_calls": [{"index": 0, "function": {"name": "search", "arguments": ""}}]}),
        None,
    );
    for piece in pieces {
        transcript += &delta(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
            None,
        );
    }
    transcript += &delta(json!({}), Some("tool_calls"));
    transcript += DONE;
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    let call = &done.tool_calls[0];
    assert_eq!(call.arguments["query"], "rust streams");
    assert_eq!(call.arguments["limit"], 3);
    // As in a whole answer from a server that sends no id.
    assert_eq!(call.id, "call_0");
}

#[test]
fn an_uppercase_finish_reason_in_the_chunk_with_the_last_text() {
    let transcript = [
        delta(json!({"content": "Hello"}), None),
        delta(json!({"content": ", world"}), Some("STOP")),
        DONE.to_string(),
    ]
    .concat();
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    assert_eq!(done.output, "Hello, world");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.model, "gpt-4o-mini-2024-07-18");
    let length = [delta(json!({"content": "x"}), Some("Length")), DONE.into()].concat();
    let done = feed(&openai(), &length).unwrap().finish("m").unwrap();
    assert_eq!(done.finish_reason, FinishReason::Length);
}

#[test]
fn a_refusal_is_the_output_and_content_filter() {
    let transcript = [
        delta(
            json!({"role": "assistant", "content": null, "refusal": ""}),
            None,
        ),
        delta(json!({"refusal": "I'm sorry, "}), None),
        delta(json!({"refusal": "I cannot help with that."}), None),
        delta(json!({}), Some("stop")),
        DONE.to_string(),
    ]
    .concat();
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    assert_eq!(done.output, "I'm sorry, I cannot help with that.");
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
}

#[test]
fn an_error_chunk_mid_stream_is_the_error_of_an_error_body() {
    let server = format!(
        "{}data: {}\n\n",
        delta(json!({"content": "Half an"}), None),
        json!({"error": {"message": "The server had an error while processing your request.",
            "type": "server_error", "param": null, "code": null}})
    );
    let err = feed(&openai(), &server).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(
        err.detail(),
        "(server_error): error in the stream: The server had an error while processing your request."
    );
    assert_eq!(err.status, None);
    let quota = json!({"error": {"message": "You exceeded your current quota",
        "type": "insufficient_quota", "code": "insufficient_quota"}});
    let err = feed(&openai(), &format!("data: {quota}\n\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::QuotaExceeded);
    assert!(!err.retryable);
    let rate = json!({"error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}});
    let err = feed(&openai(), &format!("event: error\ndata: {rate}\n\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    // llama.cpp: a numeric code is the status; Ollama: the error is a bare string.
    let numeric =
        json!({"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}});
    let err = feed(&openai(), &format!("data: {numeric}\n\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Overloaded);
    let err = feed(&openai(), "data: {\"error\": \"unexpected EOF\"}\n\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(err.detail(), "error in the stream: unexpected EOF");
}

#[test]
fn a_stream_cut_before_its_finish_is_an_upstream_error() {
    let transcript = [
        delta(json!({"role": "assistant", "content": ""}), None),
        delta(json!({"content": "The answer is"}), None),
    ]
    .concat();
    let state = feed(&openai(), &transcript).unwrap();
    assert!(!state.done);
    assert_eq!(state.output, "The answer is");
    assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn without_include_usage_the_usage_stays_unknown() {
    let transcript = [
        delta(json!({"content": "Hi"}), None),
        delta(json!({}), Some("stop")),
        DONE.to_string(),
    ]
    .concat();
    let done = feed(&openai(), &transcript).unwrap().finish("m").unwrap();
    assert_eq!(done.usage, Usage::default());
    assert_eq!(done.usage.input_tokens, None);
}

#[test]
fn a_finish_reason_without_done_ends_the_stream_once_nothing_is_due() {
    // Usage asked for: the finish chunk alone is not the end, the usage chunk after it is.
    let finish = [delta(json!({"content": "Hi"}), Some("stop"))].concat();
    let state = feed(&openai(), &finish).unwrap();
    assert!(!state.done, "the usage chunk is still due");
    let state = feed(&openai(), &(finish.clone() + &usage_chunk())).unwrap();
    assert!(state.done);
    assert_eq!(state.finish("m").unwrap().usage.output_tokens, Some(17));
    // Usage not asked for (Mistral): the finish chunk, usage and all, is the end.
    let mistral = openai().with_stream_usage(false);
    let last = chunk(json!([{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]))
        .replace(
            "\"usage\":null",
            "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}",
        );
    let state = feed(&mistral, &last).unwrap();
    assert!(state.done);
    assert_eq!(state.finish("m").unwrap().usage.input_tokens, Some(5));
    // Groq: usage on the finish chunk under `x_groq`.
    let groq = chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])).replace(
        "\"usage\":null",
        "\"x_groq\":{\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":45,\"completion_tokens\":2}}",
    );
    let state = feed(&openai(), &groq).unwrap();
    assert!(state.done);
    assert_eq!(state.usage.input_tokens, Some(45));
}

#[test]
fn azure_prompt_filter_chunk_names_no_model_and_ends_nothing() {
    let first = "data: {\"id\":\"\",\"object\":\"\",\"created\":0,\"model\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}],\"choices\":[],\"usage\":null}\n\n";
    let state = feed(&openai(), first).unwrap();
    assert!(!state.done);
    assert_eq!(state.model, None);
    let text = format!("data: {}\n\n", "not json");
    assert_eq!(
        feed(&openai(), &text).unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}

/// vLLM's usage-only chunk says `"choices": null` instead of `[]`; the call already streamed
/// its text and must end as a record with the usage, not `[invalid_response]`.
#[test]
fn a_usage_chunk_with_null_choices_ends_the_stream_with_its_usage() {
    let usage = json!({
        "id": "chatcmpl-9f1", "object": "chat.completion.chunk", "created": 1733011200,
        "model": "Qwen/Qwen3-8B", "choices": null,
        "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
    });
    let transcript = [
        delta(json!({"role": "assistant", "content": "Hel"}), None),
        delta(json!({"content": "lo"}), None),
        delta(json!({}), Some("stop")),
        format!("data: {usage}\n\n"),
        DONE.to_string(),
    ]
    .concat();
    let state = feed(&openai(), &transcript).unwrap();
    let done = state.finish("Qwen/Qwen3-8B").unwrap();
    assert_eq!(done.output, "Hello");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, Some(12));
    assert_eq!(done.usage.output_tokens, Some(4));
}

#[test]
fn a_tool_call_index_beyond_any_real_answer_is_refused_not_allocated() {
    // One 250-byte event must not size a list of ten billion calls (720 GB), nor overflow
    // `index + 1` at u64::MAX; a real answer has a handful of calls.
    for index in [json!(10_000_000_000u64), json!(u64::MAX), json!(4097)] {
        let call = json!([{"index": 0, "delta": {"tool_calls": [{"index": index,
            "id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]}, "finish_reason": null}]);
        let err = feed(&openai(), &chunk(call)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse, "{index}");
        assert!(
            err.message.contains("beyond any real answer"),
            "{}",
            err.message
        );
    }
    // Without an id (a later fragment) too.
    let call = json!([{"index": 0, "delta": {"tool_calls": [{"index": u64::MAX,
        "function": {"arguments": "{}"}}]}, "finish_reason": null}]);
    assert!(feed(&openai(), &chunk(call)).is_err());
    // The highest index a real answer could use still works.
    let call = json!([{"index": 0, "delta": {"tool_calls": [{"index": 4096, "id": "c",
        "function": {"name": "t", "arguments": "{}"}}]}, "finish_reason": "tool_calls"}]);
    let state = feed(&openai(), &chunk(call)).unwrap();
    assert_eq!(state.tool_calls.len(), 4097);
}
