//! Anthropic's structured outputs, `output_config.format: {type: "json_schema", schema}`
//! (<https://platform.claude.com/docs/en/build-with-claude/structured-outputs>; generally
//! available, no beta header, for the models the catalog marks `structured_output`: Opus 4.6,
//! Sonnet 4.6, Sonnet 4.5, Opus 4.5 and Haiku 4.5 per that page).
//!
//! The API has no schema-free JSON mode, so `json_object` always takes the system-prompt
//! fallback of [`crate::structured`], as does any model the catalog does not mark.

use serde_json::{Map, Value, json};

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::structured::native;

/// Whether the request's format goes into `output_config.format`: a schema, for a model the
/// catalog marks.
pub(super) fn takes(request: &CompletionRequest) -> bool {
    matches!(
        request.response_format,
        Some(ResponseFormat::JsonSchema { .. })
    ) && native(request, false)
}

/// Adds `output_config.format` to `body` (beside an `effort` already there) when it applies.
pub(super) fn apply(body: &mut Map<String, Value>, request: &CompletionRequest) {
    let Some(ResponseFormat::JsonSchema { schema, .. }) =
        request.response_format.as_ref().filter(|_| takes(request))
    else {
        return;
    };
    let config = body.entry("output_config").or_insert_with(|| json!({}));
    if let Value::Object(config) = config {
        config.insert(
            "format".into(),
            json!({"type": "json_schema", "schema": schema}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Effort, Reasoning};
    use crate::structured::testing::{person, person_schema, request};

    #[test]
    fn a_schema_goes_into_output_config_beside_the_effort() {
        let mut asked = request(person(), Some(true));
        asked.reasoning = Some(Reasoning {
            effort: Some(Effort::Low),
            ..Reasoning::default()
        });
        let body = super::super::request::body(&asked);
        assert_eq!(
            body["output_config"],
            json!({"effort": "low", "format": {"type": "json_schema", "schema": person_schema()}})
        );
    }

    #[test]
    fn json_object_and_unmarked_models_are_not_mapped() {
        assert!(!takes(&request(ResponseFormat::JsonObject, Some(true))));
        for structured in [Some(false), None] {
            let body = super::super::request::body(&request(person(), structured));
            assert!(body.get("output_config").is_none(), "{structured:?}");
        }
    }
}
