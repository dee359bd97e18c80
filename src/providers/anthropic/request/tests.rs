use super::*;
use crate::completion::{Sampling, ToolCall};

fn request(messages: Vec<Message>) -> CompletionRequest {
    CompletionRequest {
        model: "claude-sonnet-5-5".into(),
        system: None,
        messages,
        tools: Vec::new(),
        tool_choice: None,
        sampling: Sampling::default(),
        ..Default::default()
    }
}

fn message(role: Role, content: &str) -> Message {
    Message {
        role,
        content: content.into(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        provider_state: None,
        attachments: Vec::new(),
    }
}

fn result(id: &str, content: &str) -> Message {
    Message {
        tool_call_id: Some(id.into()),
        ..message(Role::Tool, content)
    }
}

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.as_object().unwrap().clone(),
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: Some("Get the current weather in a given location".into()),
        input_schema: json!({
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"]
        }),
    }
}

#[test]
fn simple_body_has_model_max_tokens_and_a_string_message() {
    let body = body(&request(vec![Message::user("Hello, world")]));
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-5-5",
            "max_tokens": 16384,
            "messages": [{"role": "user", "content": "Hello, world"}]
        })
    );
}

#[test]
fn sampling_fields_and_system_travel_under_anthropic_names() {
    // An Anthropic-compatible server's model the catalog does not know, so both go as
    // asked; current Claude models refuse them, and the catalog drops them before this.
    let mut req = request(vec![Message::user("Hi")]);
    req.model = "qwen3-coder".into();
    req.system = Some("You are a pirate.".into());
    req.sampling = Sampling {
        max_tokens: Some(1024),
        temperature: Some(0.5),
        top_p: Some(0.9),
        stop: vec!["\n\nHuman:".into()],
    };
    let body = body(&req);
    assert_eq!(body["system"], "You are a pirate.");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["temperature"], 0.5);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["stop_sequences"], json!(["\n\nHuman:"]));
    assert!(body.get("stop").is_none());
}

#[test]
fn max_tokens_defaults_follow_the_model_family() {
    assert_eq!(default_max_tokens("claude-opus-5-5"), 16384);
    assert_eq!(default_max_tokens("claude-haiku-4-5-20251001"), 16384);
    assert_eq!(default_max_tokens("claude-3-7-sonnet-20250219"), 16384);
    assert_eq!(default_max_tokens("claude-3-5-haiku-20241022"), 8192);
    assert_eq!(default_max_tokens("claude-3-haiku-20240307"), 4096);
    assert_eq!(default_max_tokens("claude-2.1"), 4096);
    assert_eq!(default_max_tokens("qwen3-coder"), 4096);
    let mut req = request(vec![Message::user("Hi")]);
    req.model = "claude-3-5-haiku-20241022".into();
    assert_eq!(body(&req)["max_tokens"], 8192);
}

#[test]
fn tools_and_each_tool_choice_map_to_the_documented_shapes() {
    // Haiku 4.5 without thinking takes a forced choice; Sonnet 5.5 does not (the catalog
    // sends it `auto` instead, see `shape::adapt`).
    let mut req = request(vec![Message::user("Weather in Paris?")]);
    req.model = "claude-haiku-4-5".into();
    req.tools = vec![weather_tool()];
    let expected_tool = json!({
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "input_schema": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"]
        }
    });
    assert_eq!(body(&req)["tools"], json!([expected_tool]));
    assert!(body(&req).get("tool_choice").is_none());
    for (choice, wire) in [
        (ToolChoice::Auto, json!({"type": "auto"})),
        (ToolChoice::None, json!({"type": "none"})),
        (ToolChoice::Required, json!({"type": "any"})),
        (
            ToolChoice::Tool("get_weather".into()),
            json!({"type": "tool", "name": "get_weather"}),
        ),
    ] {
        req.tool_choice = Some(choice);
        assert_eq!(body(&req)["tool_choice"], wire);
    }
}

#[test]
fn tool_choice_without_tools_is_not_sent() {
    let mut req = request(vec![Message::user("Hi")]);
    req.tool_choice = Some(ToolChoice::Required);
    let body = body(&req);
    assert!(body.get("tools").is_none());
    assert!(body.get("tool_choice").is_none());
}

#[test]
fn a_tool_without_description_omits_it() {
    let mut req = request(vec![Message::user("Hi")]);
    req.tools = vec![ToolSpec {
        description: None,
        ..weather_tool()
    }];
    assert!(body(&req)["tools"][0].get("description").is_none());
}

#[test]
fn tool_calls_become_tool_use_blocks_and_results_merge_into_one_user_turn() {
    let mut assistant = message(Role::Assistant, "Let me check both cities.");
    assistant.tool_calls = vec![
        call(
            "toolu_01A",
            "get_weather",
            json!({"location": "San Francisco, CA"}),
        ),
        call("toolu_01B", "get_weather", json!({"location": "Paris"})),
    ];
    let req = request(vec![
        Message::user("Weather in SF and Paris?"),
        assistant,
        result("toolu_01A", "15 degrees"),
        result("toolu_01B", "18 degrees"),
        Message::user("And which is warmer?"),
    ]);
    let expected = json!([
        {"role": "user", "content": "Weather in SF and Paris?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check both cities."},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_weather",
             "input": {"location": "San Francisco, CA"}},
            {"type": "tool_use", "id": "toolu_01B", "name": "get_weather",
             "input": {"location": "Paris"}}
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "15 degrees"},
            {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "18 degrees"},
            {"type": "text", "text": "And which is warmer?"}
        ]}
    ]);
    assert_eq!(body(&req)["messages"], expected);
}

#[test]
fn a_turn_that_only_calls_tools_has_no_empty_text_block() {
    let mut assistant = message(Role::Assistant, "");
    assistant.tool_calls = vec![call("toolu_1", "get_weather", json!({}))];
    let req = request(vec![
        Message::user("Weather?"),
        assistant,
        result("toolu_1", "sunny"),
        message(Role::Assistant, "It is sunny."),
        Message::user("Thanks"),
    ]);
    let messages = body(&req)["messages"].clone();
    assert_eq!(
        messages[1]["content"],
        json!([{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}])
    );
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
    // A user turn after a plain assistant turn is a plain string again.
    assert_eq!(
        messages[3],
        json!({"role": "assistant", "content": "It is sunny."})
    );
    assert_eq!(messages[4], json!({"role": "user", "content": "Thanks"}));
    assert_eq!(messages.as_array().unwrap().len(), 5);
}

/// The assistant turn of the thinking-tool-workflows reference, as the answer carried it.
fn thinking_turn(format: &str) -> Message {
    let parts = vec![
        json!({"type": "thinking", "thinking": "The user wants the weather in Paris.",
               "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}),
        json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8"}),
        json!({"type": "text", "text": "Let me check."}),
        json!({"type": "tool_use", "id": "toolu_01A", "name": "get_weather",
               "input": {"location": "Paris"}}),
    ];
    let mut turn = message(Role::Assistant, "Let me check.");
    turn.tool_calls = vec![call(
        "toolu_01A",
        "get_weather",
        json!({"location": "Paris"}),
    )];
    turn.provider_state = Some(crate::completion::ProviderState {
        format: format.into(),
        model: "claude-sonnet-5-5".into(),
        parts,
    });
    turn
}

#[test]
fn a_turn_with_provider_state_goes_back_as_exactly_its_blocks() {
    let turn = thinking_turn("anthropic");
    let parts = turn.provider_state.clone().unwrap().parts;
    let req = request(vec![
        Message::user("Weather in Paris?"),
        turn,
        result("toolu_01A", "18 degrees"),
    ]);
    let messages = body(&req)["messages"].clone();
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": parts}),
        "thinking first, signatures and order unchanged, nothing rebuilt"
    );
    assert_eq!(
        messages[2]["content"],
        json!([{"type": "tool_result", "tool_use_id": "toolu_01A", "content": "18 degrees"}])
    );
}

#[test]
fn another_formats_state_is_not_sent_and_the_turn_is_rebuilt() {
    let req = request(vec![
        Message::user("Weather in Paris?"),
        thinking_turn("gemini"),
        result("toolu_01A", "18 degrees"),
    ]);
    assert_eq!(
        body(&req)["messages"][1]["content"],
        json!([
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_weather",
             "input": {"location": "Paris"}}
        ])
    );
}

#[test]
fn the_record_message_of_an_answer_replays_into_the_next_request_unchanged() {
    // The round trip: a whole answer, its `Completion::message()`, the next body.
    let answer = br#"{"type": "message", "model": "claude-sonnet-5-5", "content": [
        {"type": "thinking", "thinking": "Need the weather.", "signature": "EqQBCgIYAhIM"},
        {"type": "tool_use", "id": "toolu_01B", "name": "get_weather", "input": {"location": "Paris"}}
      ], "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 9}}"#;
    let done = super::super::response::parse(answer).unwrap();
    let turn = done.message();
    assert_eq!(turn.content, "Need the weather.");
    let req = request(vec![
        Message::user("Weather?"),
        turn,
        result("toolu_01B", "sunny"),
    ]);
    let sent: Value = serde_json::from_slice(answer).unwrap();
    assert_eq!(body(&req)["messages"][1]["content"], sent["content"]);
}

#[test]
fn the_thinking_fields_travel_in_the_body() {
    let mut req = request(vec![Message::user("Hi")]);
    req.model = "claude-opus-4-5".into();
    req.sampling.max_tokens = Some(1024);
    req.reasoning = Some(crate::completion::Reasoning {
        effort: None,
        budget_tokens: Some(2048),
        include: false,
    });
    let sent = body(&req);
    assert_eq!(
        sent["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert!(sent["max_tokens"].as_u64().unwrap() > 2048, "{sent}");
    assert!(sent.get("output_config").is_none());
    req.reasoning = Some(crate::completion::Reasoning {
        effort: Some(crate::completion::Effort::Low),
        budget_tokens: None,
        include: false,
    });
    let sent = body(&req);
    assert_eq!(sent["thinking"], json!({"type": "adaptive"}));
    assert_eq!(sent["output_config"], json!({"effort": "low"}));
    assert_eq!(sent["max_tokens"], 1024);
}
