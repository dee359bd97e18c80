//! The Responses API's JSON control, `text.format`
//! (<https://platform.openai.com/docs/api-reference/responses/create#responses-create-text>,
//! <https://platform.openai.com/docs/guides/structured-outputs?api-mode=responses>):
//! `{type: json_schema, name, schema, strict}` (flat, unlike Chat Completions'
//! `json_schema` wrapper) or `{type: json_object}`.
//!
//! Sent only when the catalog says the model takes structured output; an unknown model gets
//! the system-prompt fallback of [`crate::structured`].

use serde_json::{Map, Value, json};

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::structured::{native, openai_schema_fields};

/// Whether the request's format goes into `text.format` (catalog, else no).
pub(super) fn takes(request: &CompletionRequest) -> bool {
    native(request, false)
}

/// The `text.format` value for `format`.
fn text_format(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema {
            schema,
            name,
            strict,
        } => {
            let mut wire = openai_schema_fields(schema, name.as_deref(), *strict);
            wire.insert("type".into(), "json_schema".into());
            Value::Object(wire)
        }
    }
}

/// Adds `text.format` to `body` when the model takes it.
pub(super) fn apply(body: &mut Map<String, Value>, request: &CompletionRequest) {
    if let Some(format) = request.response_format.as_ref().filter(|_| takes(request)) {
        body.insert("text".into(), json!({"format": text_format(format)}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structured::testing::{person, person_schema, request};

    #[test]
    fn a_schema_goes_flat_into_text_format() {
        let mut body = Map::new();
        apply(&mut body, &request(person(), Some(true)));
        assert_eq!(
            Value::Object(body),
            json!({"text": {"format": {"type": "json_schema", "name": "person",
                                       "strict": true, "schema": person_schema()}}})
        );
        let mut body = Map::new();
        apply(&mut body, &request(ResponseFormat::JsonObject, Some(true)));
        assert_eq!(body["text"], json!({"format": {"type": "json_object"}}));
    }

    #[test]
    fn nothing_is_sent_unless_the_catalog_says_so() {
        for structured in [Some(false), None] {
            let mut body = Map::new();
            apply(&mut body, &request(person(), structured));
            assert!(body.is_empty(), "{structured:?}");
        }
    }
}
