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
mod tests;
