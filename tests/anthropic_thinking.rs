//! `llm-mcp-anthropic` against a fake that refuses what Claude Sonnet 5.5, the default model,
//! refuses (issue 10): a tool loop that drops or edits the thinking blocks of the turn that
//! called the tool, sampling parameters, a forced tool choice, an assistant prefill, a thinking
//! budget or `disabled`. Each call a client makes as documented succeeds, because the server
//! adapts the request and replays `record.message` unchanged, and the record's `warnings` say
//! what was adapted. The fake's words are the API's (see [`api::Sonnet55`]).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::anthropic_api::{self as api, Sonnet55};
use crate::support::backends::{ANTHROPIC as BACKEND, call_with_progress};
use crate::support::mcp::{McpProcess, ToolResult};
use crate::support::{FakeProvider, Reply};

const MODEL: &str = "claude-sonnet-5-5";

/// The first turn: Sonnet 5.5 with summarized thinking says what it is about to do inside its
/// thinking block (no text block) and calls the tool.
fn first_turn() -> Value {
    json!({
        "id": "msg_01Sonnet55Tool", "type": "message", "role": "assistant", "model": MODEL,
        "content": [
            {"type": "thinking", "thinking": "I'll look up the current weather in Paris.",
             "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3"},
            {"type": "tool_use", "id": "toolu_01Paris", "name": "get_weather",
             "input": {"city": "Paris", "unit": "celsius"}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 420, "output_tokens": 96}
    })
}

/// The second turn, after the tool result: thinking left out (`display` omitted here) and
/// the answer.
fn final_turn() -> Value {
    json!({
        "id": "msg_01Sonnet55Done", "type": "message", "role": "assistant", "model": MODEL,
        "content": [
            {"type": "thinking", "thinking": "", "signature": "EosnCkYICxIMMb3LzNrMu7ppEdMy"},
            {"type": "text", "text": "It is 18 °C in Paris."}
        ],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 530, "output_tokens": 24}
    })
}

/// A fake Sonnet 5.5: refuses as the API does, else answers the first turn, or the final one
/// once a tool result came back, whole or streamed as asked.
fn sonnet_5_5(fake: &FakeProvider) -> Arc<Mutex<Vec<Value>>> {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    let rules = Sonnet55 {
        issued: [first_turn(), final_turn()]
            .iter()
            .flat_map(|m| m["content"].as_array().unwrap().clone())
            .filter(|b| b["type"] != "text" && b["type"] != "tool_use")
            .collect(),
    };
    fake.compute(move |_, request| {
        if request.path == api::MODELS {
            return Reply::json(200, &api::models(&[MODEL]));
        }
        let body = request.body_json().clone();
        seen.lock().unwrap().push(body.clone());
        if let Some(refusal) = rules.refusal(&body) {
            return refusal;
        }
        let answered = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_array())
            .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_result"));
        let message = if answered { final_turn() } else { first_turn() };
        api::answer(&body, &message)
    });
    bodies
}

fn weather_tool() -> Value {
    json!([{"name": "get_weather", "description": "Current weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                             "required": ["city"]}}])
}

fn warnings(record: &Value) -> Vec<String> {
    record["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// The record without what differs between two calls of the same answer.
fn comparable(record: &Value) -> Value {
    let mut record = record.clone();
    let fields = record.as_object_mut().unwrap();
    fields.remove("latency_ms");
    fields.remove("attempts");
    record
}

/// Calls `chat` with `arguments`, streamed under a progress token when `token` is given.
async fn chat(server: &mut McpProcess, arguments: Value, token: Option<&str>) -> ToolResult {
    match token {
        None => server.call("chat", arguments).await,
        Some(token) => {
            let (_, response) = call_with_progress(server, "chat", arguments, token).await;
            ToolResult(response["result"].clone())
        }
    }
}

/// The two-turn loop a client writes: ask, append `record.message` and the tool's result, ask
/// again. Returns both records.
async fn tool_loop(server: &mut McpProcess, token: Option<&str>) -> (Value, Value) {
    let user = json!({"role": "user", "content": "What is the weather in Paris?"});
    let ask = json!({"model": MODEL, "messages": [user], "tools": weather_tool()});
    let first = chat(server, ask, token.map(|t| format!("{t}-1")).as_deref())
        .await
        .record()
        .clone();
    let call = &first["tool_calls"][0];
    let result = json!({"role": "tool", "tool_call_id": call["id"], "content": "18 °C, clear"});
    let again = json!({"model": MODEL, "tools": weather_tool(),
                       "messages": [user, first["message"], result]});
    let second = chat(server, again, token.map(|t| format!("{t}-2")).as_deref())
        .await
        .record()
        .clone();
    (first, second)
}

#[tokio::test]
async fn a_two_turn_tool_loop_replays_the_thinking_unchanged_whole_and_streamed() {
    let fake = FakeProvider::start().await;
    let bodies = sonnet_5_5(&fake);
    let mut server = BACKEND.start(&fake, &[]).await;
    let (first, second) = tool_loop(&mut server, None).await;

    // The text Sonnet 5.5 wrote before the call came in its thinking block: it is the output.
    assert_eq!(
        first["output"],
        "I'll look up the current weather in Paris."
    );
    assert_eq!(first["finish_reason"], "tool_calls");
    assert_eq!(
        first["tool_calls"],
        json!([{"id": "toolu_01Paris", "name": "get_weather",
                "arguments": {"city": "Paris", "unit": "celsius"}}])
    );
    let state = &first["message"]["provider_state"];
    assert_eq!(state["format"], "anthropic");
    assert_eq!(state["model"], MODEL);
    assert_eq!(state["parts"], first_turn()["content"]);
    assert_eq!(first["warnings"], json!([]));
    assert!(first.get("reasoning").is_none(), "not asked for");
    assert_eq!(second["output"], "It is 18 °C in Paris.");
    assert_eq!(second["finish_reason"], "stop");

    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "no refusal, no retry");
    // Tools offered to a model that thinks by default: ask for the thinking text back.
    assert_eq!(
        sent[0]["thinking"],
        json!({"type": "adaptive", "display": "summarized"})
    );
    assert_eq!(
        sent[1]["messages"][1],
        json!({"role": "assistant", "content": first_turn()["content"]}),
        "the assistant turn goes back exactly as it came"
    );
    assert_eq!(
        sent[1]["messages"][2]["content"][0]["tool_use_id"],
        "toolu_01Paris"
    );

    // Streamed (a progress token), the same loop gives the same records and the same requests.
    let (first_streamed, second_streamed) = tool_loop(&mut server, Some("tok")).await;
    assert_eq!(comparable(&first), comparable(&first_streamed));
    assert_eq!(comparable(&second), comparable(&second_streamed));
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[2]["stream"], true);
    assert_eq!(sent[3]["messages"], sent[1]["messages"]);
}

#[tokio::test]
async fn the_fake_refuses_a_follow_up_without_the_thinking_block_as_the_api_does() {
    // A client that rebuilds the assistant turn from text and tool calls gets Anthropic's 400:
    // the fake holds the real rule, so the loop above passes only because the state is replayed.
    let fake = FakeProvider::start().await;
    let _bodies = sonnet_5_5(&fake);
    let mut server = BACKEND.start(&fake, &[]).await;
    let user = json!({"role": "user", "content": "What is the weather in Paris?"});
    let ask = json!({"model": MODEL, "messages": [user], "tools": weather_tool()});
    let first = server.call("chat", ask).await.record().clone();
    let mut rebuilt = first["message"].clone();
    rebuilt.as_object_mut().unwrap().remove("provider_state");
    let result = json!({"role": "tool", "tool_call_id": "toolu_01Paris", "content": "18 °C"});
    let again = json!({"model": MODEL, "tools": weather_tool(),
                       "messages": [user, rebuilt, result]});
    let text = server.call("chat", again).await.expect_error("bad_request");
    assert!(
        text.contains("Expected `thinking` or `redacted_thinking`, but found `text`"),
        "{text}"
    );
    // An edited thinking block is refused too.
    let mut edited = first["message"].clone();
    edited["provider_state"]["parts"][0]["thinking"] = json!("Something else entirely.");
    let again = json!({"model": MODEL, "tools": weather_tool(),
                       "messages": [user, edited, result]});
    let text = server.call("chat", again).await.expect_error("bad_request");
    assert!(
        text.contains("Invalid `signature` in `thinking` block"),
        "{text}"
    );
}

#[tokio::test]
async fn sampling_and_a_forced_tool_choice_are_adapted_away_and_the_record_says_how() {
    let fake = FakeProvider::start().await;
    let bodies = sonnet_5_5(&fake);
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({
        "model": MODEL, "tools": weather_tool(), "tool_choice": "get_weather",
        "temperature": 0.2, "top_p": 0.9,
        "messages": [{"role": "user", "content": "Weather in Paris?"}]
    });
    let record = server.call("chat", args).await.record().clone();
    assert_eq!(record["tool_calls"][0]["name"], "get_weather");
    let said = warnings(&record);
    assert!(
        said.iter().any(|w| w.contains("temperature 0.2 dropped")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|w| w.contains("top_p 0.9 dropped")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|w| w.contains("tool_choice sent as auto")),
        "{said:?}"
    );
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "adapted before sending, not after a refusal");
    let body = &sent[0];
    assert!(
        body.get("temperature").is_none() && body.get("top_p").is_none(),
        "{body}"
    );
    assert_eq!(body["tool_choice"], json!({"type": "auto"}));
    assert!(
        body["system"]
            .as_str()
            .is_some_and(|s| s.contains("calling the tool get_weather")),
        "{body}"
    );
}

#[tokio::test]
async fn a_prefill_is_refused_before_it_reaches_sonnet_5_5() {
    // Prefill has no equivalent the model takes, so the catalog refuses it: the call fails
    // with a clear [bad_request] and the provider is never asked.
    let fake = FakeProvider::start().await;
    let bodies = sonnet_5_5(&fake);
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"model": MODEL, "messages": [
        {"role": "user", "content": "Answer in JSON."},
        {"role": "assistant", "content": "{"}
    ]});
    let text = server.call("chat", args).await.expect_error("bad_request");
    assert!(text.contains(MODEL) && text.contains("prefill"), "{text}");
    assert!(bodies.lock().unwrap().is_empty());
}

#[tokio::test]
async fn effort_none_and_a_budget_reach_sonnet_5_5_as_an_effort_it_takes() {
    let fake = FakeProvider::start().await;
    let bodies = sonnet_5_5(&fake);
    let mut server = BACKEND.start(&fake, &[]).await;
    let user = json!([{"role": "user", "content": "What is the weather in Paris?"}]);
    let none = json!({"model": MODEL, "messages": user, "tools": weather_tool(),
                      "reasoning": {"effort": "none", "include": true}});
    let record = server.call("chat", none).await.record().clone();
    // Asked for, the thinking text is the record's reasoning.
    assert_eq!(
        record["reasoning"],
        "I'll look up the current weather in Paris."
    );
    let said = warnings(&record);
    assert!(
        said.iter()
            .any(|w| w.starts_with("effort none is not available")),
        "{said:?}"
    );
    let budget = json!({"model": MODEL, "messages": user,
                        "reasoning": {"budget_tokens": 2000}});
    let record = server.call("chat", budget).await.record().clone();
    assert!(
        warnings(&record)
            .iter()
            .any(|w| w.contains("budget_tokens 2000 sent as effort medium")),
        "{record}"
    );
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    // Never `disabled`, never a budget: the lowest effort, then the nearest one.
    assert_eq!(sent[0]["output_config"], json!({"effort": "low"}));
    assert_eq!(
        sent[0]["thinking"],
        json!({"type": "adaptive", "display": "summarized"})
    );
    assert_eq!(sent[1]["output_config"], json!({"effort": "medium"}));
    assert_eq!(sent[1]["thinking"], json!({"type": "adaptive"}));
}

#[tokio::test]
async fn an_answer_in_another_wire_format_is_an_invalid_response() {
    // A base URL that points at an OpenAI-compatible server by mistake.
    let fake = FakeProvider::start().await;
    let openai = json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
        "created": 1741570283, "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
    });
    fake.push(api::MESSAGES, Reply::json(200, &openai));
    let mut server = BACKEND.start(&fake, &[]).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("invalid_response");
    assert!(text.contains("another wire format"), "{text}");
}

#[tokio::test]
async fn a_413_is_reported_as_the_request_size_limit() {
    let fake = FakeProvider::start().await;
    fake.push(
        api::MESSAGES,
        api::error_reply(
            413,
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
    );
    let mut server = BACKEND.start(&fake, &[]).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("bad_request");
    assert!(
        text.contains("32 MB") && text.contains("not on the context window"),
        "{text}"
    );
    assert_eq!(BACKEND.calls(&fake).len(), 1, "not retried");
}
