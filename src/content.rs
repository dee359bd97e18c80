//! A message's content parts: `content` is a string or a list of parts (text, image, PDF
//! document, and MCP's own `image`, `resource` and `resource_link` shapes), parsed into the
//! neutral [`Message`]: its text in `content`, every non-text part in `attachments`.
//!
//! A part names its bytes by `url`, by `data` (base64) with `media_type`, or by `path`; a
//! path is read only under the directories the operator allowed (`--allow-files`), by
//! `tool_args::resolve_paths`, before anything is sent, so adapters only ever see urls and data.

mod parts;

pub use parts::{attachments_schema, content_json, parse_content};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, LlmError};

/// The largest file a `path` part may name, in bytes (above every provider's inline limit,
/// so the provider's own, smaller limit is the one a caller meets).
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// The most bytes the attachments of one call may hold together.
pub const MAX_TOTAL_BYTES: usize = 100 * 1024 * 1024;
/// The most attachments one call may carry (Anthropic's per-request image limit, the lowest).
pub const MAX_ATTACHMENTS: usize = 100;

/// What an attachment is: an image or a PDF document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentKind {
    /// An image (jpeg, png, gif or webp).
    Image,
    /// A PDF document.
    Document,
}

impl AttachmentKind {
    /// `image` or `document`, as in the part's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
        }
    }
}

/// Where an attachment's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL the provider fetches (`media_type` when the caller gave one).
    Url {
        /// The http(s) URL.
        url: String,
        /// Its media type, when known.
        media_type: Option<String>,
    },
    /// The bytes themselves, base64 (standard alphabet).
    Data {
        /// The media type (`image/png`, `application/pdf`, ...).
        media_type: String,
        /// Base64 of the bytes.
        data: String,
    },
    /// A local file, read by `tool_args::resolve_paths` before the request is built; adapters never
    /// see one.
    Path {
        /// The path as the caller gave it.
        path: PathBuf,
        /// Its media type, when the caller gave one (else from the extension).
        media_type: Option<String>,
    },
}

/// A non-text part of a user turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Image or document.
    pub kind: AttachmentKind,
    /// Where its bytes are.
    pub source: Source,
}

impl Attachment {
    /// The media type: given, or `application/pdf` for any document.
    pub fn media_type(&self) -> Option<&str> {
        match &self.source {
            Source::Url { media_type, .. } | Source::Path { media_type, .. } => {
                media_type.as_deref().or(match self.kind {
                    AttachmentKind::Document => Some(PDF),
                    AttachmentKind::Image => None,
                })
            }
            Source::Data { media_type, .. } => Some(media_type),
        }
    }

    /// The size of the bytes, for inline data (base64 length times 3/4).
    pub fn data_bytes(&self) -> usize {
        match &self.source {
            Source::Data { data, .. } => data.len() / 4 * 3,
            _ => 0,
        }
    }

    /// The bytes as a `data:` URL, or the URL itself: what OpenAI-style APIs take in one field.
    /// A path is never passed here (see `tool_args::resolve_paths`); it is refused.
    pub fn url_or_data_url(&self) -> Result<String, LlmError> {
        match &self.source {
            Source::Url { url, .. } => Ok(url.clone()),
            Source::Data { media_type, data } => Ok(format!("data:{media_type};base64,{data}")),
            Source::Path { .. } => Err(unresolved()),
        }
    }
}

/// The error of a path that reached an adapter unread (a bug: `tool_args::resolve_paths` runs first).
pub fn unresolved() -> LlmError {
    bad("a path part was not read before the request was built")
}

pub(crate) const PDF: &str = "application/pdf";
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

pub(crate) fn bad(message: impl Into<String>) -> LlmError {
    LlmError::new(ErrorKind::BadRequest, message)
}

/// The `[bad_request]` of a backend that does not map `attachment`: never dropped silently.
pub fn refuse(backend: &str, what: &str) -> LlmError {
    bad(format!("{backend} does not take {what} parts"))
}

/// The `[bad_request]` of an attachment over a provider's documented limit.
pub fn over_limit(provider: &str, what: &str, size: usize, limit: usize, page: &str) -> LlmError {
    bad(format!(
        "{what} is {} bytes; {provider} takes at most {} MB ({page})",
        size,
        limit / (1024 * 1024)
    ))
}

pub(crate) fn check_media_type(kind: AttachmentKind, media_type: &str) -> Result<(), String> {
    let ok = match kind {
        AttachmentKind::Image => IMAGE_TYPES.contains(&media_type),
        AttachmentKind::Document => media_type == PDF,
    };
    if ok {
        Ok(())
    } else {
        Err(match kind {
            AttachmentKind::Image => format!(
                "image media_type {media_type:?}: expected one of {}",
                IMAGE_TYPES.join(", ")
            ),
            AttachmentKind::Document => {
                format!("document media_type {media_type:?}: only application/pdf")
            }
        })
    }
}

#[cfg(test)]
mod tests;
