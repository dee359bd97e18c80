//! The Responses body: `instructions`, `input` items, tools, the output limit, reasoning, and
//! the stateless settings (`store: false`, encrypted reasoning items included).
//!
//! API DOC: <https://platform.openai.com/docs/api-reference/responses/create>; input items
//! (messages, `function_call`, `function_call_output`, `reasoning`):
//! <https://platform.openai.com/docs/guides/function-calling?api-mode=responses>; replaying
//! reasoning items with `store: false` and `include: ["reasoning.encrypted_content"]`:
//! <https://cookbook.openai.com/examples/responses_api/reasoning_items>.

use serde_json::{Map, Value, json};

use super::{Responses, replay};
use crate::catalog::types::Reasoning as Controls;
use crate::completion::{CompletionRequest, Message, Role, ToolCall, ToolChoice};

/// What the Codex backend asks for when a call has no system prompt: it refuses a request
/// without `instructions` (`400 "Instructions are required"`), as the Codex CLI always sends
/// its own (`codex-rs/codex-api/src/common.rs`, `ResponsesApiRequest::instructions`).
pub(super) const CODEX_DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";

/// Whether `request`'s model reasons, so that its reasoning items are worth asking for: what
/// the catalog says, else the families that do (o-series, GPT-5 and later, not `-chat`).
pub(super) fn reasons(request: &CompletionRequest) -> bool {
    if let Some(controls) = request
        .model_info
        .as_ref()
        .and_then(|m| m.reasoning.as_ref())
    {
        return !matches!(controls, Controls::None);
    }
    let model = request.model.rsplit('/').next().unwrap_or_default();
    let model = model.to_ascii_lowercase();
    let o_series = model.starts_with('o') && model[1..].starts_with(|c: char| c.is_ascii_digit());
    let gpt5_or_later = model
        .strip_prefix("gpt-")
        .and_then(|rest| rest.split(['.', '-']).next())
        .and_then(|major| major.parse::<u32>().ok())
        .is_some_and(|major| major >= 5);
    (o_series || gpt5_or_later) && !model.contains("-chat")
}

/// The `input` array: each turn as its items, oldest first.
pub(super) fn input(request: &CompletionRequest) -> Vec<Value> {
    let mut items = Vec::new();
    for message in &request.messages {
        match message.role {
            Role::User => items.push(json!({
                "role": "user",
                "content": crate::providers::openai::parts::responses_content(message),
            })),
            Role::Tool => items.push(json!({
                "type": "function_call_output",
                "call_id": message.tool_call_id.clone().unwrap_or_default(),
                "output": message.content,
            })),
            Role::Assistant => assistant(message, &mut items),
        }
    }
    items
}

/// An assistant turn: the items the API produced, replayed unchanged when the turn carries
/// them and they still say what the turn says; otherwise rebuilt from its text and calls
/// (without item ids, so the API does not look for the reasoning that preceded them).
fn assistant(message: &Message, items: &mut Vec<Value>) {
    if let Some(parts) = replay::parts(message) {
        items.extend(parts.iter().cloned());
        return;
    }
    if !message.content.is_empty() {
        items.push(json!({"role": "assistant", "content": message.content}));
    }
    items.extend(message.tool_calls.iter().map(function_call));
}

/// A call as the API wrote it: `arguments` is a JSON string, not an object.
fn function_call(call: &ToolCall) -> Value {
    json!({
        "type": "function_call",
        "call_id": call.id,
        "name": call.name,
        "arguments": Value::Object(call.arguments.clone()).to_string(),
    })
}

fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Tool(name) => json!({"type": "function", "name": name}),
    }
}

/// The `reasoning` object: the effort, and a summary when the caller wants the reasoning
/// text (`auto` gives the most detailed summary the model offers).
fn reasoning(request: &CompletionRequest) -> Option<Value> {
    let asked = request.reasoning.as_ref()?;
    let mut reasoning = Map::new();
    if let Some(effort) = asked.effort {
        reasoning.insert("effort".into(), json!(effort.as_str()));
    }
    if asked.include {
        reasoning.insert("summary".into(), json!("auto"));
    }
    (!reasoning.is_empty()).then_some(Value::Object(reasoning))
}

impl Responses {
    /// The JSON body of a completion.
    pub(super) fn body(&self, request: &CompletionRequest) -> Value {
        let codex = self.is_codex();
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        match (&request.system, codex) {
            (Some(system), _) => {
                body.insert("instructions".into(), json!(system));
            }
            (None, true) => {
                body.insert("instructions".into(), json!(CODEX_DEFAULT_INSTRUCTIONS));
            }
            (None, false) => {}
        }
        body.insert("input".into(), json!(input(request)));
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|tool| {
                    // `strict` defaults to true on this API, which refuses any schema that does
                    // not list every property as required; MCP tool schemas rarely do.
                    json!({
                        "type": "function",
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                        "strict": false,
                    })
                })
                .collect();
            body.insert("tools".into(), json!(tools));
            if let Some(choice) = &request.tool_choice {
                body.insert("tool_choice".into(), tool_choice(choice));
            }
        }
        // On the Codex backend these were taken out before (see `adjust`).
        let sampling = &request.sampling;
        if let Some(limit) = sampling.max_tokens {
            body.insert("max_output_tokens".into(), json!(limit));
        }
        if let Some(temperature) = sampling.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if let Some(top_p) = sampling.top_p {
            body.insert("top_p".into(), json!(top_p));
        }
        if let Some(reasoning) = reasoning(request) {
            body.insert("reasoning".into(), reasoning);
        }
        // Stateless: nothing is kept at OpenAI, and the encrypted reasoning items come back in
        // the answer so that the next turn can send them again.
        body.insert("store".into(), json!(false));
        if reasons(request) {
            body.insert("include".into(), json!(["reasoning.encrypted_content"]));
        }
        if codex {
            // The Codex backend answers only streams (`400 "Stream must be set to true"`).
            body.insert("stream".into(), json!(true));
        }
        crate::providers::openai::cache::apply(&mut body, request, true);
        super::structured::apply(&mut body, request);
        Value::Object(body)
    }
}
