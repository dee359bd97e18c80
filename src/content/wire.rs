//! A message as it travels in JSON ([`MessageWire`]): `content` a string or a list of parts,
//! each part parsed into the neutral [`Attachment`] and written back the same way.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use std::path::PathBuf;

use super::{Attachment, AttachmentKind, PDF, Source, check_media_type};
use crate::completion::{Message, ProviderState, Role, ToolCall};

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
fn is_base64(data: &str) -> bool {
    let body = data.trim_end_matches('=');
    data.len() - body.len() <= 2
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}
