//! NDJSON framing (Ollama): one JSON object a line, a line possibly split across chunks, each
//! line bounded by [`super::lines::MAX_EVENT_BYTES`].

use super::framer::Framer;
use super::lines::Lines;
use crate::error::LlmError;

/// The non-empty lines of an NDJSON body (trimmed), as its chunks arrive; each is an event
/// with no name.
#[derive(Debug)]
pub struct NdjsonLines(Lines);

impl Default for NdjsonLines {
    fn default() -> Self {
        Self(Lines::lf())
    }
}

/// `line` trimmed, as an unnamed event, unless it is blank.
fn event(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    (!line.is_empty()).then(|| (String::new(), line.to_string()))
}

impl Framer for NdjsonLines {
    fn push(&mut self, chunk: &[u8]) {
        self.0.push(chunk);
    }

    fn next(&mut self) -> Result<Option<(String, String)>, LlmError> {
        while let Some(line) = self.0.next_line()? {
            if let Some(event) = event(&line) {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    fn end(&mut self) -> Result<Option<(String, String)>, LlmError> {
        Ok(self.0.rest().as_deref().and_then(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks() {
        let mut lines = NdjsonLines::default();
        let line = |text: &str| Some((String::new(), text.to_string()));
        lines.push(b"{\"a\":");
        assert_eq!(lines.next().unwrap(), None);
        lines.push(b"1}\n\n{\"b\"");
        assert_eq!(lines.next().unwrap(), line("{\"a\":1}"));
        assert_eq!(lines.next().unwrap(), None);
        lines.push(b":2}");
        assert_eq!(lines.next().unwrap(), None);
        assert_eq!(lines.end().unwrap(), line("{\"b\":2}"));
    }
}
