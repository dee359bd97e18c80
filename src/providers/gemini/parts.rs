//! Images and PDF documents as Gemini parts, and Gemini's size limits.
//!
//! Shapes (<https://ai.google.dev/gemini-api/docs/file-input-methods>): bytes are
//! `{"inlineData": {"mimeType", "data"}}`; a URL is `{"fileData": {"mimeType", "fileUri"}}`
//! (public https URLs are fetched by Gemini). Each comes before the turn's text. Limits, same
//! page: inline data up to 100 MB per request, PDFs up to 50 MB.

use serde_json::{Value, json};

use crate::completion::{CompletionRequest, Message};
use crate::content::{self, Attachment, AttachmentKind, Source};
use crate::error::{ErrorKind, LlmError};

const PAGE: &str = "https://ai.google.dev/gemini-api/docs/file-input-methods";
const MB: usize = 1024 * 1024;
/// The most inline data one request may carry.
pub const MAX_INLINE: usize = 100 * MB;
/// The largest PDF.
pub const MAX_PDF: usize = 50 * MB;

/// Refuses, before anything is sent, a part Gemini cannot take as asked or one over its
/// documented limits.
pub(super) fn check(request: &CompletionRequest) -> Result<(), LlmError> {
    let mut inline = 0;
    for attachment in request.attachments() {
        if let Source::Path { .. } = attachment.source {
            return Err(content::unresolved());
        }
        if mime_type(attachment).is_none() {
            return Err(LlmError::new(
                ErrorKind::BadRequest,
                "Gemini needs the media_type of an image url (fileData.mimeType); give media_type",
            ));
        }
        let bytes = attachment.data_bytes();
        if attachment.kind == AttachmentKind::Document && bytes > MAX_PDF {
            return Err(content::over_limit("Gemini", "a PDF", bytes, MAX_PDF, PAGE));
        }
        inline += bytes;
    }
    if inline > MAX_INLINE {
        return Err(content::over_limit(
            "Gemini",
            "the inline images and documents together",
            inline,
            MAX_INLINE,
            PAGE,
        ));
    }
    Ok(())
}

/// The media type: given, a document's `application/pdf`, or an image URL's extension.
fn mime_type(attachment: &Attachment) -> Option<String> {
    if let Some(media_type) = attachment.media_type() {
        return Some(media_type.to_string());
    }
    let Source::Url { url, .. } = &attachment.source else {
        return None;
    };
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    [
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".gif", "image/gif"),
        (".webp", "image/webp"),
    ]
    .into_iter()
    .find(|(ext, _)| path.ends_with(ext))
    .map(|(_, media_type)| media_type.to_string())
}

/// The parts of a user turn: its attachments, then its text.
pub(super) fn user_parts(message: &Message) -> Vec<Value> {
    let mut parts: Vec<Value> = message.attachments.iter().map(part).collect();
    if !message.content.is_empty() || parts.is_empty() {
        parts.push(json!({"text": message.content}));
    }
    parts
}

fn part(attachment: &Attachment) -> Value {
    // `check` made sure every attachment has a type and none is a path.
    let mime_type = mime_type(attachment).unwrap_or_default();
    match &attachment.source {
        Source::Data { data, .. } => json!({"inlineData": {"mimeType": mime_type, "data": data}}),
        Source::Url { url, .. } => json!({"fileData": {"mimeType": mime_type, "fileUri": url}}),
        Source::Path { .. } => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content: Value) -> CompletionRequest {
        crate::completion::user_request("gemini-3-flash", content)
    }

    #[test]
    fn bytes_are_inline_data_and_urls_file_data_before_the_text() {
        let req = request(json!([
            {"type": "text", "text": "Describe."},
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "image", "url": "https://example.com/b.JPG?x=1"},
            {"type": "document", "url": "https://example.com/c.pdf"}
        ]));
        check(&req).unwrap();
        assert_eq!(
            super::super::request::generate_body(&req)["contents"],
            json!([{"role": "user", "parts": [
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/b.JPG?x=1"}},
                {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/c.pdf"}},
                {"text": "Describe."}
            ]}])
        );
    }

    #[test]
    fn an_untyped_url_or_a_pdf_over_fifty_megabytes_is_refused() {
        let untyped = request(json!([{"type": "image", "url": "https://example.com/image"}]));
        assert!(check(&untyped).unwrap_err().message.contains("media_type"));
        let big = request(json!([{"type": "document", "data": "A".repeat(51 * MB / 3 * 4)}]));
        let err = check(&big).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.contains("Gemini takes at most 50 MB"), "{err}");
    }
}
