//! A message as it travels in JSON ([`MessageWire`]): `content` a string or a list of parts
//! (read and written by [`crate::content`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Message, ProviderState, Role, ToolCall};
use crate::content::{content_json, parse_content};

/// `message` as it travels in JSON: `content` is a string, or a list of parts when the turn
/// has attachments.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Message")]
pub struct MessageWire {
    /// user, assistant or tool.
    #[serde(default)]
    pub role: Role,
    /// The text of the turn, or (user turns) a list of parts: {type: text, text},
    /// {type: image, url | data + media_type | path}, {type: document, url | data | path} (PDF),
    /// or MCP image, resource and resource_link content.
    #[serde(default)]
    #[schemars(schema_with = "content_schema")]
    pub content: Value,
    /// For a tool turn: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For an assistant turn: the tool calls it made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For an assistant turn: what the provider needs back unchanged on the next turn
    /// (thinking blocks, thought signatures, reasoning items), as `record.message` carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_state: Option<ProviderState>,
}

// Text or a list of parts: no single `type` says both, and a `type` array or `anyOf` is what
// single-type dialects (Gemini function declarations, OpenAPI subsets) cannot map, so the
// schema is open and `messages`' description says what goes here.
fn content_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({})
}

impl TryFrom<MessageWire> for Message {
    type Error = String;

    fn try_from(wire: MessageWire) -> Result<Self, String> {
        let (content, attachments) = parse_content(wire.content)?;
        Ok(Message {
            role: wire.role,
            content,
            tool_call_id: wire.tool_call_id,
            tool_calls: wire.tool_calls,
            provider_state: wire.provider_state,
            attachments,
        })
    }
}

impl From<Message> for MessageWire {
    fn from(message: Message) -> Self {
        MessageWire {
            role: message.role,
            content: content_json(message.content, &message.attachments),
            tool_call_id: message.tool_call_id,
            tool_calls: message.tool_calls,
            provider_state: message.provider_state,
        }
    }
}
