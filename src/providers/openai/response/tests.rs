//! Answers and listings read from the API reference's literal bodies.

use super::*;
use serde_json::json;

/// The example answer of the API reference.
const TEXT: &str = r#"{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4.1-2025-04-14",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": []},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {
    "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default"
}"#;

#[test]
fn reads_text_model_and_usage() {
    let done = parse_completion(TEXT.as_bytes()).unwrap();
    assert_eq!(done.output, "Hello! How can I assist you today?");
    assert_eq!(done.model, "gpt-4.1-2025-04-14");
    assert_eq!(done.finish_reason, FinishReason::Stop);
    assert!(done.tool_calls.is_empty());
    assert_eq!(
        done.usage,
        Usage {
            input_tokens: Some(19),
            output_tokens: Some(10),
            cache_read_tokens: Some(0),
            cache_write_tokens: None,
            reasoning_tokens: Some(0),
        }
    );
}

#[test]
fn cached_and_reasoning_tokens_are_parts_of_the_totals() {
    let body = json!({
        "model": "o3-2025-04-16",
        "choices": [{"message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                  "prompt_tokens_details": {"cached_tokens": 1920},
                  "completion_tokens_details": {"reasoning_tokens": 256}}
    });
    let done = parse_completion(body.to_string().as_bytes()).unwrap();
    assert_eq!(done.usage.input_tokens, Some(2006));
    assert_eq!(done.usage.output_tokens, Some(300));
    assert_eq!(done.usage.cache_read_tokens, Some(1920));
    assert_eq!(done.usage.reasoning_tokens, Some(256));
    assert_eq!(done.usage.total(), Some(2306));
}

#[test]
fn missing_usage_and_details_are_unknown_not_zero() {
    let body = json!({"model": "llama", "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]});
    let done = parse_completion(body.to_string().as_bytes()).unwrap();
    assert_eq!(done.usage, Usage::default());
    assert_eq!(done.usage.total(), None);
    let partial = json!({"model": "llama", "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 5, "completion_tokens": 1}});
    let done = parse_completion(partial.to_string().as_bytes()).unwrap();
    assert_eq!(done.usage.input_tokens, Some(5));
    assert_eq!(done.usage.cache_read_tokens, None);
    assert_eq!(done.usage.reasoning_tokens, None);
}

#[test]
fn reads_tool_calls_with_arguments_as_objects() {
    let body = json!({
        "model": "gpt-4.1",
        "choices": [{
            "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc123", "type": "function",
                 "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}},
                {"id": "call_def456", "type": "function",
                 "function": {"name": "now", "arguments": ""}}
            ]},
            "finish_reason": "tool_calls"
        }]
    });
    let done = parse_completion(body.to_string().as_bytes()).unwrap();
    assert_eq!(done.output, "");
    assert_eq!(done.finish_reason, FinishReason::ToolCalls);
    assert_eq!(done.tool_calls.len(), 2);
    assert_eq!(done.tool_calls[0].id, "call_abc123");
    assert_eq!(done.tool_calls[0].name, "get_current_weather");
    assert_eq!(
        done.tool_calls[0].arguments["location"],
        json!("Boston, MA")
    );
    assert!(done.tool_calls[1].arguments.is_empty());
}

#[test]
fn invalid_tool_arguments_are_an_invalid_response() {
    for arguments in [json!("{\"location\": "), json!("[1, 2]")] {
        let body = json!({"model": "m", "choices": [{"message": {"tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": arguments}}
        ]}, "finish_reason": "tool_calls"}]});
        let err = parse_completion(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("\"lookup\""), "{}", err.message);
        assert!(!err.retryable);
    }
}

#[test]
fn a_refusal_is_content_filter_with_its_text() {
    let body = json!({"model": "gpt-4o-2024-08-06", "choices": [{
        "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I cannot assist with that request."},
        "finish_reason": "stop"
    }]});
    let done = parse_completion(body.to_string().as_bytes()).unwrap();
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
    assert_eq!(done.output, "I'm sorry, I cannot assist with that request.");
}

#[test]
fn every_finish_reason_maps_whatever_its_case() {
    let cases = [
        ("stop", FinishReason::Stop),
        ("length", FinishReason::Length),
        ("tool_calls", FinishReason::ToolCalls),
        ("function_call", FinishReason::ToolCalls),
        ("content_filter", FinishReason::ContentFilter),
        ("STOP", FinishReason::Stop),
        ("Length", FinishReason::Length),
        ("TOOL_CALLS", FinishReason::ToolCalls),
        ("eos", FinishReason::Other),
    ];
    for (wire, expected) in cases {
        let body = json!({"model": "m", "choices": [{"message": {"content": "x"}, "finish_reason": wire}]});
        let done = parse_completion(body.to_string().as_bytes()).unwrap();
        assert_eq!(done.finish_reason, expected, "{wire}");
    }
    assert_eq!(finish_reason(None), FinishReason::Other);
}

#[test]
fn empty_choices_or_other_json_is_an_invalid_response() {
    let err = parse_completion(br#"{"model": "m", "choices": []}"#).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    assert!(err.message.contains("no choices"));
    let err = parse_completion(b"<html>gateway</html>").unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    // The legacy Completions shape: `text` instead of `message`.
    let legacy =
        br#"{"model": "m", "choices": [{"text": "hi", "index": 0, "finish_reason": "stop"}]}"#;
    let err = parse_completion(legacy).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    assert!(err.message.contains("no message"), "{}", err.message);
    let withheld =
        br#"{"model": "m", "choices": [{"index": 0, "finish_reason": "content_filter"}]}"#;
    let done = parse_completion(withheld).unwrap();
    assert_eq!(done.finish_reason, FinishReason::ContentFilter);
    assert_eq!(done.output, "");
}

#[test]
fn content_parts_are_concatenated() {
    let body = json!({"model": "m", "choices": [{"message": {"content": [
        {"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}
    ]}, "finish_reason": "stop"}]});
    assert_eq!(
        parse_completion(body.to_string().as_bytes())
            .unwrap()
            .output,
        "Hello, world"
    );
}

#[test]
fn reasoning_text_is_kept_apart_from_the_output() {
    // Mistral's reasoning answer: a thinking part, then the text
    // (https://docs.mistral.ai/capabilities/reasoning/adjustable).
    let mistral = json!({"model": "mistral-medium-3-5", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "John has 3 sisters. "},
                                              {"type": "text", "text": "The third is 8."}]},
            {"type": "text", "text": "John is 16 years old."}
        ]}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 80, "completion_tokens": 300, "total_tokens": 380}});
    let done = parse_completion(mistral.to_string().as_bytes()).unwrap();
    assert_eq!(done.output, "John is 16 years old.");
    assert_eq!(
        done.reasoning.as_deref(),
        Some("John has 3 sisters. The third is 8.")
    );
    // DeepSeek's reasoner (https://api-docs.deepseek.com/guides/reasoning_model).
    let deepseek = json!({"model": "deepseek-reasoner", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": "9.11 < 9.8",
                    "reasoning_content": "Compare the tenths: 1 < 8."},
        "finish_reason": "stop"}]});
    let done = parse_completion(deepseek.to_string().as_bytes()).unwrap();
    assert_eq!(done.output, "9.11 < 9.8");
    assert_eq!(
        done.reasoning.as_deref(),
        Some("Compare the tenths: 1 < 8.")
    );
    // A plain answer has none.
    assert_eq!(parse_completion(TEXT.as_bytes()).unwrap().reasoning, None);
}

#[test]
fn models_listing_reads_ids() {
    let body = r#"{"object": "list", "data": [
        {"id": "model-id-0", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
        {"id": "model-id-1", "object": "model", "created": 1686935002, "owned_by": "openai"}
    ]}"#;
    assert_eq!(
        parse_models(body.as_bytes()).unwrap(),
        ["model-id-0", "model-id-1"]
    );
    assert_eq!(
        parse_models(b"{}").unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}
