//! Chat Completions' own JSON control, `response_format`
//! (<https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format>,
//! <https://platform.openai.com/docs/guides/structured-outputs>): `{type: json_schema,
//! json_schema: {name, schema, strict}}` or `{type: json_object}`. Mistral takes the same field
//! and shapes (<https://docs.mistral.ai/capabilities/structured-output/custom_structured_output/>).
//!
//! Sent only when the catalog says the model takes structured output: many OpenAI-compatible
//! servers and older models reject or ignore the field, so an unknown model gets the
//! system-prompt fallback of [`crate::structured`] instead.

use serde_json::{Map, Value, json};

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::structured::{native, openai_schema_fields};

/// Whether the request's format goes into `response_format` (catalog, else no).
pub(super) fn takes(request: &CompletionRequest) -> bool {
    native(request, false)
}

/// The `response_format` value for `format`.
pub(crate) fn response_format(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema {
            schema,
            name,
            strict,
        } => json!({
            "type": "json_schema",
            "json_schema": openai_schema_fields(schema, name.as_deref(), *strict),
        }),
    }
}

/// Adds `response_format` to `body` when the model takes it.
pub(super) fn apply(body: &mut Map<String, Value>, request: &CompletionRequest) {
    if let Some(format) = request.response_format.as_ref().filter(|_| takes(request)) {
        body.insert("response_format".into(), response_format(format));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structured::testing::{person, person_schema, request};

    #[test]
    fn a_schema_goes_into_json_schema_with_its_name_and_strictness() {
        let mut body = Map::new();
        apply(&mut body, &request(person(), Some(true)));
        assert_eq!(
            Value::Object(body),
            json!({"response_format": {"type": "json_schema", "json_schema": {
                "name": "person", "strict": true, "schema": person_schema()}}})
        );
    }

    #[test]
    fn json_object_and_an_unnamed_schema() {
        assert_eq!(
            response_format(&ResponseFormat::JsonObject),
            json!({"type": "json_object"})
        );
        let unnamed = ResponseFormat::JsonSchema {
            schema: json!({"type": "object"}),
            name: None,
            strict: None,
        };
        assert_eq!(
            response_format(&unnamed),
            json!({"type": "json_schema", "json_schema": {"name": "response", "schema": {"type": "object"}}})
        );
    }

    #[test]
    fn nothing_is_sent_for_a_model_without_structured_output_or_unknown() {
        for structured in [Some(false), None] {
            let mut body = Map::new();
            apply(&mut body, &request(person(), structured));
            assert!(body.is_empty(), "{structured:?}");
        }
        let mut unknown = request(person(), None);
        unknown.model_info = None;
        assert!(!takes(&unknown));
    }
}
