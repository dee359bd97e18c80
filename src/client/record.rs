//! Reading a [`Record`] (or a record with more fields, such as the supervisor's
//! `RoutedRecord`) out of a successful tool result.

use rmcp::model::CallToolResult;
use serde::de::DeserializeOwned;

use super::ClientError;
use super::text::result_text;

/// The record in a tool result: `structuredContent`, else the JSON text content.
pub(crate) fn parse_record<T: DeserializeOwned>(
    tool: &str,
    result: &CallToolResult,
) -> Result<T, ClientError> {
    let invalid = |reason: String| ClientError::InvalidResult {
        tool: tool.to_string(),
        reason,
    };
    match &result.structured_content {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string())),
        None => {
            let text = result_text(result);
            serde_json::from_str(&text).map_err(|e| invalid(format!("{e} in {:.80}", text)))
        }
    }
}
