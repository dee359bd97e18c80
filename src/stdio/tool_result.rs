//! The shape of a tool result read without rmcp's union of results: the fields of a
//! `CallToolResult` and nothing else, with content blocks of plain text only.
//!
//! Two readers share it: the pipe's fast read of an answer into a typed result
//! ([`super::server_pipe`]) and the check that an answer can be relayed as its own bytes
//! ([`super::plain_answer`]). A result with any other field may be another kind (a task, a
//! list), which rmcp's union would try first; any other block (an image, annotations,
//! `_meta`) is one rmcp's tagged `ContentBlock` reads by buffering; both take rmcp's way.

use rmcp::model::{MetaObject, ResultType};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A tool result of text blocks, each text kept as `T`, the structured content as `S`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(bound(deserialize = "T: Deserialize<'de>, S: Deserialize<'de>"))]
pub struct ToolResult<T, S> {
    #[serde(default)]
    pub result_type: Option<ResultType>,
    pub content: Option<Vec<TextBlock<T>>>,
    /// A present `null` is `Some`, as rmcp keeps it.
    #[serde(default, deserialize_with = "present")]
    pub structured_content: Option<S>,
    pub is_error: Option<bool>,
    #[serde(rename = "_meta")]
    pub meta: Option<MetaObject>,
}

impl<T, S> ToolResult<T, S> {
    /// Whether rmcp reads it as a finished tool result: `resultType` absent or `complete`,
    /// and at least one of `content`, `structuredContent` and `isError` there.
    pub fn is_complete(&self) -> bool {
        let complete = self
            .result_type
            .as_ref()
            .is_none_or(ResultType::is_complete);
        let known =
            self.content.is_some() || self.structured_content.is_some() || self.is_error.is_some();
        complete && known
    }
}

/// A text block with nothing but its text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBlock<T> {
    #[serde(rename = "type")]
    _kind: TextKind,
    pub text: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum TextKind {
    Text,
}

fn present<'de, D: Deserializer<'de>, S: Deserialize<'de>>(d: D) -> Result<Option<S>, D::Error> {
    S::deserialize(d).map(Some)
}

/// A JSON string, checked and not kept: taken as the raw JSON it is, so its escapes are
/// checked but never decoded into a buffer (serde_json's deserializer only). That check lets
/// a lone surrogate escape through (see [`super::surrogates`]).
pub struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        if raw.get().starts_with('"') {
            Ok(Text)
        } else {
            Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Other("a value that is no string"),
                &"a string",
            ))
        }
    }
}
