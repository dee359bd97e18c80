//! Splitting a streamed body into lines as its chunks arrive, in time linear in the body: the
//! scan for the next line end resumes where it stopped, so a line that grows chunk by chunk is
//! never scanned twice, and a line longer than [`MAX_EVENT_BYTES`] is refused the moment it
//! passes the bound, newline or not.

use crate::error::{ErrorKind, LlmError};

/// No stream line or event is longer than this: the largest real event (a Responses
/// `response.completed` repeating the whole answer, a Gemini chunk with an inline image) is a
/// few MiB, and half the body bound leaves room for two.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// The bytes of a stream not yet split into lines.
#[derive(Debug)]
pub struct Lines {
    buffer: Vec<u8>,
    /// Where the current (unfinished) line starts in `buffer`.
    start: usize,
    /// How far past `start` the buffer was already searched for a line end.
    scanned: usize,
    /// Whether a lone CR ends a line (SSE), or only LF does (NDJSON).
    cr_ends_line: bool,
    /// The CR of a CRLF was the last line end: an LF right after it ends nothing.
    after_cr: bool,
}

impl Lines {
    /// Lines ended by LF (NDJSON; a CR before it is whitespace the reader trims).
    pub fn lf() -> Self {
        Self::new(false)
    }

    /// Lines ended by CRLF, LF or CR, as the SSE format allows.
    pub fn any_end() -> Self {
        Self::new(true)
    }

    fn new(cr_ends_line: bool) -> Self {
        Self {
            buffer: Vec::new(),
            start: 0,
            scanned: 0,
            cr_ends_line,
            after_cr: false,
        }
    }

    /// Adds the next chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        // Drop finished lines before growing, so the buffer holds at most one line and a chunk.
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// The next complete line (without its end), `None` until more bytes arrive, or an
    /// `invalid_response` error once the unfinished line passes [`MAX_EVENT_BYTES`].
    pub fn next_line(&mut self) -> Result<Option<String>, LlmError> {
        if self.after_cr && self.buffer.get(self.start) == Some(&b'\n') {
            self.start += 1;
        }
        if self.start < self.buffer.len() {
            self.after_cr = false;
        }
        let rest = &self.buffer[self.start + self.scanned..];
        let found = rest
            .iter()
            .position(|b| *b == b'\n' || (self.cr_ends_line && *b == b'\r'));
        let Some(offset) = found else {
            self.scanned = self.buffer.len() - self.start;
            return if self.scanned > MAX_EVENT_BYTES {
                Err(too_long("line"))
            } else {
                Ok(None)
            };
        };
        let end = self.start + self.scanned + offset;
        if end - self.start > MAX_EVENT_BYTES {
            return Err(too_long("line"));
        }
        let line = String::from_utf8_lossy(&self.buffer[self.start..end]).into_owned();
        self.after_cr = self.buffer[end] == b'\r';
        self.start = end + 1;
        self.scanned = 0;
        Ok(Some(line))
    }

    /// The unfinished last line once the body has ended, if it holds anything.
    pub fn rest(&mut self) -> Option<String> {
        let rest = &self.buffer[self.start..];
        let line = (!rest.is_empty()).then(|| String::from_utf8_lossy(rest).into_owned());
        self.buffer.clear();
        self.start = 0;
        self.scanned = 0;
        line
    }
}

/// The error for a stream `what` (line, event) past [`MAX_EVENT_BYTES`].
pub fn too_long(what: &str) -> LlmError {
    LlmError::new(
        ErrorKind::InvalidResponse,
        format!(
            "a stream {what} of the provider exceeds {} MiB; cut off",
            MAX_EVENT_BYTES >> 20
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(lines: &mut Lines) -> Vec<String> {
        std::iter::from_fn(|| lines.next_line().unwrap()).collect()
    }

    #[test]
    fn lines_split_across_chunks_and_every_line_end() {
        let mut lines = Lines::any_end();
        lines.push(b"a\r");
        assert_eq!(all(&mut lines), ["a"]);
        // The LF of that CRLF arrives in the next chunk and ends nothing.
        lines.push(b"\nb\nc\r\rd");
        assert_eq!(all(&mut lines), ["b", "c", ""]);
        lines.push(b"e\r\n\r\n");
        assert_eq!(all(&mut lines), ["de", ""]);
        assert_eq!(lines.rest(), None);
    }

    #[test]
    fn ndjson_lines_end_at_lf_only() {
        let mut lines = Lines::lf();
        lines.push(b"{\"a\":\r1}\r\n{\"b\"");
        assert_eq!(all(&mut lines), ["{\"a\":\r1}\r"]);
        lines.push(b":2}");
        assert_eq!(all(&mut lines), Vec::<String>::new());
        assert_eq!(lines.rest().as_deref(), Some("{\"b\":2}"));
    }

    #[test]
    fn a_line_without_end_is_refused_at_the_bound_not_buffered_on() {
        let mut lines = Lines::lf();
        let chunk = vec![b'x'; 1 << 20];
        let mut pushed = 0;
        let err = loop {
            lines.push(&chunk);
            pushed += chunk.len();
            match lines.next_line() {
                Ok(None) => assert!(pushed <= MAX_EVENT_BYTES, "{pushed}"),
                Ok(Some(line)) => panic!("a line of {} bytes", line.len()),
                Err(err) => break err,
            }
        };
        assert_eq!(pushed, MAX_EVENT_BYTES + (1 << 20));
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("16 MiB"), "{}", err.message);
    }

    #[test]
    fn scanning_resumes_where_it_stopped() {
        let mut lines = Lines::lf();
        for _ in 0..1000 {
            lines.push(b"xxxx");
            assert_eq!(lines.next_line().unwrap(), None);
        }
        assert_eq!(lines.scanned, 4000);
        lines.push(b"\n");
        assert_eq!(lines.next_line().unwrap().map(|l| l.len()), Some(4000));
    }
}
