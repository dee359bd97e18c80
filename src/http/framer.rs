//! [`Framer`]: what a stream's framing ([`super::sse`], [`super::ndjson`]) offers the stream
//! reader ([`super::stream`]), kept apart so the framings and the reader do not import each
//! other.

use crate::error::LlmError;

/// A stream's framing, fed the body chunk by chunk: it hands out each complete event (its
/// name, empty when the framing has none, and its data) as soon as it is complete.
pub trait Framer {
    /// Adds the next chunk of the body.
    fn push(&mut self, chunk: &[u8]);
    /// The next complete event, `None` until more of the body arrives; an error once a line
    /// or event passes its bound.
    fn next(&mut self) -> Result<Option<(String, String)>, LlmError>;
    /// The last event once the body ended, if an unterminated one is left.
    fn end(&mut self) -> Result<Option<(String, String)>, LlmError>;
}
