//! Stream events of the Responses streaming reference
//! (<https://platform.openai.com/docs/api-reference/responses-streaming>) read into the same
//! completion as the whole answer.

use serde_json::{Value, json};

use super::super::tests::{MODEL, call_answer, codex, reasoning_answer};
use crate::error::ErrorKind;
use crate::provider::Provider;
use crate::stream::StreamState;

/// The events a server sends for `answer`, in order: created, each item added, its deltas,
/// each item done, completed (with `completed_output` as the final object's `output`).
pub(crate) fn events(answer: &Value, completed_output: Option<Value>) -> Vec<(String, Value)> {
    let mut created = answer.clone();
    created["status"] = json!("in_progress");
    created["output"] = json!([]);
    created["usage"] = Value::Null;
    let mut out = vec![(
        "response.created".to_string(),
        json!({"type": "response.created", "sequence_number": 0, "response": created}),
    )];
    let mut push = |kind: &str, mut data: Value| {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(out.len());
        out.push((kind.to_string(), data));
    };
    for (index, item) in answer["output"].as_array().unwrap().iter().enumerate() {
        let id = item["id"].clone();
        match item["type"].as_str().unwrap() {
            "message" => {
                push(
                    "response.output_item.added",
                    json!({"output_index": index, "item": {"id": id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}}),
                );
                push(
                    "response.content_part.added",
                    json!({"item_id": id, "output_index": index, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
                );
                let text = item["content"][0]["text"].as_str().unwrap_or_default();
                let (a, b) = text.split_at(text.len() / 2);
                for delta in [a, b] {
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
                let (a, b) = arguments.split_at(arguments.len() / 2);
                for delta in [a, b] {
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
                push(
                    "response.reasoning_summary_text.delta",
                    json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": "**Answering"}),
                );
            }
        }
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
    }
    let mut completed = answer.clone();
    if let Some(output) = completed_output {
        completed["output"] = output;
    }
    let kind = if answer["status"] == "incomplete" {
        "response.incomplete"
    } else {
        "response.completed"
    };
    push(kind, json!({"response": completed}));
    out
}

fn feed(events: &[(String, Value)]) -> Result<StreamState, crate::error::LlmError> {
    let provider = codex();
    let mut state = StreamState::default();
    for (name, data) in events {
        provider.stream_event(&mut state, name, &data.to_string())?;
    }
    Ok(state)
}

#[test]
fn a_stream_gives_the_same_completion_as_the_whole_answer() {
    for answer in [reasoning_answer(), call_answer()] {
        let whole = codex()
            .parse_completion(answer.to_string().as_bytes())
            .unwrap();
        let streamed = feed(&events(&answer, None)).unwrap();
        assert!(streamed.done);
        assert_eq!(streamed.finish(MODEL).unwrap(), whole);
        // The Codex backend's final event may list no output: the items of the stream serve.
        let sparse = feed(&events(&answer, Some(json!([])))).unwrap();
        assert_eq!(sparse.finish(MODEL).unwrap(), whole);
    }
}

#[test]
fn text_deltas_arrive_as_they_come() {
    let all = events(&reasoning_answer(), None);
    let upto = all
        .iter()
        .position(|(k, _)| k == "response.output_text.delta")
        .unwrap();
    let state = feed(&all[..=upto]).unwrap();
    assert_eq!(state.output, "The capital of ");
    assert!(!state.done);
    assert_eq!(state.model.as_deref(), Some(MODEL));
}

#[test]
fn a_cut_stream_is_an_upstream_error_not_a_short_answer() {
    let all = events(&reasoning_answer(), None);
    let state = feed(&all[..all.len() - 1]).unwrap();
    assert_eq!(state.finish(MODEL).unwrap_err().kind, ErrorKind::Upstream);
}

#[test]
fn failed_and_error_events_end_the_stream_with_their_kind() {
    let mut failed = reasoning_answer();
    failed["status"] = json!("failed");
    failed["error"] =
        json!({"code": "server_error", "message": "The model failed to generate a response."});
    let event = json!({"type": "response.failed", "sequence_number": 3, "response": failed});
    let err = feed(&[("response.failed".into(), event)]).unwrap_err();
    assert_eq!((err.kind, err.retryable), (ErrorKind::Upstream, true));
    assert_eq!(err.message, "The model failed to generate a response.");
    let error = json!({"type": "error", "code": "rate_limit_exceeded", "message": "Rate limit reached for gpt-5 in organization org-1.", "param": null, "sequence_number": 1});
    let err = feed(&[("error".into(), error)]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
}

#[test]
fn an_incomplete_stream_ends_with_length() {
    let mut answer = reasoning_answer();
    answer["status"] = json!("incomplete");
    answer["incomplete_details"] = json!({"reason": "max_output_tokens"});
    let state = feed(&events(&answer, None)).unwrap();
    assert_eq!(
        state.finish(MODEL).unwrap().finish_reason,
        crate::completion::FinishReason::Length
    );
}

#[test]
fn a_whole_answer_sent_as_events_reads_like_the_stream() {
    let answer = call_answer();
    let body: String = events(&answer, Some(json!([])))
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    let whole = codex()
        .parse_completion(answer.to_string().as_bytes())
        .unwrap();
    assert_eq!(codex().parse_completion(body.as_bytes()).unwrap(), whole);
    let cut = &body[..body.rfind("event: response.completed").unwrap()];
    assert_eq!(
        codex().parse_completion(cut.as_bytes()).unwrap_err().kind,
        ErrorKind::Upstream
    );
}

#[test]
fn an_output_index_beyond_any_real_answer_is_refused_not_allocated() {
    for index in [json!(10_000_000_000u64), json!(u64::MAX)] {
        let added = json!({"type": "response.output_item.added", "output_index": index,
            "item": {"id": "fc_1", "type": "function_call", "call_id": "c", "name": "t",
                     "arguments": ""}});
        let err = feed(&[("response.output_item.added".into(), added)]).unwrap_err();
        assert_eq!(
            err.kind,
            crate::error::ErrorKind::InvalidResponse,
            "{index}"
        );
        assert!(
            err.message.contains("beyond any real answer"),
            "{}",
            err.message
        );
    }
}
