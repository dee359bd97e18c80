//! NDJSON framing (Ollama): one JSON object a line, a line possibly split across chunks.

use futures::StreamExt;

use super::body::broken_stream;
use crate::error::LlmError;
use crate::stream::StreamState;

/// Feeds each line of the body to `feed` until the provider's final event or the body's end.
pub async fn read(
    response: reqwest::Response,
    state: &mut StreamState,
    feed: &mut impl FnMut(&mut StreamState, &str, &str) -> Result<(), LlmError>,
) -> Result<(), LlmError> {
    let mut chunks = response.bytes_stream();
    let mut lines = LineBuffer::default();
    while !state.done {
        match chunks.next().await {
            Some(Ok(chunk)) => {
                for line in lines.push(&chunk) {
                    feed(state, "", &line)?;
                }
            }
            Some(Err(err)) => return Err(broken_stream(&err)),
            None => {
                if let Some(line) = lines.rest() {
                    feed(state, "", &line)?;
                }
                break;
            }
        }
    }
    Ok(())
}

/// Splits NDJSON bytes into complete lines, keeping a partial last line for the next chunk.
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// Adds `chunk` and returns the complete, non-empty lines it finished.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line).trim().to_string();
            if !text.is_empty() {
                lines.push(text);
            }
        }
        lines
    }

    /// The last line when the body ended without a newline.
    pub fn rest(&mut self) -> Option<String> {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.pending))
            .trim()
            .to_string();
        (!text.is_empty()).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks() {
        let mut buffer = LineBuffer::default();
        assert!(buffer.push(b"{\"a\":").is_empty());
        assert_eq!(buffer.push(b"1}\n\n{\"b\""), vec!["{\"a\":1}".to_string()]);
        assert_eq!(buffer.push(b":2}"), Vec::<String>::new());
        assert_eq!(buffer.rest().as_deref(), Some("{\"b\":2}"));
    }
}
