//! Images on Ollama's `/api/chat`: a user message's `images`, a list of base64 strings
//! (<https://docs.ollama.com/api/chat>, `messages[].images`). Ollama fetches no URL and takes no
//! documents, so both are refused before anything is sent.

use serde_json::{Value, json};

use crate::completion::{CompletionRequest, Message};
use crate::content::{self, AttachmentKind, Source};
use crate::error::{ErrorKind, LlmError};

/// Refuses what Ollama has no field for: documents, image URLs.
pub(super) fn check(request: &CompletionRequest) -> Result<(), LlmError> {
    for attachment in request.attachments() {
        match (&attachment.source, attachment.kind) {
            (_, AttachmentKind::Document) => {
                return Err(content::refuse("Ollama", "document (PDF)"));
            }
            (Source::Url { .. }, _) => {
                return Err(LlmError::new(
                    ErrorKind::BadRequest,
                    "Ollama takes images as base64 data only (messages[].images), not by url; \
                     send data or a path",
                ));
            }
            (Source::Path { .. }, _) => return Err(content::unresolved()),
            (Source::Data { .. }, AttachmentKind::Image) => {}
        }
    }
    Ok(())
}

/// Adds the turn's images, when it has any, to its wire message.
pub(super) fn add_images(wire: &mut Value, message: &Message) {
    let images: Vec<&str> = message
        .attachments
        .iter()
        .filter_map(|a| match &a.source {
            Source::Data { data, .. } => Some(data.as_str()),
            _ => None,
        })
        .collect();
    if !images.is_empty() {
        wire["images"] = json!(images);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content: Value) -> CompletionRequest {
        crate::completion::user_request("llava", content)
    }

    #[test]
    fn images_travel_as_base64_beside_the_text() {
        let req = request(json!([
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "text", "text": "What is this?"}
        ]));
        check(&req).unwrap();
        assert_eq!(
            super::super::request::chat_body(&req)["messages"],
            json!([{"role": "user", "content": "What is this?", "images": ["iVBORw0KGgo="]}])
        );
    }

    #[test]
    fn documents_and_image_urls_are_refused() {
        let pdf = request(json!([{"type": "document", "data": "JVBERi0="}]));
        assert!(
            check(&pdf)
                .unwrap_err()
                .message
                .contains("Ollama does not take document")
        );
        let url = request(json!([{"type": "image", "url": "https://example.com/a.png"}]));
        assert!(check(&url).unwrap_err().message.contains("not by url"));
    }
}
