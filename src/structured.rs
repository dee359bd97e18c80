//! Structured output: a `response_format` asked of the model, and the answer checked against
//! it. Adapters map the format onto their provider's own control where the provider has one
//! (see [`crate::provider::Provider::maps_response_format`]); for the rest the server asks in
//! the system prompt, the documented fallback. Either way the answer is parsed and checked
//! here, so a record's `json` always matches the schema, and a mismatch is
//! `[invalid_response]` naming the failing path rather than text passed off as JSON.

use serde_json::Value;

use crate::completion::{CompletionRequest, ResponseFormat};
use crate::error::{ErrorKind, LlmError};

/// The largest schema accepted, in bytes of its JSON.
const MAX_SCHEMA_BYTES: usize = 256 * 1024;

/// Checks the format before anything is sent: a schema that is not a valid JSON Schema, or
/// one over [`MAX_SCHEMA_BYTES`], is `[bad_request]`.
pub fn check_format(format: &ResponseFormat) -> Result<(), LlmError> {
    let ResponseFormat::JsonSchema { schema, .. } = format else {
        return Ok(());
    };
    let size = schema.to_string().len();
    if size > MAX_SCHEMA_BYTES {
        return Err(bad(format!(
            "response_format.schema is {size} bytes; the limit is {} KiB",
            MAX_SCHEMA_BYTES >> 10
        )));
    }
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|err| {
            bad(format!(
                "response_format.schema is not a valid JSON Schema: {err}"
            ))
        })
}

/// Whether an adapter should put `request.response_format` into its own control: the request
/// asks for a format, and the catalog says the model takes structured output, or, when the
/// catalog does not know, `unknown` (the adapter's documented default for its wire format).
pub fn native(request: &CompletionRequest, unknown: bool) -> bool {
    request.response_format.is_some()
        && request
            .model_info
            .as_ref()
            .and_then(|entry| entry.structured_output)
            .unwrap_or(unknown)
}

/// The schema's name as the provider gets it (OpenAI and Mistral require one).
pub fn schema_name(name: Option<&str>) -> &str {
    name.filter(|name| !name.is_empty()).unwrap_or("response")
}

/// `{name, schema, strict}` as OpenAI's two APIs send a JSON schema (Chat Completions inside
/// `json_schema`, the Responses API flat in `text.format`); `strict` only when the caller set it.
pub fn openai_schema_fields(
    schema: &serde_json::Value,
    name: Option<&str>,
    strict: Option<bool>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), schema_name(name).into());
    fields.insert("schema".into(), schema.clone());
    if let Some(strict) = strict {
        fields.insert("strict".into(), strict.into());
    }
    fields
}

/// The system-prompt line that asks for the format, for a provider with no control of its own.
pub fn instruction(format: &ResponseFormat) -> String {
    match format {
        ResponseFormat::JsonObject => {
            "Answer with a single JSON object and nothing else: no prose, no code fence.".into()
        }
        ResponseFormat::JsonSchema { schema, .. } => format!(
            "Answer with a single JSON value that matches this JSON Schema, and nothing else: \
             no prose, no code fence.\nSchema: {schema}"
        ),
    }
}

/// The answer `output` as JSON that matches `format`, or `[invalid_response]` saying where it
/// does not. One Markdown code fence around the JSON is tolerated: models asked in the prompt
/// often add one.
pub fn parse_answer(format: &ResponseFormat, output: &str) -> Result<Value, LlmError> {
    let text = unfence(output.trim());
    let value: Value = serde_json::from_str(text).map_err(|err| {
        invalid(format!(
            "the answer is not JSON ({err}): {}",
            crate::error::excerpt(output.as_bytes())
        ))
    })?;
    match format {
        ResponseFormat::JsonObject if !value.is_object() => {
            Err(invalid("the answer is JSON but not an object".into()))
        }
        ResponseFormat::JsonObject => Ok(value),
        ResponseFormat::JsonSchema { schema, .. } => {
            let validator = jsonschema::validator_for(schema)
                .map_err(|err| bad(format!("response_format.schema: {err}")))?;
            if let Some(err) = validator.iter_errors(&value).next() {
                let path = err.instance_path().to_string();
                let at = if path.is_empty() { "/" } else { path.as_str() };
                return Err(invalid(format!(
                    "the answer does not match the schema at {at}: {err}"
                )));
            }
            Ok(value)
        }
    }
}

/// `text` without one surrounding Markdown code fence (```json ... ```).
fn unfence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return text;
    };
    // Drop the info string (`json`) on the opening line.
    match body.split_once('\n') {
        Some((info, code)) if !info.contains('{') && !info.contains('[') => code.trim(),
        _ => body.trim(),
    }
}

fn bad(message: String) -> LlmError {
    LlmError::new(ErrorKind::BadRequest, message)
}

fn invalid(message: String) -> LlmError {
    LlmError::new(ErrorKind::InvalidResponse, message)
}

/// Requests and formats for the adapters' structured-output tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use serde_json::json;

    use crate::catalog::types::ModelEntry;
    use crate::completion::{CompletionRequest, Message, ResponseFormat};

    /// A request for model `m` asking for `format`, whose catalog entry says `structured`
    /// (`None`: the field is absent).
    pub(crate) fn request(format: ResponseFormat, structured: Option<bool>) -> CompletionRequest {
        let mut entry: ModelEntry = serde_json::from_value(json!({"id": "m"})).unwrap();
        entry.structured_output = structured;
        CompletionRequest {
            model: "m".into(),
            messages: vec![Message::user("Who?")],
            response_format: Some(format),
            model_info: Some(Arc::new(entry)),
            ..CompletionRequest::default()
        }
    }

    /// A strict `person` schema: `{name: string}`, required, nothing else.
    pub(crate) fn person() -> ResponseFormat {
        ResponseFormat::JsonSchema {
            schema: person_schema(),
            name: Some("person".into()),
            strict: Some(true),
        }
    }

    /// The schema of [`person`].
    pub(crate) fn person_schema() -> serde_json::Value {
        json!({"type": "object", "properties": {"name": {"type": "string"}},
               "required": ["name"], "additionalProperties": false})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person() -> ResponseFormat {
        ResponseFormat::JsonSchema {
            schema: json!({
                "type": "object",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name", "age"],
                "additionalProperties": false
            }),
            name: Some("person".into()),
            strict: Some(true),
        }
    }

    #[test]
    fn a_matching_answer_is_its_json() {
        let value = parse_answer(&person(), r#"{"name": "Ada", "age": 36}"#).unwrap();
        assert_eq!(value, json!({"name": "Ada", "age": 36}));
    }

    #[test]
    fn a_fenced_answer_is_read_inside_its_fence() {
        let fenced = "```json\n{\"name\": \"Ada\", \"age\": 36}\n```";
        assert_eq!(parse_answer(&person(), fenced).unwrap()["age"], json!(36));
    }

    #[test]
    fn a_mismatch_names_the_failing_path() {
        let err = parse_answer(&person(), r#"{"name": "Ada", "age": "old"}"#).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(err.message.contains("at /age"), "{}", err.message);
        let missing = parse_answer(&person(), r#"{"name": "Ada"}"#).unwrap_err();
        assert!(missing.message.contains("age"), "{}", missing.message);
    }

    #[test]
    fn prose_is_not_json() {
        let err = parse_answer(&ResponseFormat::JsonObject, "Sure! Here it is.").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert!(
            err.message.starts_with("the answer is not JSON"),
            "{}",
            err.message
        );
        let array = parse_answer(&ResponseFormat::JsonObject, "[1, 2]").unwrap_err();
        assert!(array.message.contains("not an object"), "{}", array.message);
    }

    #[test]
    fn a_schema_that_is_not_one_is_refused_before_sending() {
        let broken = ResponseFormat::JsonSchema {
            schema: json!({"type": "no-such-type"}),
            name: None,
            strict: None,
        };
        let err = check_format(&broken).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(check_format(&person()).is_ok());
    }

    #[test]
    fn the_instruction_carries_the_schema() {
        let line = instruction(&person());
        assert!(line.contains("\"required\":[\"name\",\"age\"]"), "{line}");
    }
}
