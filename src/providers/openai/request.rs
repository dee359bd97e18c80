//! The Chat Completions body: messages, tools, sampling, `reasoning_effort` and the
//! token-limit field.
//!
//! What a model accepts is not decided here: the server shaped the request from the catalog
//! (and from what the model refused before) before it arrives, so every setting it still
//! carries is sent, in the field `token_limit_field` names.

use serde_json::{Map, Value, json};

use super::OpenAi;
use super::parts::PartStyle;
use crate::completion::{CompletionRequest, Message, Reasoning, Role, ToolCall, ToolChoice};
use crate::error::{ErrorKind, LlmError};

/// The `messages` array: the system prompt first, then the turns.
pub(super) fn messages(request: &CompletionRequest, style: PartStyle) -> Vec<Value> {
    let system = request
        .system
        .as_ref()
        .map(|text| json!({"role": "system", "content": text}));
    system
        .into_iter()
        .chain(request.messages.iter().map(|m| message(m, style)))
        .collect()
}

pub(super) fn message(message: &Message, style: PartStyle) -> Value {
    match message.role {
        Role::User => {
            json!({"role": "user", "content": super::parts::user_content(message, style)})
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        }),
        Role::Assistant if message.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": message.content})
        }
        Role::Assistant => {
            let calls: Vec<Value> = message.tool_calls.iter().map(tool_call).collect();
            // A turn that only calls tools has null content in OpenAI's own transcripts.
            let content = Some(&message.content).filter(|c| !c.is_empty());
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
    }
}

/// A call as the API wrote it: `arguments` is a JSON string, not an object.
pub(super) fn tool_call(call: &ToolCall) -> Value {
    json!({
        "id": call.id,
        "type": "function",
        "function": {
            "name": call.name,
            "arguments": Value::Object(call.arguments.clone()).to_string(),
        },
    })
}

pub(super) fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
    }
}

/// `reasoning_effort` (<https://platform.openai.com/docs/api-reference/chat/create#chat-create-reasoning_effort>,
/// and Mistral's, <https://docs.mistral.ai/capabilities/reasoning/adjustable>): the effort's
/// own name, which the server already mapped onto the model's levels when the catalog knows
/// them. Chat Completions has no budget field, so a budget alone (for a model the catalog does
/// not know, whose levels nobody can map it onto) is refused rather than dropped; with an
/// effort beside it, the effort says what is wanted.
fn reasoning_effort(request: &CompletionRequest) -> Result<Option<Value>, LlmError> {
    match request.reasoning {
        Some(Reasoning {
            effort: Some(effort),
            ..
        }) => Ok(Some(json!(effort.as_str()))),
        Some(Reasoning {
            budget_tokens: Some(budget),
            ..
        }) => {
            let why = match &request.model_info {
                Some(_) => format!(
                    "{} takes a thinking budget, which this API cannot carry",
                    request.model
                ),
                None => format!(
                    "the catalog does not know {}, so the budget cannot be turned into one of \
                     its levels",
                    request.model
                ),
            };
            Err(LlmError::new(
                ErrorKind::BadRequest,
                format!(
                    "reasoning.budget_tokens {budget}: Chat Completions takes reasoning.effort \
                     (none, minimal, low, medium, high, max), not a token budget, and {why}; \
                     send reasoning.effort instead"
                ),
            ))
        }
        _ => Ok(None),
    }
}

impl OpenAi {
    /// The JSON body of a completion, or the `[bad_request]` of a setting it cannot carry.
    pub(super) fn body(&self, request: &CompletionRequest) -> Result<Value, LlmError> {
        super::parts::check(request, self.parts)?;
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert("messages".into(), json!(messages(request, self.parts)));
        let sampling = &request.sampling;
        if let Some(limit) = sampling.max_tokens {
            body.insert(self.token_field(request).into(), json!(limit));
        }
        if let Some(temperature) = sampling.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if let Some(top_p) = sampling.top_p {
            body.insert("top_p".into(), json!(top_p));
        }
        if !sampling.stop.is_empty() {
            body.insert("stop".into(), json!(sampling.stop));
        }
        if let Some(effort) = reasoning_effort(request)? {
            body.insert("reasoning_effort".into(), effort);
        }
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|tool| {
                    let mut function = Map::new();
                    function.insert("name".into(), json!(tool.name));
                    if let Some(description) = &tool.description {
                        function.insert("description".into(), json!(description));
                    }
                    function.insert("parameters".into(), tool.input_schema.clone());
                    json!({"type": "function", "function": function})
                })
                .collect();
            body.insert("tools".into(), json!(tools));
            // The API refuses `tool_choice` without `tools`, so it only travels with them.
            if let Some(choice) = &request.tool_choice {
                body.insert("tool_choice".into(), tool_choice(choice));
            }
        }
        super::structured::apply(&mut body, request);
        super::cache::apply(&mut body, request, self.is_own_api());
        Ok(Value::Object(body))
    }
}
