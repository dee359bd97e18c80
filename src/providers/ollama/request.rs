//! The `/api/chat` body: messages, tools, `think` and `options`.

use serde_json::{Map, Value, json};

use super::FORMAT;
use crate::catalog::types::Reasoning as Controls;
use crate::completion::{CompletionRequest, Effort, Message, Role, ToolChoice};
use crate::providers::tool_name_for;

/// The thinking an assistant turn carried (Ollama provider state), to send back as the
/// message's `thinking`.
fn replayed_thinking(message: &Message) -> Option<&str> {
    let state = message.provider_state.as_ref()?;
    if state.format != FORMAT {
        return None;
    }
    state
        .parts
        .iter()
        .find_map(|part| part["thinking"].as_str())
}

pub(super) fn wire_message(messages: &[Message], index: usize) -> Value {
    let message = &messages[index];
    match message.role {
        Role::User => {
            let mut wire = json!({"role": "user", "content": message.content});
            super::parts::add_images(&mut wire, message);
            wire
        }
        Role::Assistant => {
            let mut wire = json!({"role": "assistant", "content": message.content});
            if let Some(thinking) = replayed_thinking(message) {
                wire["thinking"] = json!(thinking);
            }
            if !message.tool_calls.is_empty() {
                let calls: Vec<Value> = message
                    .tool_calls
                    .iter()
                    .map(|call| {
                        json!({"function": {"name": call.name, "arguments": call.arguments}})
                    })
                    .collect();
                wire["tool_calls"] = Value::Array(calls);
            }
            wire
        }
        Role::Tool => {
            let mut wire = json!({"role": "tool", "content": message.content});
            let id = message.tool_call_id.as_deref().unwrap_or_default();
            if let Some(name) = tool_name_for(messages, index, id) {
                wire["tool_name"] = json!(name);
            }
            wire
        }
    }
}

pub(super) fn wire_tools(request: &CompletionRequest) -> Vec<Value> {
    request
        .tools
        .iter()
        .filter(|tool| match &request.tool_choice {
            Some(ToolChoice::None) => false,
            Some(ToolChoice::Tool(name)) => &tool.name == name,
            _ => true,
        })
        .map(|tool| {
            json!({"type": "function", "function": {
                "name": tool.name,
                "description": tool.description.clone().unwrap_or_default(),
                "parameters": tool.input_schema,
            }})
        })
        .collect()
}

/// The `think` field from the request's reasoning, as the server shaped it for the model
/// (<https://docs.ollama.com/capabilities/thinking>): one of the model's levels (`low`,
/// `medium`, `high` for gpt-oss) when the catalog lists levels for it, else a boolean, false
/// for effort `none` (or a budget of 0) and true for any other effort or budget. Nothing is
/// sent when the call says nothing about effort, or the catalog says the model does not
/// think; thinking models then think by default (ollama/ollama#14108).
pub(super) fn think(request: &CompletionRequest) -> Option<Value> {
    let reasoning = request.reasoning.as_ref()?;
    let levels = match request
        .model_info
        .as_deref()
        .and_then(|m| m.reasoning.as_ref())
    {
        Some(Controls::None) => return None,
        Some(Controls::OllamaThink { levels }) => levels.as_slice(),
        _ => &[],
    };
    let effort = reasoning.effort.or(reasoning.budget_tokens.map(|budget| {
        if budget == 0 {
            Effort::None
        } else {
            Effort::Medium
        }
    }))?;
    if let Some(level) = levels
        .iter()
        .find(|level| level.as_str() == effort.as_str())
    {
        return Some(json!(level));
    }
    Some(json!(effort != Effort::None))
}

/// The `/api/chat` body for `request`.
pub fn chat_body(request: &CompletionRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend((0..request.messages.len()).map(|i| wire_message(&request.messages, i)));
    let sampling = &request.sampling;
    let mut options = Map::new();
    if let Some(max) = sampling.max_tokens {
        options.insert("num_predict".into(), json!(max));
    }
    if let Some(t) = sampling.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(p) = sampling.top_p {
        options.insert("top_p".into(), json!(p));
    }
    if !sampling.stop.is_empty() {
        options.insert("stop".into(), json!(sampling.stop));
    }
    let mut body = json!({"model": request.model, "messages": messages, "stream": false});
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if let Some(think) = think(request) {
        body["think"] = think;
    }
    let tools = wire_tools(request);
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    super::structured::apply(&mut body, request);
    body
}
