//! Reading Ollama's `{"error": "..."}` bodies into kinds.

use serde::Deserialize;

use crate::error::{ErrorKind, LlmError, excerpt, kind_for_status};

/// Reads an error body: `{"error": "..."}`, or whatever a proxy in front sent.
pub fn parse_error_body(status: u16, body: &[u8]) -> LlmError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| excerpt(body));
    let kind = match kind_for_status(status) {
        // A model that is not pulled: `model "x" not found, try pulling it first`.
        ErrorKind::BadRequest if message.contains("not found") => ErrorKind::ModelNotFound,
        kind => kind,
    };
    let err = LlmError::new(kind, message).with_status(status);
    match kind {
        ErrorKind::ModelNotFound => err.with_hint("pull it with `ollama pull`, or see list_models"),
        _ => err,
    }
}
