//! Ollama's JSON control, `format` (<https://docs.ollama.com/capabilities/structured-outputs>,
//! <https://docs.ollama.com/api/chat>): a JSON Schema object, or `"json"` for any JSON.
//!
//! Ollama enforces it with a grammar in its own sampler, whatever the model, so a model the
//! catalog does not know takes it too; only a catalog entry saying `structured_output: false`
//! turns it off.

use serde_json::{Value, json};

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::structured::native;

/// Whether the request's format goes into `format` (catalog, else yes).
pub(super) fn takes(request: &CompletionRequest) -> bool {
    native(request, true)
}

/// Sets `format` on `body` when the model takes it.
pub(super) fn apply(body: &mut Value, request: &CompletionRequest) {
    let Some(format) = request.response_format.as_ref().filter(|_| takes(request)) else {
        return;
    };
    body["format"] = match format {
        ResponseFormat::JsonObject => json!("json"),
        ResponseFormat::JsonSchema { schema, .. } => schema.clone(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structured::testing::{person, person_schema, request};

    #[test]
    fn a_schema_is_the_format_and_json_object_is_json() {
        let body = super::super::request::chat_body(&request(person(), None));
        assert_eq!(body["format"], person_schema());
        let body = super::super::request::chat_body(&request(ResponseFormat::JsonObject, None));
        assert_eq!(body["format"], json!("json"));
    }

    #[test]
    fn a_model_the_catalog_says_cannot_gets_no_format() {
        let body = super::super::request::chat_body(&request(person(), Some(false)));
        assert!(body.get("format").is_none());
    }
}
