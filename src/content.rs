//! A message's content parts: `content` is a string or a list of parts (text, image, PDF
//! document, and MCP's own `image`, `resource` and `resource_link` shapes), parsed into the
//! neutral [`Message`]: its text in `content`, every non-text part in `attachments`.
//!
//! A part names its bytes by `url`, by `data` (base64) with `media_type`, or by `path`; a
//! path is read only under the directories the operator allowed (`--allow-files`), by
//! [`resolve_paths`], before anything is sent, so adapters only ever see urls and data.

use std::io::Read;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::completion::{Message, ProviderState, Role, ToolCall};
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
    /// A local file, read by [`resolve_paths`] before the request is built; adapters never
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
    /// A path is never passed here (see [`resolve_paths`]); it is refused.
    pub fn url_or_data_url(&self) -> Result<String, LlmError> {
        match &self.source {
            Source::Url { url, .. } => Ok(url.clone()),
            Source::Data { media_type, data } => Ok(format!("data:{media_type};base64,{data}")),
            Source::Path { .. } => Err(unresolved()),
        }
    }
}

/// The error of a path that reached an adapter unread (a bug: [`resolve_paths`] runs first).
pub fn unresolved() -> LlmError {
    bad("a path part was not read before the request was built")
}

const PDF: &str = "application/pdf";
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

fn bad(message: impl Into<String>) -> LlmError {
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

/// `message` as it travels in JSON: `content` is a string, or a list of parts when the turn
/// has attachments.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Message")]
pub struct MessageWire {
    /// user, assistant or tool.
    #[serde(default)]
    pub role: Role,
    /// The text of the turn, or (user turns) a list of parts: {type: text, text},
    /// {type: image, url | data + media_type | path}, {type: document, url | data | path} (PDF),
    /// or MCP image, resource and resource_link content.
    #[serde(default)]
    #[schemars(schema_with = "content_schema")]
    pub content: Value,
    /// For a tool turn: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For an assistant turn: the tool calls it made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For an assistant turn: what the provider needs back unchanged on the next turn
    /// (thinking blocks, thought signatures, reasoning items), as `record.message` carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_state: Option<ProviderState>,
}

// Text or a list of parts: no single `type` says both, and a `type` array or `anyOf` is what
// single-type dialects (Gemini function declarations, OpenAPI subsets) cannot map, so the
// schema is open and `messages`' description says what goes here.
fn content_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({})
}

/// The schema of `complete`'s `images` and `documents`: a list of objects, described by the
/// argument's own text (the tool-list budget has no room for the part fields twice).
pub fn attachments_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "array", "items": {"type": "object"}})
}

impl TryFrom<MessageWire> for Message {
    type Error = String;

    fn try_from(wire: MessageWire) -> Result<Self, String> {
        let (content, attachments) = match wire.content {
            Value::Null => (String::new(), Vec::new()),
            Value::String(text) => (text, Vec::new()),
            Value::Array(parts) => parse_parts(&parts)?,
            other => {
                return Err(format!(
                    "content: expected a string or a list of parts, got {}",
                    kind_of(&other)
                ));
            }
        };
        Ok(Message {
            role: wire.role,
            content,
            tool_call_id: wire.tool_call_id,
            tool_calls: wire.tool_calls,
            provider_state: wire.provider_state,
            attachments,
        })
    }
}

impl From<Message> for MessageWire {
    fn from(message: Message) -> Self {
        let content = if message.attachments.is_empty() {
            Value::String(message.content)
        } else {
            let mut parts: Vec<Value> = message.attachments.iter().map(part_json).collect();
            if !message.content.is_empty() {
                parts.push(json!({"type": "text", "text": message.content}));
            }
            Value::Array(parts)
        };
        MessageWire {
            role: message.role,
            content,
            tool_call_id: message.tool_call_id,
            tool_calls: message.tool_calls,
            provider_state: message.provider_state,
        }
    }
}

fn part_json(attachment: &Attachment) -> Value {
    let mut part = Map::new();
    part.insert("type".into(), attachment.kind.as_str().into());
    let (key, value, media_type) = match &attachment.source {
        Source::Url { url, media_type } => ("url", url.clone(), media_type.clone()),
        Source::Data { media_type, data } => ("data", data.clone(), Some(media_type.clone())),
        Source::Path { path, media_type } => (
            "path",
            path.to_string_lossy().into_owned(),
            media_type.clone(),
        ),
    };
    part.insert(key.into(), value.into());
    if let Some(media_type) = media_type {
        part.insert("media_type".into(), media_type.into());
    }
    Value::Object(part)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Text parts joined by blank lines, and the other parts in order.
fn parse_parts(parts: &[Value]) -> Result<(String, Vec<Attachment>), String> {
    let mut texts = Vec::new();
    let mut attachments = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        match parse_part(part).map_err(|e| format!("content[{i}]: {e}"))? {
            Part::Text(text) => texts.push(text),
            Part::Attachment(a) => attachments.push(a),
        }
    }
    Ok((texts.join("\n\n"), attachments))
}

enum Part {
    Text(String),
    Attachment(Attachment),
}

fn field<'a>(part: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match part.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{name}: expected a string, got {}", kind_of(other))),
    }
}

fn parse_part(part: &Value) -> Result<Part, String> {
    let Value::Object(part) = part else {
        return Err(format!("expected a part object, got {}", kind_of(part)));
    };
    let kind = field(part, "type")?.ok_or("missing type")?;
    match kind {
        "text" => Ok(Part::Text(
            field(part, "text")?.ok_or("missing text")?.into(),
        )),
        "image" | "document" => {
            let kind = if kind == "image" {
                AttachmentKind::Image
            } else {
                AttachmentKind::Document
            };
            // MCP's image content spells it mimeType.
            let media_type = field(part, "media_type")?.or(field(part, "mimeType")?);
            let source = match (
                field(part, "url")?,
                field(part, "data")?,
                field(part, "path")?,
            ) {
                (Some(url), None, None) => url_source(url, media_type)?,
                (None, Some(data), None) => Source::Data {
                    media_type: media_type
                        .or((kind == AttachmentKind::Document).then_some(PDF))
                        .ok_or("data needs a media_type")?
                        .to_string(),
                    data: data.to_string(),
                },
                (None, None, Some(path)) => Source::Path {
                    path: PathBuf::from(path),
                    media_type: media_type.map(str::to_string),
                },
                _ => return Err("expected exactly one of url, data or path".into()),
            };
            attachment(kind, source).map(Part::Attachment)
        }
        "resource" => {
            let Some(Value::Object(resource)) = part.get("resource") else {
                return Err("missing resource".into());
            };
            if let Some(text) = field(resource, "text")? {
                return Ok(Part::Text(text.into()));
            }
            let blob = field(resource, "blob")?.ok_or("resource: expected text or blob")?;
            let media_type = field(resource, "mimeType")?.ok_or("resource: missing mimeType")?;
            let source = Source::Data {
                media_type: media_type.into(),
                data: blob.into(),
            };
            attachment(kind_for(media_type)?, source).map(Part::Attachment)
        }
        "resource_link" => {
            let uri = field(part, "uri")?.ok_or("missing uri")?;
            let media_type = field(part, "mimeType")?.ok_or("resource_link: missing mimeType")?;
            if !(uri.starts_with("https://") || uri.starts_with("http://")) {
                return Err(format!(
                    "resource_link {uri}: only http(s) links can be passed to a provider"
                ));
            }
            let source = Source::Url {
                url: uri.into(),
                media_type: Some(media_type.into()),
            };
            attachment(kind_for(media_type)?, source).map(Part::Attachment)
        }
        other => Err(format!(
            "unknown part type {other:?}: expected text, image, document, resource or resource_link"
        )),
    }
}

fn kind_for(media_type: &str) -> Result<AttachmentKind, String> {
    if media_type == PDF {
        Ok(AttachmentKind::Document)
    } else if media_type.starts_with("image/") {
        Ok(AttachmentKind::Image)
    } else {
        Err(format!(
            "{media_type} content cannot be passed to a model: only images and PDF documents"
        ))
    }
}

/// A `url`: a `data:` URL is inline data; anything else must be http(s).
fn url_source(url: &str, media_type: Option<&str>) -> Result<Source, String> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (media_type, data) = rest
            .split_once(";base64,")
            .ok_or("a data: url must be base64 (data:TYPE;base64,...)")?;
        return Ok(Source::Data {
            media_type: media_type.into(),
            data: data.into(),
        });
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("url {url:?}: expected an http(s) or data: url"));
    }
    Ok(Source::Url {
        url: url.into(),
        media_type: media_type.map(str::to_string),
    })
}

/// Checks the media type and the base64 of an attachment.
fn attachment(kind: AttachmentKind, source: Source) -> Result<Attachment, String> {
    let attachment = Attachment { kind, source };
    if let Some(media_type) = attachment.media_type() {
        check_media_type(kind, media_type)?;
    }
    if let Source::Data { data, .. } = &attachment.source
        && !is_base64(data)
    {
        return Err("data is not base64".into());
    }
    Ok(attachment)
}

fn check_media_type(kind: AttachmentKind, media_type: &str) -> Result<(), String> {
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

fn is_base64(data: &str) -> bool {
    let body = data.trim_end_matches('=');
    data.len() - body.len() <= 2
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), for the bytes of a file.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The directories `--allow-files` names, canonical, each checked to be a directory.
pub fn allowed_dirs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    dirs.iter()
        .map(|dir| {
            let canonical = dir
                .canonicalize()
                .map_err(|e| format!("--allow-files {}: {e}", dir.display()))?;
            if !canonical.is_dir() {
                return Err(format!("--allow-files {}: not a directory", dir.display()));
            }
            Ok(canonical)
        })
        .collect()
}

/// Reads every `path` part of `messages` into inline data, or refuses the call: a path must
/// be absolute and, once symlinks are resolved, inside one of `allowed` (canonical
/// directories); a file outside is never opened. Also bounds the number of attachments and
/// keeps them to user turns.
pub fn resolve_paths(messages: &mut [Message], allowed: &[PathBuf]) -> Result<(), LlmError> {
    let count: usize = messages.iter().map(|m| m.attachments.len()).sum();
    if count > MAX_ATTACHMENTS {
        return Err(bad(format!(
            "{count} images and documents; the limit is {MAX_ATTACHMENTS} per call"
        )));
    }
    for (i, message) in messages.iter_mut().enumerate() {
        if message.role != Role::User && !message.attachments.is_empty() {
            return Err(bad(format!(
                "messages[{i}]: images and documents are taken in user turns only"
            )));
        }
        for attachment in &mut message.attachments {
            if let Source::Path { path, media_type } = &attachment.source {
                attachment.source =
                    read_file(attachment.kind, path, media_type.as_deref(), allowed)?;
            }
        }
    }
    let total: usize = attachments(messages).map(Attachment::data_bytes).sum();
    if total > MAX_TOTAL_BYTES {
        return Err(bad(format!(
            "the images and documents hold {total} bytes; the limit is {} MB per call",
            MAX_TOTAL_BYTES >> 20
        )));
    }
    Ok(())
}

fn read_file(
    kind: AttachmentKind,
    path: &Path,
    media_type: Option<&str>,
    allowed: &[PathBuf],
) -> Result<Source, LlmError> {
    let shown = path.display();
    if allowed.is_empty() {
        return Err(bad(format!(
            "path {shown}: this server reads no files (the operator did not pass --allow-files DIR)"
        )));
    }
    if !path.is_absolute() {
        return Err(bad(format!("path {shown}: expected an absolute path")));
    }
    // Canonical, so `..` and symlinks cannot lead out of an allowed directory.
    let canonical = path
        .canonicalize()
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if !allowed.iter().any(|dir| canonical.starts_with(dir)) {
        return Err(bad(format!(
            "path {shown} is outside the directories this server may read (--allow-files)"
        )));
    }
    let media_type = match media_type {
        Some(m) => m.to_string(),
        None => guess_media_type(kind, &canonical).ok_or_else(|| {
            bad(format!(
                "path {shown}: give a media_type (the extension does not say)"
            ))
        })?,
    };
    check_media_type(kind, &media_type).map_err(bad)?;
    let file = std::fs::File::open(&canonical).map_err(|e| bad(format!("path {shown}: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(bad(format!("path {shown}: not a file")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(bad(format!(
            "path {shown} is over {} MB, the most this server reads",
            MAX_FILE_BYTES >> 20
        )));
    }
    if kind == AttachmentKind::Document && !bytes.starts_with(b"%PDF-") {
        return Err(bad(format!("path {shown}: not a PDF file")));
    }
    Ok(Source::Data {
        media_type,
        data: base64(&bytes),
    })
}

fn guess_media_type(kind: AttachmentKind, path: &Path) -> Option<String> {
    if kind == AttachmentKind::Document {
        return Some(PDF.into());
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let media_type = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    };
    Some(media_type.into())
}

/// Every attachment of `messages`, in order.
pub fn attachments(messages: &[Message]) -> impl Iterator<Item = &Attachment> {
    messages.iter().flat_map(|m| m.attachments.iter())
}

#[cfg(test)]
mod tests;
