//! Images and PDF documents as Chat Completions content parts, in OpenAI's shape or Mistral's,
//! and their size limits.
//!
//! OpenAI (<https://platform.openai.com/docs/guides/images-vision>,
//! <https://platform.openai.com/docs/guides/pdf-files>): an image is
//! `{"type": "image_url", "image_url": {"url": URL or data: URL}}`; a PDF is
//! `{"type": "file", "file": {"filename", "file_data": "data:application/pdf;base64,..."}}`,
//! and Chat Completions takes no file by URL. Limits: 20 MB per image, 500 images and 50 MB of
//! images per request; 32 MB of files per request.
//!
//! Responses (<https://platform.openai.com/docs/guides/images-vision>,
//! <https://platform.openai.com/docs/guides/file-inputs>): `{"type": "input_image",
//! "image_url"}`, `{"type": "input_file", "filename", "file_data"}` or `{"type": "input_file",
//! "file_url"}`, then `{"type": "input_text"}`; OpenAI's limits.
//!
//! Mistral (<https://docs.mistral.ai/capabilities/vision/>,
//! <https://docs.mistral.ai/capabilities/document_ai/document_qna/>): an image is
//! `{"type": "image_url", "image_url": URL or data: URL}`; a document is
//! `{"type": "document_url", "document_url": URL}`, by URL only. Images at most 10 MB, 8 per
//! request.

use serde_json::{Value, json};

use crate::completion::{CompletionRequest, Message};
use crate::content::{self, Attachment, AttachmentKind, Source};
use crate::error::{ErrorKind, LlmError};

const MB: usize = 1024 * 1024;

/// Whose content-part shapes a Chat Completions endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartStyle {
    /// OpenAI's (and Azure's, and most compatible servers').
    #[default]
    OpenAi,
    /// Mistral's: `image_url` as a string, documents as `document_url`.
    Mistral,
    /// OpenAI's Responses API: `input_image`, `input_file`, `input_text`.
    Responses,
}

struct Limits {
    provider: &'static str,
    page: &'static str,
    image: usize,
    images: usize,
    image_total: usize,
    files_total: usize,
}

impl PartStyle {
    fn limits(self) -> Limits {
        match self {
            Self::OpenAi | Self::Responses => Limits {
                provider: "OpenAI",
                page: "https://platform.openai.com/docs/guides/images-vision",
                image: 20 * MB,
                images: 500,
                image_total: 50 * MB,
                files_total: 32 * MB,
            },
            Self::Mistral => Limits {
                provider: "Mistral",
                page: "https://docs.mistral.ai/capabilities/vision/",
                image: 10 * MB,
                images: 8,
                image_total: 80 * MB,
                files_total: 0,
            },
        }
    }
}

fn bad(message: String) -> LlmError {
    LlmError::new(ErrorKind::BadRequest, message)
}

/// Refuses, before anything is sent, a part this endpoint has no shape for or one over its
/// documented limits.
pub(crate) fn check(request: &CompletionRequest, style: PartStyle) -> Result<(), LlmError> {
    let limits = style.limits();
    let (mut images, mut image_bytes, mut file_bytes) = (0, 0, 0);
    for attachment in request.attachments() {
        let bytes = attachment.data_bytes();
        match (&attachment.source, attachment.kind, style) {
            (Source::Path { .. }, _, _) => return Err(content::unresolved()),
            (Source::Url { .. }, AttachmentKind::Document, PartStyle::OpenAi) => {
                return Err(bad(
                    "OpenAI Chat Completions takes PDF documents as data only, not by \
                     url (https://platform.openai.com/docs/guides/pdf-files); send data or a path"
                        .into(),
                ));
            }
            (Source::Data { .. }, AttachmentKind::Document, PartStyle::Mistral) => {
                return Err(bad(format!(
                    "Mistral takes documents by url only ({}); send a url",
                    "https://docs.mistral.ai/capabilities/document_ai/document_qna/"
                )));
            }
            (_, AttachmentKind::Image, _) => {
                images += 1;
                image_bytes += bytes;
                if bytes > limits.image {
                    return Err(content::over_limit(
                        limits.provider,
                        "an image",
                        bytes,
                        limits.image,
                        limits.page,
                    ));
                }
            }
            (_, AttachmentKind::Document, _) => file_bytes += bytes,
        }
    }
    if images > limits.images {
        return Err(bad(format!(
            "{images} images; {} takes at most {} per request ({})",
            limits.provider, limits.images, limits.page
        )));
    }
    if image_bytes > limits.image_total {
        return Err(content::over_limit(
            limits.provider,
            "the images together",
            image_bytes,
            limits.image_total,
            limits.page,
        ));
    }
    if file_bytes > limits.files_total {
        return Err(content::over_limit(
            limits.provider,
            "the PDF documents together",
            file_bytes,
            limits.files_total,
            "https://platform.openai.com/docs/guides/pdf-files",
        ));
    }
    Ok(())
}

/// A Responses user turn's `content`: its attachments, then its text as `input_text`.
pub(crate) fn responses_content(message: &Message) -> Value {
    let mut parts: Vec<Value> = message
        .attachments
        .iter()
        .enumerate()
        .map(|(i, a)| part(a, i, PartStyle::Responses))
        .collect();
    parts.push(json!({"type": "input_text", "text": message.content}));
    Value::Array(parts)
}

/// A user turn's `content`: the text alone, or the parts (attachments, then the text).
pub(super) fn user_content(message: &Message, style: PartStyle) -> Value {
    if message.attachments.is_empty() {
        return json!(message.content);
    }
    let mut parts: Vec<Value> = message
        .attachments
        .iter()
        .enumerate()
        .map(|(i, a)| part(a, i, style))
        .collect();
    if !message.content.is_empty() {
        parts.push(json!({"type": "text", "text": message.content}));
    }
    Value::Array(parts)
}

fn part(attachment: &Attachment, index: usize, style: PartStyle) -> Value {
    // `check` refused paths, so this is a URL or a data: URL.
    let url = attachment.url_or_data_url().unwrap_or_default();
    match (attachment.kind, style) {
        (AttachmentKind::Image, PartStyle::OpenAi) => {
            json!({"type": "image_url", "image_url": {"url": url}})
        }
        (AttachmentKind::Image, PartStyle::Mistral) => {
            json!({"type": "image_url", "image_url": url})
        }
        (AttachmentKind::Document, PartStyle::OpenAi) => json!({"type": "file", "file": {
            // The API asks for a filename; the caller gave bytes, so one is made up.
            "filename": format!("document-{}.pdf", index + 1),
            "file_data": url,
        }}),
        (AttachmentKind::Document, PartStyle::Mistral) => {
            json!({"type": "document_url", "document_url": url})
        }
        (AttachmentKind::Image, PartStyle::Responses) => {
            json!({"type": "input_image", "image_url": url})
        }
        (AttachmentKind::Document, PartStyle::Responses) => match &attachment.source {
            Source::Url { .. } => json!({"type": "input_file", "file_url": url}),
            _ => json!({
                "type": "input_file",
                "filename": format!("document-{}.pdf", index + 1),
                "file_data": url,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::openai::OpenAi;

    fn request(content: Value) -> CompletionRequest {
        crate::completion::user_request("gpt-6", content)
    }

    fn body(style: PartStyle, req: &CompletionRequest) -> Result<Value, LlmError> {
        OpenAi::new("https://api.openai.com/v1".parse().unwrap())
            .with_parts(style)
            .body(req)
    }

    #[test]
    fn openai_images_are_image_url_objects_and_pdfs_file_parts() {
        let req = request(json!([
            {"type": "text", "text": "Read these."},
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "document", "data": "JVBERi0=", "media_type": "application/pdf"}
        ]));
        assert_eq!(
            body(PartStyle::OpenAi, &req).unwrap()["messages"],
            json!([{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "file", "file": {"filename": "document-3.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
                {"type": "text", "text": "Read these."}
            ]}])
        );
    }

    #[test]
    fn mistral_images_are_image_url_strings_and_documents_document_urls() {
        let req = request(json!([
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "document", "url": "https://example.com/c.pdf"},
            {"type": "text", "text": "Summarize."}
        ]));
        assert_eq!(
            body(PartStyle::Mistral, &req).unwrap()["messages"][0]["content"],
            json!([
                {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                {"type": "document_url", "document_url": "https://example.com/c.pdf"},
                {"type": "text", "text": "Summarize."}
            ])
        );
    }

    #[test]
    fn responses_parts_are_input_image_and_input_file() {
        let req = request(json!([
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "document", "data": "JVBERi0="},
            {"type": "document", "url": "https://example.com/c.pdf"},
            {"type": "text", "text": "Compare."}
        ]));
        check(&req, PartStyle::Responses).unwrap();
        assert_eq!(
            responses_content(&req.messages[0]),
            json!([
                {"type": "input_image", "image_url": "https://example.com/a.png"},
                {"type": "input_file", "filename": "document-2.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
                {"type": "input_file", "file_url": "https://example.com/c.pdf"},
                {"type": "input_text", "text": "Compare."}
            ])
        );
    }

    #[test]
    fn a_shape_the_endpoint_lacks_or_a_size_over_its_limit_is_refused() {
        let pdf_url = request(json!([{"type": "document", "url": "https://example.com/c.pdf"}]));
        let err = body(PartStyle::OpenAi, &pdf_url).unwrap_err();
        assert!(err.message.contains("data only, not by url"), "{err}");
        let pdf_data = request(json!([{"type": "document", "data": "JVBERi0="}]));
        let err = body(PartStyle::Mistral, &pdf_data).unwrap_err();
        assert!(err.message.contains("by url only"), "{err}");
        // 11 MB of image: under OpenAI's 20 MB, over Mistral's 10 MB.
        let big = request(
            json!([{"type": "image", "data": "A".repeat(11 * MB / 3 * 4), "media_type": "image/png"}]),
        );
        body(PartStyle::OpenAi, &big).unwrap();
        let err = body(PartStyle::Mistral, &big).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.contains("Mistral takes at most 10 MB"), "{err}");
    }
}
