//! Reading stdin one bounded line at a time, in time linear in its length.
//!
//! A line is copied once from the read buffer and scanned once for its newline, however many
//! reads it arrives in (judging a line by re-scanning everything read so far was quadratic: a
//! 15 MiB line cost seconds of CPU). A line over [`MAX_LINE`] is not kept: its first
//! [`KEPT_PREFIX`] bytes are, so that the request's id can still be read and the client told.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// The longest line read, newline included: rmcp's bound for every transport (its streamable
/// HTTP client's largest event), so a message fit for one transport fits the others.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// How much of an oversized line is kept to read its id from (ids come first in practice).
pub const KEPT_PREFIX: usize = 4096;

/// One outcome of [`Lines::next`].
#[derive(Debug, PartialEq)]
pub enum Line {
    /// A whole line is in [`Lines::line`], newline excluded.
    Whole,
    /// A line over [`MAX_LINE`] was dropped; [`Lines::line`] holds its first bytes.
    Oversized,
    /// stdin closed (a last line without its newline is dropped, as rmcp does).
    End,
    /// stdin failed.
    Failed(std::io::ErrorKind),
}

/// A bounded line reader; cancel safe (a read interrupted by a `select!` resumes the same line).
pub struct Lines<R> {
    read: BufReader<R>,
    line: Vec<u8>,
    /// Inside a line already over the bound, until its newline.
    oversized: bool,
    /// The previous call returned a line: clear it before reading on.
    returned: bool,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    /// Lines of `read`.
    pub fn new(read: R) -> Self {
        Self {
            read: BufReader::with_capacity(64 * 1024, read),
            line: Vec::new(),
            oversized: false,
            returned: false,
        }
    }

    /// The line (or the kept prefix) the last [`Line::Whole`] or [`Line::Oversized`] was about.
    pub fn line(&self) -> &[u8] {
        &self.line
    }

    /// Reads up to the end of the next line.
    pub async fn next(&mut self) -> Line {
        if std::mem::take(&mut self.returned) {
            self.line.clear();
            self.oversized = false;
            // One long line must not keep its memory for the rest of the session.
            if self.line.capacity() > 1024 * 1024 {
                self.line.shrink_to(64 * 1024);
            }
        }
        loop {
            let (used, newline) = {
                let available = match self.read.fill_buf().await {
                    Ok(available) => available,
                    Err(err) => return Line::Failed(err.kind()),
                };
                if available.is_empty() {
                    return Line::End;
                }
                let newline = memchr::memchr(b'\n', available);
                let take = newline.unwrap_or(available.len());
                let piece = &available[..take];
                if !self.oversized && self.line.len() + piece.len() >= MAX_LINE {
                    self.oversized = true;
                    self.line.truncate(KEPT_PREFIX);
                }
                if self.oversized {
                    let room = KEPT_PREFIX.saturating_sub(self.line.len());
                    self.line.extend_from_slice(&piece[..room.min(piece.len())]);
                } else {
                    self.line.extend_from_slice(piece);
                }
                (newline.map_or(take, |n| n + 1), newline.is_some())
            };
            // No await between the copy and the consume: a cancelled read loses nothing.
            self.read.consume(used);
            if newline {
                self.returned = true;
                if self.line.last() == Some(&b'\r') && !self.oversized {
                    self.line.pop();
                }
                return if self.oversized {
                    self.line.shrink_to(KEPT_PREFIX);
                    Line::Oversized
                } else {
                    Line::Whole
                };
            }
        }
    }
}
