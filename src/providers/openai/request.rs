//! The Chat Completions body: messages, tools, sampling and the token-limit field each model
//! takes.

use serde_json::{Map, Value, json};

use super::OpenAi;
use crate::completion::{CompletionRequest, Message, Role, ToolCall, ToolChoice};

/// Strips a routing prefix (`openai/o3` on OpenRouter) and lowercases.
pub(super) fn bare_model(model: &str) -> String {
    model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase()
}

/// o-series (`o1`, `o3-mini`, `o4-mini`, ...).
pub(super) fn is_o_series(model: &str) -> bool {
    let mut chars = model.chars();
    chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Models that reject `max_tokens`: the o-series and the whole GPT-5 family.
pub(super) fn takes_completion_tokens(model: &str) -> bool {
    let model = bare_model(model);
    is_o_series(&model) || model.starts_with("gpt-5")
}

/// Reasoning models reject `temperature` and `top_p` (`unsupported_value`), so they are left
/// out for the o-series and GPT-5 reasoning models; the `-chat` GPT-5 variants are not
/// reasoning models and take them.
pub(super) fn rejects_sampling(model: &str) -> bool {
    let model = bare_model(model);
    is_o_series(&model) || (model.starts_with("gpt-5") && !model.contains("-chat"))
}

/// The `messages` array: the system prompt first, then the turns.
pub(super) fn messages(request: &CompletionRequest) -> Vec<Value> {
    let system = request
        .system
        .as_ref()
        .map(|text| json!({"role": "system", "content": text}));
    system
        .into_iter()
        .chain(request.messages.iter().map(message))
        .collect()
}

pub(super) fn message(message: &Message) -> Value {
    match message.role {
        Role::User => json!({"role": "user", "content": message.content}),
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

impl OpenAi {
    /// The JSON body of a completion.
    pub(super) fn body(&self, request: &CompletionRequest) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert("messages".into(), json!(messages(request)));
        let sampling = &request.sampling;
        if let Some(limit) = sampling.max_tokens {
            body.insert(self.token_field(&request.model).into(), json!(limit));
        }
        if !rejects_sampling(&request.model) {
            if let Some(temperature) = sampling.temperature {
                body.insert("temperature".into(), json!(temperature));
            }
            if let Some(top_p) = sampling.top_p {
                body.insert("top_p".into(), json!(top_p));
            }
        } else if sampling.temperature.is_some() || sampling.top_p.is_some() {
            tracing::debug!(model = %request.model, "temperature/top_p left out: a reasoning model rejects them");
        }
        if !sampling.stop.is_empty() {
            body.insert("stop".into(), json!(sampling.stop));
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
        Value::Object(body)
    }
}
