//! Streams fed as literal SSE transcripts, in the chunk shapes of
//! <https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent>.

use crate::test_server::Authed;
use reqwest::Url;
use serde_json::{Value, json};

use crate::completion::{CompletionRequest, FinishReason, Message};
use crate::error::{ErrorKind, LlmError};
use crate::provider::Provider;
use crate::providers::gemini::GeminiProvider;
use crate::secret::Secret;
use crate::stream::StreamState;

fn gemini() -> GeminiProvider {
    GeminiProvider::new(Url::parse("https://generativelanguage.googleapis.com").unwrap())
}

/// Feeds an SSE transcript event by event as the HTTP reader does: it stops at `done`, and at
/// the end of the body lets the adapter decide whether the stream was complete.
fn feed(transcript: &str) -> Result<StreamState, LlmError> {
    let mut state = StreamState::default();
    for block in transcript.split("\n\n").filter(|b| !b.trim().is_empty()) {
        if state.done {
            break;
        }
        let data: String = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("data:"))
            .map(str::trim_start)
            .collect();
        gemini().stream_event(&mut state, "message", &data)?;
    }
    if !state.done {
        gemini().stream_end(&mut state);
    }
    Ok(state)
}

fn data(chunk: Value) -> String {
    format!("data: {chunk}\n\n")
}

fn text_chunk(parts: Value, finish: Option<&str>, usage: Value) -> String {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    data(json!({"candidates": [candidate], "usageMetadata": usage,
        "modelVersion": "gemini-2.5-flash", "responseId": "mAitaJ3kKpW9xN8P"}))
}

const FINAL_USAGE: &str = r#"{"promptTokenCount": 8, "candidatesTokenCount": 21,
    "thoughtsTokenCount": 40, "totalTokenCount": 69,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]}"#;

#[test]
fn a_stream_ends_as_the_same_record_as_the_whole_answer() {
    let early = json!({"promptTokenCount": 8, "totalTokenCount": 8});
    let final_usage: Value = serde_json::from_str(FINAL_USAGE).unwrap();
    let call = json!({"functionCall": {"name": "get_weather", "args": {"location": "Boston"}}});
    let transcript = [
        text_chunk(
            json!([{"text": "Thinking it over", "thought": true}]),
            None,
            early.clone(),
        ),
        text_chunk(json!([{"text": "Let me check "}]), None, early.clone()),
        text_chunk(json!([{"text": "the weather."}]), None, early),
        text_chunk(json!([call]), Some("STOP"), final_usage.clone()),
    ]
    .concat();
    let streamed = feed(&transcript).unwrap();
    assert!(streamed.done);
    let whole = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Thinking it over", "thought": true},
            {"text": "Let me check the weather."}, call]},
        "finishReason": "STOP", "index": 0}],
        "usageMetadata": final_usage, "modelVersion": "gemini-2.5-flash"});
    let expected = gemini()
        .parse_completion(whole.to_string().as_bytes())
        .unwrap();
    let done = streamed.finish("requested").unwrap();
    assert_eq!(done, expected);
    // Cumulative counts were replaced, not added up.
    assert_eq!(done.usage.input_tokens, Some(8));
    assert_eq!(done.usage.output_tokens, Some(61));
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls[0].id, "call_0");
}

#[test]
fn a_stream_cut_before_its_finish_reason_is_an_upstream_error() {
    let usage = json!({"promptTokenCount": 8});
    let transcript = [
        text_chunk(json!([{"text": "Once upon"}]), None, usage.clone()),
        text_chunk(json!([{"text": " a time"}]), None, usage),
    ]
    .concat();
    let state = feed(&transcript).unwrap();
    assert!(!state.done);
    assert_eq!(state.output, "Once upon a time");
    assert_eq!(state.finish("m").unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn an_error_chunk_mid_stream_is_the_error_of_an_error_body() {
    let usage = json!({"promptTokenCount": 8});
    let overloaded = json!({"error": {"code": 503,
        "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}});
    let transcript = [
        text_chunk(json!([{"text": "Once upon"}]), None, usage),
        data(overloaded),
    ]
    .concat();
    let err = feed(&transcript).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Overloaded);
    assert_eq!(
        err.detail(),
        "(UNAVAILABLE): error in the stream: The model is overloaded. Please try again later."
    );
    let limited = json!({"error": {"code": 429, "message": "Resource has been exhausted",
        "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}});
    let err = feed(&data(limited)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.retry_after, Some(std::time::Duration::from_secs(7)));
    let internal =
        json!({"error": {"message": "An internal error has occurred.", "status": "INTERNAL"}});
    assert_eq!(feed(&data(internal)).unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn a_safety_block_with_no_text_is_the_content_filter_error_of_a_whole_answer() {
    let blocked = json!({"candidates": [{"finishReason": "SAFETY", "index": 0,
        "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true}]}],
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": "gemini-2.5-flash"});
    let streamed = feed(&data(blocked.clone())).unwrap_err();
    let whole = gemini()
        .parse_completion(blocked.to_string().as_bytes())
        .unwrap_err();
    assert_eq!(streamed.kind, ErrorKind::ContentFilter);
    assert_eq!(streamed.message, whole.message);
    let prompt = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}});
    let streamed = feed(&data(prompt.clone())).unwrap_err();
    let whole = gemini()
        .parse_completion(prompt.to_string().as_bytes())
        .unwrap_err();
    assert_eq!(streamed.kind, ErrorKind::ContentFilter);
    assert_eq!(streamed.message, whole.message);
    // Filtered after some text: what arrived stands, as in a whole answer.
    let usage = json!({"promptTokenCount": 8});
    let partial = [
        text_chunk(json!([{"text": "Part of it"}]), None, usage.clone()),
        text_chunk(json!([]), Some("RECITATION"), usage),
    ]
    .concat();
    let done = feed(&partial).unwrap().finish("m").unwrap();
    assert_eq!(done.output, "Part of it");
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
}

#[test]
fn the_stream_request_is_stream_generate_content_with_alt_sse_and_the_key_in_a_header() {
    let key = Secret::new("AIza-secret".into());
    let request = CompletionRequest {
        model: "gemini-flash-latest".into(),
        system: Some("Be brief.".into()),
        messages: vec![Message::user("Hi")],
        tools: Vec::new(),
        tool_choice: None,
        sampling: Default::default(),
        ..Default::default()
    };
    let plain = gemini().authed_completion(&request, Some(&key)).unwrap();
    let streamed = gemini().authed_stream(&request, Some(&key)).unwrap();
    assert_eq!(
        streamed.url.as_str(),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-flash-latest:streamGenerateContent?alt=sse"
    );
    assert_eq!(streamed.headers["x-goog-api-key"], "AIza-secret");
    assert_eq!(streamed.body, plain.body);
    let max = text_chunk(json!([{"text": "x"}]), Some("MAX_TOKENS"), json!({}));
    let done = feed(&max).unwrap().finish("m").unwrap();
    assert_eq!(done.finish_reason, FinishReason::Length);
}
