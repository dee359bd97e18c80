//! The `generateContent` body: turns (the model's own parts replayed as they came), tools,
//! sampling and thinking.

use serde_json::{Map, Value, json};

use super::FORMAT;
use crate::catalog::types::Reasoning as Controls;
use crate::completion::{CompletionRequest, Effort, Message, Role, ToolChoice};
use crate::providers::tool_name_for;

/// The dummy signature Google documents for function calls that have no signature of their
/// own: history made by another model or provider, or calls a client wrote itself. The FAQ of
/// <https://ai.google.dev/gemini-api/docs/thought-signatures> gives it for exactly that case
/// ("skip_thought_signature_validator" bypasses the validation that otherwise answers 400).
/// It is never put on a call the model made: those come back with their own parts.
pub(super) const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// The model as one path segment: a `models/` prefix (as the listing spells names) is dropped
/// and everything but unreserved characters is percent-encoded, so `../x` stays one segment.
pub fn model_segment(model: &str) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let mut out = String::with_capacity(model.len());
    for byte in model.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A tool result as the object `functionResponse.response` must be: a JSON object result is
/// sent as it is, anything else as `{"result": text}`.
pub(super) fn response_object(content: &str) -> Value {
    match serde_json::from_str::<Value>(content) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({"result": content}),
    }
}

/// An assistant turn: the parts the model sent, exactly as they came, when the turn carries
/// Gemini's provider state (thought signatures must go back "exactly as received", at the
/// position they came in); otherwise parts rebuilt from the text and the calls, each call
/// with the documented dummy signature since it has none of its own.
pub(super) fn model_turn(message: &Message) -> Value {
    if let Some(state) = message
        .provider_state
        .as_ref()
        .filter(|state| state.format == FORMAT && !state.parts.is_empty())
    {
        return json!({"role": "model", "parts": state.parts});
    }
    let mut parts = Vec::new();
    if !message.content.is_empty() {
        parts.push(json!({"text": message.content}));
    }
    for call in &message.tool_calls {
        parts.push(json!({
            "functionCall": {"name": call.name, "args": call.arguments},
            "thoughtSignature": SKIP_SIGNATURE,
        }));
    }
    if parts.is_empty() {
        // A turn must hold at least one part; an empty assistant turn is empty text.
        parts.push(json!({"text": ""}));
    }
    json!({"role": "model", "parts": parts})
}

pub(super) fn result_part(messages: &[Message], index: usize) -> Value {
    let message = &messages[index];
    let id = message.tool_call_id.as_deref().unwrap_or_default();
    // Without the call in the history the id is the only name there is.
    let name = tool_name_for(messages, index, id).unwrap_or(id);
    json!({"functionResponse": {"name": name, "response": response_object(&message.content)}})
}

/// The `contents` of a request: user and model turns, tool results grouped into user turns.
pub fn contents(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<Value> = Vec::with_capacity(messages.len());
    let mut previous_was_tool = false;
    for (index, message) in messages.iter().enumerate() {
        match message.role {
            Role::User => {
                turns.push(json!({"role": "user", "parts": super::parts::user_parts(message)}))
            }
            Role::Assistant => turns.push(model_turn(message)),
            Role::Tool => {
                let part = result_part(messages, index);
                match turns.last_mut() {
                    Some(turn) if previous_was_tool => {
                        turn["parts"].as_array_mut().expect("parts").push(part)
                    }
                    _ => turns.push(json!({"role": "user", "parts": [part]})),
                }
            }
        }
        previous_was_tool = message.role == Role::Tool;
    }
    turns
}

pub(super) fn tool_config(choice: &ToolChoice) -> Value {
    let config = match choice {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    };
    json!({"functionCallingConfig": config})
}

pub(super) fn generation_config(request: &CompletionRequest) -> Map<String, Value> {
    let sampling = &request.sampling;
    let mut config = Map::new();
    if let Some(max) = sampling.max_tokens {
        config.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(t) = sampling.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = sampling.top_p {
        config.insert("topP".into(), json!(p));
    }
    if !sampling.stop.is_empty() {
        config.insert("stopSequences".into(), json!(sampling.stop));
    }
    if let Some(thinking) = thinking_config(request) {
        config.insert("thinkingConfig".into(), thinking);
    }
    config
}

/// `generationConfig.thinkingConfig` from the request's reasoning, which the server has already
/// shaped to the model's own controls when the catalog knows them
/// (<https://ai.google.dev/gemini-api/docs/thinking>): an effort is a `thinkingLevel` (Gemini 3;
/// the enum values of <https://ai.google.dev/api/generate-content#ThinkingLevel>, `max` being
/// Gemini's highest, `HIGH`), a budget is `thinkingBudget` (Gemini 2.5; Gemini 3 takes it for
/// backwards compatibility), effort `none` is `thinkingBudget: 0`, the documented way to turn
/// thinking off; `include` asks for thought summaries (`includeThoughts`). A model the catalog
/// says does not reason gets no thinking config at all.
pub(super) fn thinking_config(request: &CompletionRequest) -> Option<Value> {
    let reasoning = request.reasoning.as_ref()?;
    let controls = request
        .model_info
        .as_deref()
        .and_then(|m| m.reasoning.as_ref());
    if controls == Some(&Controls::None) {
        return None;
    }
    let mut config = Map::new();
    if let Some(budget) = reasoning.budget_tokens {
        config.insert("thinkingBudget".into(), json!(budget));
    }
    match reasoning.effort {
        Some(Effort::None) if reasoning.budget_tokens.is_none() => {
            config.insert("thinkingBudget".into(), json!(0));
        }
        Some(Effort::None) | None => {}
        Some(effort) => {
            let level = match effort {
                Effort::Minimal => "MINIMAL",
                Effort::Low => "LOW",
                Effort::Medium => "MEDIUM",
                _ => "HIGH",
            };
            config.insert("thinkingLevel".into(), json!(level));
        }
    }
    if reasoning.include {
        config.insert("includeThoughts".into(), json!(true));
    }
    (!config.is_empty()).then_some(Value::Object(config))
}

/// The `generateContent` body for `request`.
pub fn generate_body(request: &CompletionRequest) -> Value {
    let mut body = json!({"contents": contents(&request.messages)});
    if let Some(system) = &request.system {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    let mut config = generation_config(request);
    super::structured::apply(&mut config, request);
    if !config.is_empty() {
        body["generationConfig"] = Value::Object(config);
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                let mut declaration =
                    json!({"name": tool.name, "parametersJsonSchema": tool.input_schema});
                if let Some(description) = &tool.description {
                    declaration["description"] = json!(description);
                }
                declaration
            })
            .collect();
        body["tools"] = json!([{"functionDeclarations": declarations}]);
        if let Some(choice) = &request.tool_choice {
            body["toolConfig"] = tool_config(choice);
        }
    }
    body
}
