//! Gemini's JSON control (<https://ai.google.dev/gemini-api/docs/structured-output>):
//! `generationConfig.responseMimeType: "application/json"`, and for a schema
//! `generationConfig.responseJsonSchema` (a JSON Schema as is, unlike the older
//! OpenAPI-subset `responseSchema`, <https://ai.google.dev/api/generate-content#generationconfig>).
//! Gemini has no `strict` switch: the schema always constrains decoding.
//!
//! Sent only when the catalog says the model takes structured output: the Gemini API also
//! serves models (Gemma) that reject JSON mode, so an unknown model gets the system-prompt
//! fallback of [`crate::structured`].

use serde_json::{Map, Value, json};

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::structured::native;

/// Whether the request's format goes into `generationConfig` (catalog, else no).
pub(super) fn takes(request: &CompletionRequest) -> bool {
    native(request, false)
}

/// Adds the JSON fields to `generationConfig` when the model takes them.
pub(super) fn apply(config: &mut Map<String, Value>, request: &CompletionRequest) {
    let Some(format) = request.response_format.as_ref().filter(|_| takes(request)) else {
        return;
    };
    config.insert("responseMimeType".into(), json!("application/json"));
    if let ResponseFormat::JsonSchema { schema, .. } = format {
        config.insert("responseJsonSchema".into(), schema.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structured::testing::{person, person_schema, request};

    #[test]
    fn a_schema_goes_into_generation_config_beside_the_other_settings() {
        let mut asked = request(person(), Some(true));
        asked.sampling.temperature = Some(0.2);
        let body = super::super::request::generate_body(&asked);
        assert_eq!(
            body["generationConfig"],
            json!({"temperature": 0.2, "responseMimeType": "application/json",
                   "responseJsonSchema": person_schema()})
        );
    }

    #[test]
    fn json_object_is_the_mime_type_alone() {
        let mut config = Map::new();
        apply(
            &mut config,
            &request(ResponseFormat::JsonObject, Some(true)),
        );
        assert_eq!(
            Value::Object(config),
            json!({"responseMimeType": "application/json"})
        );
    }

    #[test]
    fn nothing_is_sent_unless_the_catalog_says_so() {
        for structured in [Some(false), None] {
            let body = super::super::request::generate_body(&request(person(), structured));
            assert!(body.get("generationConfig").is_none(), "{structured:?}");
        }
    }
}
