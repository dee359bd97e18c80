//! One file per wire format: each maps the neutral types onto its provider's API and back, and
//! holds unit tests on literal bodies from that provider's API reference. Below: the helpers
//! more than one format needs.

pub mod anthropic;
pub mod gemini;
pub mod mistral;
pub mod ollama;
pub mod openai;
pub mod presets;
pub mod responses;

use serde_json::{Map, Value};

use crate::completion::{Message, Role};
use crate::error::{ErrorKind, LlmError, excerpt};

/// The name of the tool the call `id` went to: the latest assistant turn before `before` that
/// made a call with that id (generated ids such as `call_0` repeat from one turn to the next).
pub fn tool_name_for<'a>(messages: &'a [Message], before: usize, id: &str) -> Option<&'a str> {
    messages[..before]
        .iter()
        .rev()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| m.tool_calls.iter())
        .find(|call| call.id == id)
        .map(|call| call.name.as_str())
}

/// Tool-call arguments as an object: Ollama and Gemini send one, OpenAI-style APIs (Mistral) a
/// JSON string holding one; null means no arguments. Anything else is an invalid response.
pub fn arguments_object(name: &str, value: Value) -> Result<Map<String, Value>, LlmError> {
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    match value {
        Value::Object(map) => Ok(map),
        other => Err(LlmError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the arguments of the call to {name} are not a JSON object: {}",
                excerpt(other.to_string().as_bytes())
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::ToolCall;
    use serde_json::json;

    #[test]
    fn a_repeated_generated_id_names_the_latest_call() {
        let call = |name: &str| Message {
            role: Role::Assistant,
            content: String::new(),
            tool_call_id: None,
            tool_calls: vec![ToolCall {
                id: "call_0".into(),
                name: name.into(),
                arguments: Map::new(),
            }],
            provider_state: None,
            attachments: Vec::new(),
        };
        let result = Message {
            role: Role::Tool,
            content: "ok".into(),
            tool_call_id: Some("call_0".into()),
            tool_calls: Vec::new(),
            provider_state: None,
            attachments: Vec::new(),
        };
        let messages = vec![
            Message::user("go"),
            call("first"),
            result.clone(),
            call("second"),
            result,
        ];
        assert_eq!(tool_name_for(&messages, 2, "call_0"), Some("first"));
        assert_eq!(tool_name_for(&messages, 4, "call_0"), Some("second"));
    }

    #[test]
    fn arguments_are_objects_or_json_strings_holding_one() {
        assert_eq!(
            arguments_object("f", json!({"a": 1})).unwrap()["a"],
            json!(1)
        );
        assert_eq!(
            arguments_object("f", json!("{\"a\": 2}")).unwrap()["a"],
            json!(2)
        );
        assert!(arguments_object("f", Value::Null).unwrap().is_empty());
        let err = arguments_object("lookup", json!("not json")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("lookup"));
    }
}
