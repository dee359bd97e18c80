//! Images and PDF documents as Anthropic content blocks, and Anthropic's size limits.
//!
//! Shapes: `{"type": "image" | "document", "source": {"type": "base64", "media_type", "data"}}`
//! or `{"source": {"type": "url", "url"}}`; images before the text, as the vision guide
//! recommends. Limits: 5 MB per image (its base64), 100 images per request, 32 MB per request
//! (<https://platform.claude.com/docs/en/build-with-claude/vision>, "General limits";
//! <https://platform.claude.com/docs/en/build-with-claude/pdf-support>, 32 MB and 100 pages).

use serde_json::{Value, json};

use crate::completion::{CompletionRequest, Message};
use crate::content::{self, Attachment, AttachmentKind, Source};
use crate::error::LlmError;

const VISION: &str = "https://platform.claude.com/docs/en/build-with-claude/vision";
const MB: usize = 1024 * 1024;
/// The largest image, as base64 text.
pub const MAX_IMAGE_BASE64: usize = 5 * MB;
/// The most images in one request.
pub const MAX_IMAGES: usize = 100;
/// The largest request body; attachments alone must fit in it.
pub const MAX_REQUEST: usize = 32 * MB;

/// Refuses, before anything is sent, attachments over Anthropic's documented limits.
pub(super) fn check(request: &CompletionRequest) -> Result<(), LlmError> {
    let mut images = 0;
    let mut total = 0;
    for attachment in request.attachments() {
        let base64_len = match &attachment.source {
            Source::Data { data, .. } => data.len(),
            Source::Url { .. } => 0,
            Source::Path { .. } => return Err(content::unresolved()),
        };
        if attachment.kind == AttachmentKind::Image {
            images += 1;
            if base64_len > MAX_IMAGE_BASE64 {
                return Err(content::over_limit(
                    "Anthropic",
                    "an image (base64)",
                    base64_len,
                    MAX_IMAGE_BASE64,
                    VISION,
                ));
            }
        }
        total += base64_len;
    }
    if images > MAX_IMAGES {
        return Err(LlmError::new(
            crate::error::ErrorKind::BadRequest,
            format!("{images} images; Anthropic takes at most {MAX_IMAGES} per request ({VISION})"),
        ));
    }
    if total > MAX_REQUEST {
        return Err(content::over_limit(
            "Anthropic",
            "the images and documents together",
            total,
            MAX_REQUEST,
            VISION,
        ));
    }
    Ok(())
}

/// The content of a user turn: its attachments as blocks, then its text (if any).
pub(super) fn user_blocks(message: &Message) -> Vec<Value> {
    let mut blocks: Vec<Value> = message.attachments.iter().map(block).collect();
    if !message.content.is_empty() {
        blocks.push(json!({"type": "text", "text": message.content}));
    }
    blocks
}

fn block(attachment: &Attachment) -> Value {
    let source = match &attachment.source {
        Source::Url { url, .. } => json!({"type": "url", "url": url}),
        Source::Data { media_type, data } => {
            json!({"type": "base64", "media_type": media_type, "data": data})
        }
        // `check` refused it already.
        Source::Path { .. } => Value::Null,
    };
    json!({"type": attachment.kind.as_str(), "source": source})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content: Value) -> CompletionRequest {
        crate::completion::user_request("claude-sonnet-5-5", content)
    }

    #[test]
    fn every_part_kind_becomes_its_documented_block_before_the_text() {
        let req = request(json!([
            {"type": "text", "text": "Compare them."},
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "image", "url": "https://example.com/b.jpg"},
            {"type": "document", "data": "JVBERi0=", "media_type": "application/pdf"},
            {"type": "document", "url": "https://example.com/c.pdf"}
        ]));
        check(&req).unwrap();
        let body = super::super::request::body(&req);
        assert_eq!(
            body["messages"],
            json!([{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/b.jpg"}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}},
                {"type": "document", "source": {"type": "url", "url": "https://example.com/c.pdf"}},
                {"type": "text", "text": "Compare them."}
            ]}])
        );
    }

    #[test]
    fn an_image_over_five_megabytes_is_refused_naming_the_limit() {
        let big = "A".repeat(MAX_IMAGE_BASE64 + 4);
        let req = request(json!([{"type": "image", "data": big, "media_type": "image/png"}]));
        let err = check(&req).unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::BadRequest);
        assert!(err.message.contains("at most 5 MB"), "{err}");
        assert!(err.message.contains(VISION), "{err}");
        let at_limit = "A".repeat(MAX_IMAGE_BASE64);
        check(&request(
            json!([{"type": "image", "data": at_limit, "media_type": "image/png"}]),
        ))
        .unwrap();
    }
}
