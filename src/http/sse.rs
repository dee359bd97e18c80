//! SSE framing (Anthropic, OpenAI, Gemini, Mistral): named or unnamed events of `data:` lines,
//! parsed as the chunks arrive (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! lines end with CRLF, LF or CR; a blank line ends an event; `data` lines join with LF;
//! `event` names it (`message` when unnamed); comments (`:`), `id` and `retry` are skipped.
//! Each line and each event is bounded by [`MAX_EVENT_BYTES`].

use super::framer::Framer;
use super::lines::{Lines, MAX_EVENT_BYTES, too_long};
use crate::error::LlmError;

/// The SSE events of a body, as its chunks arrive.
#[derive(Debug)]
pub struct Events {
    lines: Lines,
    name: String,
    data: String,
    /// Whether the event so far has a `data` field (which may be empty).
    has_data: bool,
    /// Whether the body's first line was read (a byte-order mark before it is dropped).
    started: bool,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            lines: Lines::any_end(),
            name: String::new(),
            data: String::new(),
            has_data: false,
            started: false,
        }
    }
}

impl Events {
    /// Takes one line; a blank one completes the event so far.
    fn line(&mut self, line: &str) -> Result<Option<(String, String)>, LlmError> {
        let line = if self.started {
            line
        } else {
            self.started = true;
            line.strip_prefix('\u{feff}').unwrap_or(line)
        };
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.data.len() + value.len() + 1 > MAX_EVENT_BYTES {
                    return Err(too_long("event"));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => value.clone_into(&mut self.name),
            // Comments (empty field), `id`, `retry` and unknown fields mean nothing here.
            _ => {}
        }
        Ok(None)
    }

    /// The event so far, if it has data; either way the next one starts empty.
    fn dispatch(&mut self) -> Option<(String, String)> {
        let name = std::mem::take(&mut self.name);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        let name = if name.is_empty() {
            "message".to_string()
        } else {
            name
        };
        Some((name, data))
    }
}

impl Framer for Events {
    fn push(&mut self, chunk: &[u8]) {
        self.lines.push(chunk);
    }

    fn next(&mut self) -> Result<Option<(String, String)>, LlmError> {
        while let Some(line) = self.lines.next_line()? {
            if let Some(event) = self.line(&line)? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    fn end(&mut self) -> Result<Option<(String, String)>, LlmError> {
        // A last event without its blank line still counts: some servers end with
        // `data: [DONE]\n` and no blank line after it.
        if let Some(line) = self.lines.rest() {
            // Never blank (a rest holds bytes), so it completes nothing by itself.
            self.line(&line)?;
        }
        Ok(self.dispatch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<(String, String)> {
        let mut parser = Events::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk);
            while let Some(event) = parser.next().unwrap() {
                out.push(event);
            }
        }
        out.extend(parser.end().unwrap());
        out
    }

    fn ev(name: &str, data: &str) -> (String, String) {
        (name.to_string(), data.to_string())
    }

    #[test]
    fn named_and_unnamed_events_across_chunks() {
        let got = events(&[
            b"\xef\xbb\xbfevent: message_start\ndata: {\"a\"",
            b":1}\n\n: a comment\nid: 7\nretry: 10\ndata:x\ndata: y\r\n\r\n",
            b"data\n\nevent: ping\n\ndata: [DONE]\n",
        ]);
        assert_eq!(
            got,
            [
                ev("message_start", "{\"a\":1}"),
                ev("message", "x\ny"),
                ev("message", ""),
                ev("message", "[DONE]"),
            ]
        );
    }

    #[test]
    fn an_event_of_many_lines_is_bounded_as_a_whole() {
        let mut parser = Events::default();
        let line = format!("data: {}\n", "x".repeat(1 << 20));
        let err = (0..20)
            .find_map(|_| {
                parser.push(line.as_bytes());
                parser.next().err()
            })
            .expect("refused before 20 MiB");
        assert!(err.message.contains("event") && err.message.contains("16 MiB"));
    }
}
