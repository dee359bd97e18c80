//! A successful tool result: a value as `structuredContent` and as the same JSON in a text
//! block, for clients that read only text. (Failures are [`crate::error::LlmError::to_tool_result`].)

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

/// A result whose structuredContent is `value` and whose text is the same JSON.
pub fn json_result<T: Serialize>(value: &T) -> CallToolResult {
    let json = serde_json::to_value(value).unwrap_or_default();
    let mut result = CallToolResult::success(vec![ContentBlock::text(json.to_string())]);
    result.structured_content = Some(json);
    result
}
