//! The body of `POST /v1/messages` (<https://docs.anthropic.com/en/api/messages>).
//!
//! The neutral conversation maps onto Anthropic's content blocks:
//! - an assistant turn with tool calls becomes `text` (when non-empty) then `tool_use` blocks;
//! - a tool turn becomes a `tool_result` block in a user turn, and consecutive tool results
//!   share one user turn, because turns must alternate and every result answering one
//!   assistant turn must come back in the next user turn
//!   (<https://docs.anthropic.com/en/docs/build-with-claude/tool-use/implement-tool-use>);
//! - a user turn right after tool results joins that turn as a `text` block after them (the
//!   API wants `tool_result` blocks first);
//! - an assistant turn carrying Anthropic provider state (an answer that had thinking blocks)
//!   is sent as exactly the content blocks it came with, thinking, signatures, text and
//!   `tool_use` in their order, never rebuilt: "when you return a tool result, the thinking
//!   blocks from the assistant message must come back with it ... rebuilding the message or
//!   filtering out `redacted_thinking` blocks triggers a 400 error"
//!   (<https://platform.claude.com/docs/build-with-claude/thinking-tool-workflows>).
//!
//! The thinking controls are [`super::thinking`]'s.

use serde_json::{Map, Value, json};

use super::response::STATE_FORMAT;
use super::thinking;
use crate::completion::{CompletionRequest, Message, Role, ToolChoice, ToolSpec};

/// The output limit sent when the call and the server name none; `max_tokens` is required
/// (<https://docs.anthropic.com/en/api/messages#body-max-tokens>).
///
/// Each default stays within the family's documented maximum output, so it is never refused,
/// and at 16k tokens a non-streamed answer finishes well inside the SDKs' ten-minute guidance
/// for requests without streaming:
///
/// | model id starts with | default | why |
/// |---|---|---|
/// | `claude-3-5-` | 8192 | the Claude 3.5 maximum |
/// | `claude-3-7-` | 16384 | 64k maximum; 16k keeps the call short |
/// | `claude-3-`, `claude-2`, `claude-instant` | 4096 | the Claude 3 (and older) maximum |
/// | `claude-` (4.x, 5.x and later) | 16384 | every later family allows 32k or more |
/// | anything else | 4096 | an Anthropic-compatible server's model: a limit all accept |
pub fn default_max_tokens(model: &str) -> u32 {
    const TABLE: &[(&str, u32)] = &[
        ("claude-3-5-", 8192),
        ("claude-3-7-", 16384),
        ("claude-3-", 4096),
        ("claude-2", 4096),
        ("claude-instant", 4096),
        ("claude-", 16384),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map_or(4096, |&(_, limit)| limit)
}

/// The JSON body for `request`.
pub(super) fn body(request: &CompletionRequest) -> Value {
    let sampling = &request.sampling;
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    let max_tokens = sampling
        .max_tokens
        .unwrap_or_else(|| default_max_tokens(&request.model));
    let thinking = thinking::fields(request, max_tokens);
    body.insert("max_tokens".into(), json!(thinking.max_tokens));
    if let Some(system) = &request.system {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages(&request.messages)));
    if let Some(temperature) = sampling.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if let Some(top_p) = sampling.top_p {
        body.insert("top_p".into(), json!(top_p));
    }
    if !sampling.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(sampling.stop));
    }
    if let Some(config) = thinking.thinking {
        body.insert("thinking".into(), config);
    }
    if let Some(effort) = thinking.effort {
        body.insert("output_config".into(), json!({"effort": effort}));
    }
    if !request.tools.is_empty() {
        let tools = request.tools.iter().map(tool).collect();
        body.insert("tools".into(), Value::Array(tools));
        // tool_choice without tools is refused, so it only travels with them.
        if let Some(choice) = &request.tool_choice {
            body.insert("tool_choice".into(), tool_choice(choice));
        }
    }
    super::structured::apply(&mut body, request);
    super::cache::apply(&mut body, request);
    Value::Object(body)
}

fn tool(spec: &ToolSpec) -> Value {
    let mut tool = Map::new();
    tool.insert("name".into(), json!(spec.name));
    if let Some(description) = &spec.description {
        tool.insert("description".into(), json!(description));
    }
    tool.insert("input_schema".into(), spec.input_schema.clone());
    Value::Object(tool)
}

fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
    }
}

/// The `messages` array, merging tool results as the module doc explains.
fn messages(conversation: &[Message]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(conversation.len());
    // Whether the last turn in `out` is a user turn made of tool results.
    let mut open_results = false;
    for message in conversation {
        match message.role {
            Role::Tool => {
                let result = json!({
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id.as_deref().unwrap_or_default(),
                    "content": message.content,
                });
                append_or_push(&mut out, open_results, result);
                open_results = true;
            }
            Role::User if open_results => {
                for block in super::parts::user_blocks(message) {
                    append_or_push(&mut out, true, block);
                }
            }
            Role::User if !message.attachments.is_empty() => {
                let blocks = super::parts::user_blocks(message);
                out.push(json!({"role": "user", "content": blocks}));
            }
            Role::User => {
                out.push(json!({"role": "user", "content": message.content}));
            }
            Role::Assistant => {
                out.push(assistant(message));
                open_results = false;
            }
        }
    }
    out
}

/// Adds `block` to the last (user) turn when `append`, else starts a user turn with it.
fn append_or_push(out: &mut Vec<Value>, append: bool, block: Value) {
    let last = out.last_mut().and_then(|turn| turn.get_mut("content"));
    if append && let Some(Value::Array(blocks)) = last {
        blocks.push(block);
        return;
    }
    out.push(json!({"role": "user", "content": [block]}));
}

fn assistant(message: &Message) -> Value {
    if let Some(state) = message
        .provider_state
        .as_ref()
        .filter(|state| state.format == STATE_FORMAT && !state.parts.is_empty())
    {
        return json!({"role": "assistant", "content": state.parts});
    }
    if message.tool_calls.is_empty() {
        return json!({"role": "assistant", "content": message.content});
    }
    let mut blocks = Vec::with_capacity(message.tool_calls.len() + 1);
    // Empty text blocks are refused, so a turn that only calls tools has none.
    if !message.content.is_empty() {
        blocks.push(json!({"type": "text", "text": message.content}));
    }
    for call in &message.tool_calls {
        blocks.push(json!({
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": call.arguments,
        }));
    }
    json!({"role": "assistant", "content": blocks})
}

#[cfg(test)]
mod tests {
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
        // sends it `auto` instead, see `catalog::adapt`).
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
}
