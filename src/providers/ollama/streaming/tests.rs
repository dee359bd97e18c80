//! Streams fed as literal NDJSON transcripts, in the line shapes of
//! <https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming> and the
//! tool-calling guide <https://docs.ollama.com/capabilities/tool-calling>.

use crate::test_server::Authed;
use reqwest::Url;
use serde_json::json;

use crate::completion::FinishReason;
use crate::error::{ErrorKind, LlmError};
use crate::provider::Provider;
use crate::providers::ollama::OllamaProvider;
use crate::stream::StreamState;

fn ollama() -> OllamaProvider {
    OllamaProvider::new(Url::parse("http://127.0.0.1:11434").unwrap())
}

/// Feeds a transcript line by line, stopping at `done` as the HTTP reader does.
fn feed(transcript: &str) -> Result<StreamState, LlmError> {
    let mut state = StreamState::default();
    for line in transcript.lines().filter(|l| !l.trim().is_empty()) {
        if state.done {
            break;
        }
        ollama().stream_event(&mut state, "", line)?;
    }
    Ok(state)
}

fn line(content: &str) -> String {
    json!({"model": "llama3.2", "created_at": "2023-08-04T08:52:19.385406455-07:00",
        "message": {"role": "assistant", "content": content, "images": null}, "done": false})
    .to_string()
        + "\n"
}

fn last(done_reason: &str) -> String {
    json!({"model": "llama3.2", "created_at": "2023-08-04T19:22:45.499127Z",
        "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": done_reason,
        "total_duration": 4883583458u64, "load_duration": 1334875, "prompt_eval_count": 26,
        "prompt_eval_duration": 342546000, "eval_count": 282, "eval_duration": 4535599000u64})
    .to_string()
        + "\n"
}

#[test]
fn a_stream_ends_as_the_same_record_as_the_whole_answer() {
    let transcript = [line("The"), line(" sky is"), line(" blue."), last("stop")].concat();
    let streamed = feed(&transcript).unwrap();
    assert!(streamed.done);
    let whole = json!({"model": "llama3.2", "created_at": "2023-12-12T14:13:43.416799Z",
        "message": {"role": "assistant", "content": "The sky is blue."}, "done": true,
        "done_reason": "stop", "total_duration": 5191566416u64, "prompt_eval_count": 26,
        "eval_count": 282});
    let expected = ollama()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    let done = streamed.finish("requested").unwrap();
    assert_eq!(done, expected);
    assert_eq!(done.usage.input_tokens, Some(26));
    assert_eq!(done.usage.output_tokens, Some(282));
}

#[test]
fn whole_tool_calls_and_thinking_stream_as_the_whole_answer() {
    let thinking = json!({"model": "qwen3", "created_at": "2025-05-28T00:00:00Z",
        "message": {"role": "assistant", "content": "", "thinking": "The user wants"}, "done": false});
    let calls = json!({"model": "qwen3", "created_at": "2025-05-28T00:00:01Z",
        "message": {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_temperature", "arguments": {"city": "New York"}}},
            {"function": {"name": "get_conditions", "arguments": {"city": "New York"}}}]},
        "done": false});
    let end = json!({"model": "qwen3", "created_at": "2025-05-28T00:00:02Z",
        "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
        "prompt_eval_count": 180, "eval_count": 41});
    let transcript = format!("{thinking}\n{calls}\n{end}\n");
    let done = feed(&transcript).unwrap().finish("requested").unwrap();
    let whole = json!({"model": "qwen3", "message": {"role": "assistant", "content": "",
        "thinking": "The user wants", "tool_calls": calls["message"]["tool_calls"]},
        "done": true, "done_reason": "stop", "prompt_eval_count": 180, "eval_count": 41});
    let expected = ollama()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    assert_eq!(done, expected);
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls[1].id, "call_1");
    assert_eq!(done.tool_calls[1].arguments["city"], "New York");
    // The thinking is the reasoning, and goes back with the turn that called the tools.
    assert_eq!(done.reasoning.as_deref(), Some("The user wants"));
    let state = done.provider_state.unwrap();
    assert_eq!(state.model, "qwen3");
    assert_eq!(state.parts, vec![json!({"thinking": "The user wants"})]);
}

#[test]
fn a_line_of_another_api_is_an_invalid_response() {
    // An OpenAI chat.completion.chunk written as a line: no `done`, no `message`.
    let chunk = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4.1",
        "choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": null}]});
    let err = feed(&format!("{chunk}\n")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
}

#[test]
fn a_stream_cut_before_its_done_line_is_an_upstream_error() {
    let state = feed(&[line("The"), line(" sky")].concat()).unwrap();
    assert!(!state.done);
    assert_eq!(state.output, "The sky");
    assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn an_error_line_mid_stream_is_the_error_of_an_error_body() {
    let transcript = [
        line("The"),
        "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n".into(),
        last("stop"),
    ]
    .concat();
    let err = feed(&transcript).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(
        err.message,
        "error in the stream: an error was encountered while running the model: unexpected EOF"
    );
    let garbled = feed(&[line("The"), "{\"message\": \n".into()].concat()).unwrap_err();
    assert_eq!(garbled.kind, ErrorKind::InvalidResponse);
}

#[test]
fn done_reasons_and_missing_counts_map_as_in_a_whole_answer() {
    let done = feed(&[line("x"), last("length")].concat())
        .unwrap()
        .finish("m")
        .unwrap();
    assert_eq!(done.finish_reason, FinishReason::Length);
    // Older builds: no done_reason; a cached prompt: no prompt_eval_count.
    let bare = "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"eval_count\":3}\n";
    let done = feed(&[line("Hi"), bare.into()].concat())
        .unwrap()
        .finish("m")
        .unwrap();
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert_eq!(done.usage.input_tokens, None);
    assert_eq!(done.usage.output_tokens, Some(3));
    let unload = feed(&last("unload")).unwrap().finish("m").unwrap();
    assert_eq!(unload.finish_reason, FinishReason::Other);
}

#[test]
fn the_stream_request_is_the_chat_request_with_stream_true() {
    let request = crate::completion::CompletionRequest {
        model: "llama3.2".into(),
        system: None,
        messages: vec![crate::completion::Message::user("Hi")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Default::default(),
        ..Default::default()
    };
    let plain = ollama().authed_completion(&request, None).unwrap();
    let streamed = ollama().authed_stream(&request, None).unwrap();
    assert_eq!(streamed.url, plain.url);
    let mut body = plain.body.unwrap();
    body["stream"] = json!(true);
    assert_eq!(streamed.body.unwrap(), body);
}
