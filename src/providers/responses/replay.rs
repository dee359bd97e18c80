//! The output items an answer leaves in its [`ProviderState`], and when a later turn sends
//! them back unchanged.
//!
//! A reasoning model's `reasoning` item must travel back with the item it preceded: the API
//! refuses a `function_call` without it (`Item 'fc_…' of type 'function_call' was provided
//! without its required 'reasoning' item: 'rs_…'`) and a reasoning item without the item that
//! followed it (`… of type 'reasoning' was provided without its required following item`),
//! as reported in continuedev/continue#10018 and #8933. So the whole `output` array of an
//! answer that reasoned is kept, in order, and replayed as it came
//! (<https://cookbook.openai.com/examples/responses_api/reasoning_items>: `context +=
//! response.output`).

use serde_json::Value;

use crate::completion::{Message, ProviderState};

/// The item types an answer to a function-tool request is made of.
const ITEM_TYPES: [&str; 3] = ["reasoning", "message", "function_call"];

/// The state of an answer whose `output` is `items`, by `model`, for the backend `format`: the
/// items themselves when one of them is a reasoning item, else nothing (the turn's text and
/// calls say all there is).
pub(super) fn state(format: &str, model: &str, items: &[Value]) -> Option<ProviderState> {
    let reasoned = items
        .iter()
        .any(|item| item_type(item) == Some("reasoning"));
    reasoned.then(|| ProviderState {
        format: format.to_string(),
        model: model.to_string(),
        parts: items.to_vec(),
    })
}

fn item_type(item: &Value) -> Option<&str> {
    item.get("type").and_then(Value::as_str)
}

/// The items to send for `message` unchanged: its state's parts, when they are Responses
/// output items (Chat Completions state of the same backend is not) and still say what the
/// turn says (the same text and the same calls, in order). A turn the caller edited is rebuilt
/// from what it says instead.
pub(super) fn parts(message: &Message) -> Option<&[Value]> {
    let parts = &message.provider_state.as_ref()?.parts;
    let all_items = parts
        .iter()
        .all(|part| item_type(part).is_some_and(|t| ITEM_TYPES.contains(&t)));
    if !all_items || parts.is_empty() {
        return None;
    }
    let calls: Vec<&str> = parts
        .iter()
        .filter(|part| item_type(part) == Some("function_call"))
        .filter_map(|part| part.get("call_id").and_then(Value::as_str))
        .collect();
    let asked: Vec<&str> = message.tool_calls.iter().map(|c| c.id.as_str()).collect();
    let text = super::items::message_text(parts);
    if calls != asked || text != message.content {
        tracing::debug!(
            "an assistant turn's reasoning items no longer match its text or calls; rebuilt without them"
        );
        return None;
    }
    Some(parts)
}
