//! What an answer's output items say: the text of its messages, a refusal, its reasoning
//! summaries and its function calls, read the same way from a response object and from the
//! items a stream delivered.

use serde_json::Value;

use crate::completion::ToolCall;
use crate::error::LlmError;
use crate::providers::arguments_object;

fn texts<'a>(item: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    item.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The text of the `message` items of `items`, in order: `output_text` parts and refusals.
pub(super) fn message_text(items: &[Value]) -> String {
    items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("message"))
        .flat_map(|item| texts(item, "content"))
        .filter_map(|part| match part.get("type").and_then(Value::as_str) {
            Some("output_text") => part.get("text").and_then(Value::as_str),
            Some("refusal") => part.get("refusal").and_then(Value::as_str),
            _ => None,
        })
        .collect()
}

/// Whether the model refused (a `refusal` part in a message item).
pub(super) fn refused(items: &[Value]) -> bool {
    items
        .iter()
        .flat_map(|item| texts(item, "content"))
        .any(|part| part.get("type").and_then(Value::as_str) == Some("refusal"))
}

/// The reasoning summaries (and any reasoning text) of `items`, paragraphs apart.
pub(super) fn reasoning_text(items: &[Value]) -> Option<String> {
    let parts: Vec<&str> = items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("reasoning"))
        .flat_map(|item| texts(item, "summary").chain(texts(item, "content")))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .filter(|text| !text.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// The `function_call` items of `items`, as tool calls.
pub(super) fn tool_calls(items: &[Value]) -> Result<Vec<ToolCall>, LlmError> {
    items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("function_call"))
        .map(|item| {
            let text = |field: &str| item.get(field).and_then(Value::as_str).unwrap_or_default();
            let name = text("name").to_string();
            let arguments = item.get("arguments").cloned().unwrap_or(Value::Null);
            Ok(ToolCall {
                id: text("call_id").to_string(),
                arguments: arguments_object(&name, arguments)?,
                name,
            })
        })
        .collect()
}
