//! A server's answer that can go back to a client as the server's own bytes, under the
//! client's id: the supervisor's passthrough relays most answers so (docs/performance.md).
//!
//! Plain means what rmcp's way would read and write back with the same meaning: exactly the
//! members `jsonrpc`, `id` and one of `result` (a finished tool result of the fields of a
//! `CallToolResult` only, see [`super::tool_result`]) or `error` (`code`, `message`, perhaps
//! `data`). The line is parsed once, strictly, without allocating for its text (and decoded
//! only if it may hold a lone surrogate, [`super::surrogates`]), and the answer under another
//! id is the same line with its id spliced out.

use std::ops::Range;

use rmcp::model::JsonRpcVersion2_0;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::surrogates::strings_decode;
use super::tool_result::{Text, ToolResult};

/// An answer line that is plainly a tool result or a JSON-RPC error.
pub struct PlainAnswer<'a> {
    line: &'a [u8],
    id: &'a RawValue,
    /// Where `id` is in `line`.
    at: Range<usize>,
}

impl<'a> PlainAnswer<'a> {
    /// Reads `line` (newline excluded); `None` for any line that is not plain.
    pub fn read(line: &'a [u8]) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Answer<'a> {
            #[serde(rename = "jsonrpc")]
            _version: JsonRpcVersion2_0,
            #[serde(borrow)]
            id: &'a RawValue,
            result: Option<ToolResult<Text, IgnoredAny>>,
            error: Option<Error>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Error {
            #[serde(rename = "code")]
            _code: i32,
            #[serde(rename = "message")]
            _message: Text,
            #[serde(rename = "data")]
            _data: Option<IgnoredAny>,
        }
        // Checked as UTF-8 once, whole, rather than string by string and raw value by raw
        // value as `from_slice` does.
        let answer: Answer = serde_json::from_str(std::str::from_utf8(line).ok()?).ok()?;
        let plain = match (&answer.result, &answer.error) {
            (Some(result), None) => result.is_complete(),
            (None, Some(_)) => true,
            _ => false,
        };
        if !plain || !strings_decode(line) {
            return None;
        }
        // The id is borrowed from `line`: its place is where its bytes are.
        let id = answer.id;
        let start = (id.get().as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
        let at = start..start + id.get().len();
        (line.get(at.clone())? == id.get().as_bytes()).then_some(Self { line, id, at })
    }

    /// The id the server answered, as it wrote it.
    pub fn id(&self) -> &'a RawValue {
        self.id
    }

    /// The answer under `id` (a JSON value), with a newline.
    pub fn with_id(&self, id: &str) -> Vec<u8> {
        let (before, after) = (&self.line[..self.at.start], &self.line[self.at.end..]);
        let mut line = Vec::with_capacity(before.len() + id.len() + after.len() + 1);
        line.extend_from_slice(before);
        line.extend_from_slice(id.as_bytes());
        line.extend_from_slice(after);
        line.push(b'\n');
        line
    }
}

#[cfg(test)]
mod tests;
