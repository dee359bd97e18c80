//! A message's `content` as it travels in JSON: a string, or a list of parts, each part parsed
//! into the neutral [`Attachment`] and written back the same way.

use serde_json::{Map, Value, json};

use std::path::PathBuf;

use super::{Attachment, AttachmentKind, PDF, Source, check_media_type};

/// The schema of `complete`'s `images` and `documents`: a list of objects, described by the
/// argument's own text (the tool-list budget has no room for the part fields twice).
pub fn attachments_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "array", "items": {"type": "object"}})
}

/// A message's `content` read: its text (text parts joined by blank lines) and its other parts.
pub fn parse_content(content: Value) -> Result<(String, Vec<Attachment>), String> {
    match content {
        Value::Null => Ok((String::new(), Vec::new())),
        Value::String(text) => Ok((text, Vec::new())),
        Value::Array(parts) => parse_parts(&parts),
        other => Err(format!(
            "content: expected a string or a list of parts, got {}",
            kind_of(&other)
        )),
    }
}

/// A message's `content` written: its text alone as a string, or its attachments as parts
/// followed by its text.
pub fn content_json(text: String, attachments: &[Attachment]) -> Value {
    if attachments.is_empty() {
        return Value::String(text);
    }
    let mut parts: Vec<Value> = attachments.iter().map(part_json).collect();
    if !text.is_empty() {
        parts.push(json!({"type": "text", "text": text}));
    }
    Value::Array(parts)
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
