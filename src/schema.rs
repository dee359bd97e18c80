//! Tool schemas as clients receive them in `tools/list`: small, and portable to the
//! single-`type` dialects some clients map them onto (Gemini function declarations, OpenAPI
//! subsets).
//!
//! Every tool's schemas are sent to the calling model on every turn, so they cost context:
//! the full record (`docs/tools.md`, the README) is documented once, not in every schema.
//! What schemars generates is rewritten here:
//!
//! - no `$schema`, `$defs` or `$ref`: subschemas are inlined (no type here is recursive);
//! - no `type` arrays: an `Option<T>` that may be absent is plain `T`; one that is always
//!   written, possibly as null (an output's `tokens_used`), keeps its description and no `type`
//!   at all, so every validator accepts the null and no dialect has to map `"null"`;
//! - an enum of strings is `{"type": "string", "enum": [...]}`, not a `oneOf` of consts;
//! - an internally tagged enum (a `oneOf` of objects told apart by a `const` tag, such as
//!   `response_format`) is one object: the tag an enum, every variant's fields optional
//!   beside it (what goes with which tag is the description's to say; `oneOf` is not
//!   portable, and the variants repeat each other);
//! - no `format` (`uint32`, `double` are not portable), no `title`, no `"default": null`,
//!   `true` subschemas become `{}`;
//! - [`output`] keeps descriptions on the top-level properties only, and no `required` list: a
//!   result's schema is for validators, the calling model reads the value itself.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The most bytes one backend's `tools/list` response may take (issue 12's budget; the
/// tool-list test asserts it and the benchmark prints it).
///
/// Issue 12 set 6 KiB for what the calling model reads: names, descriptions and schemas
/// (5.8 KiB then). Issue 15 added each tool's `title` and `annotations` (about 420 bytes for
/// the four tools) and raised the budget by 512 bytes for them: clients read those to label
/// tools and to decide what needs the user's confirmation, and do not put them in the model's
/// tool definitions, so they cost the wire, not the model's context.
pub const BACKEND_TOOLS_BUDGET: usize = 6 * 1024 + 512;

/// The most bytes `llm-mcp serve`'s `tools/list` response may take with six children in its
/// default configuration.
pub const SERVE_TOOLS_BUDGET: usize = 10 * 1024;

/// How much of a generated schema a tool list carries, by property depth (the root is 0, its
/// properties 1, theirs 2).
#[derive(Debug, Clone, Copy)]
struct Keep {
    /// The deepest properties that keep their descriptions.
    described: usize,
    /// The deepest properties listed; an object below that is just `{"type": "object"}`.
    structured: usize,
    /// Whether `minimum` stays (the `0` of an unsigned integer says a count is not negative).
    bounds: bool,
}

/// Arguments: every argument described, and the fields of an argument's objects (a message's
/// role and content) typed; what those hold in turn is described by the argument's own text.
const INPUT: Keep = Keep {
    described: 1,
    structured: 2,
    bounds: false,
};

/// Results: the top-level fields, typed, without descriptions (the record is documented in
/// docs/tools.md; a validator needs no prose, and the model reads the value itself).
const OUTPUT: Keep = Keep {
    described: 0,
    structured: 1,
    bounds: false,
};

/// The `inputSchema` of a tool taking `T` (what `T` deserializes from).
pub fn input<T: JsonSchema>() -> Arc<JsonObject> {
    Arc::new(rewrite(generate::<T>(settings()), INPUT))
}

/// The `outputSchema` of a tool answering `T` (what `T` serializes to). Its field list is not
/// `required`: the server writes every field the docs say it writes, and the list would take a
/// tenth of a backend's tool-list budget twice over.
pub fn output<T: JsonSchema>() -> Arc<JsonObject> {
    let mut schema = rewrite(generate::<T>(settings().for_serialize()), OUTPUT);
    schema.remove("required");
    Arc::new(schema)
}

/// The schema of a tool that takes no arguments: an object that accepts only the empty
/// object, the form the MCP specification (2025-11-25, server/tools, `inputSchema`)
/// recommends for tools with no parameters.
pub fn no_input() -> Arc<JsonObject> {
    let mut object = Map::new();
    object.insert("type".into(), "object".into());
    object.insert("additionalProperties".into(), Value::Bool(false));
    Arc::new(object)
}

fn settings() -> SchemaSettings {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    settings
}

fn generate<T: JsonSchema>(settings: SchemaSettings) -> Value {
    settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

fn rewrite(root: Value, keep: Keep) -> JsonObject {
    let mut root = match root {
        Value::Object(object) => object,
        // A type with no schema of its own accepts anything.
        _ => Map::new(),
    };
    root.remove("$defs");
    // The tool's own description says what it is; the type's doc comment would repeat it.
    root.remove("description");
    let mut root = Value::Object(root);
    simplify(&mut root, false, 0, keep);
    match root {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

/// Rewrites `schema`, at property depth `depth`, and its subschemas in place. `required`:
/// whether the parent object must contain the property this schema describes.
fn simplify(schema: &mut Value, required: bool, depth: usize, keep: Keep) {
    if schema == &Value::Bool(true) {
        *schema = Value::Object(Map::new());
    }
    let Value::Object(object) = schema else {
        return;
    };
    // `default` is left out too: an argument that is not required has one, and what it is
    // belongs to the argument's description when it matters.
    for key in ["title", "format", "default"] {
        object.remove(key);
    }
    unwrap_nullable_any_of(object);
    if depth > keep.described {
        object.remove("description");
    }
    if !keep.bounds {
        object.remove("minimum");
    }
    let nullable = drop_null_type(object);
    if nullable && required {
        // Always written, sometimes null: leave the type open rather than write ["T", "null"].
        for key in [
            "type",
            "items",
            "properties",
            "required",
            "additionalProperties",
        ] {
            object.remove(key);
        }
    }
    consts_to_enum(object);
    merge_tagged_variants(object);
    if depth >= keep.structured {
        for key in ["properties", "required", "additionalProperties"] {
            object.remove(key);
        }
    }
    let must = object_required(object).unwrap_or_default();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            simplify(property, must.contains(name), depth + 1, keep);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = object.get_mut(key) {
            simplify(sub, false, depth, keep);
            // What an element is, the property's own description says; this is its type's.
            if let Value::Object(sub) = sub {
                sub.remove("description");
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = object.get_mut(key) {
            for branch in branches {
                simplify(branch, false, depth, keep);
            }
        }
    }
}

fn object_required(object: &JsonObject) -> Option<Vec<String>> {
    let Value::Array(list) = object.get("required")? else {
        return None;
    };
    Some(
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

/// `{"anyOf": [S, {"type": "null"}], ...}` becomes S with the outer keys (description) and a
/// `"type": [.., "null"]` marker, so [`drop_null_type`] treats both spellings alike.
fn unwrap_nullable_any_of(object: &mut JsonObject) {
    let Some(Value::Array(branches)) = object.get("anyOf") else {
        return;
    };
    let is_null = |b: &Value| b.get("type") == Some(&Value::String("null".into()));
    if branches.len() != 2 || !branches.iter().any(is_null) {
        return;
    }
    let Some(Value::Array(branches)) = object.remove("anyOf") else {
        return;
    };
    let Some(Value::Object(inner)) = branches.into_iter().find(|b| !is_null(b)) else {
        return;
    };
    for (key, value) in inner {
        // The property's own description is more specific than its type's.
        object.entry(key).or_insert(value);
    }
    let single = object.get("type").cloned();
    let types = match single {
        Some(Value::String(t)) => vec![Value::String(t), "null".into()],
        _ => vec!["null".into()],
    };
    object.insert("type".into(), Value::Array(types));
}

/// Turns `"type": ["T", "null"]` into `"type": "T"`; whether null was allowed.
fn drop_null_type(object: &mut JsonObject) -> bool {
    let Some(Value::Array(types)) = object.get("type") else {
        return false;
    };
    let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let nullable = rest.len() < types.len();
    match rest.as_slice() {
        [] => {
            object.remove("type");
        }
        [single] => {
            object.insert("type".into(), single.clone());
        }
        // Several non-null types: no single-type spelling says it; leave it open.
        _ => {
            object.remove("type");
        }
    }
    nullable
}

/// `{"oneOf": [{"type": "string", "const": "a"}, ...]}` becomes
/// `{"type": "string", "enum": ["a", ...]}`.
fn consts_to_enum(object: &mut JsonObject) {
    let Some(Value::Array(branches)) = object.get("oneOf") else {
        return;
    };
    let consts: Option<Vec<Value>> = branches
        .iter()
        .map(|b| match (b.get("type"), b.get("const")) {
            (Some(Value::String(t)), Some(c @ Value::String(_))) if t == "string" => {
                Some(c.clone())
            }
            _ => None,
        })
        .collect();
    if let Some(consts) = consts.filter(|c| !c.is_empty()) {
        object.remove("oneOf");
        object.insert("type".into(), "string".into());
        object.insert("enum".into(), Value::Array(consts));
    }
}

/// `{"oneOf": [{"type": "object", "properties": {"type": {"const": "a"}, ...}}, ...]}`, every
/// branch an object with a string `const` under the same property, becomes one object whose
/// tag is `{"type": "string", "enum": ["a", ...]}` and whose other properties are the union of
/// the branches' (none required but the tag).
fn merge_tagged_variants(object: &mut JsonObject) {
    let Some(Value::Array(branches)) = object.get("oneOf") else {
        return;
    };
    let tag_of = |branch: &Value| -> Option<(String, Value)> {
        let properties = branch.get("properties")?.as_object()?;
        properties.iter().find_map(|(name, p)| {
            let tag = p.get("const").filter(|c| c.is_string())?;
            Some((name.clone(), tag.clone()))
        })
    };
    let tags: Option<Vec<(String, Value)>> = branches.iter().map(tag_of).collect();
    let Some(tags) = tags.filter(|t| t.len() > 1) else {
        return;
    };
    let tag = tags[0].0.clone();
    if tags.iter().any(|(name, _)| name != &tag) {
        return;
    }
    let mut properties = Map::new();
    properties.insert(
        tag.clone(),
        serde_json::json!({"type": "string", "enum": tags.into_iter().map(|(_, v)| v).collect::<Vec<_>>()}),
    );
    if let Some(Value::Array(branches)) = object.remove("oneOf") {
        for branch in branches {
            let Some(Value::Object(fields)) = branch.get("properties").cloned() else {
                continue;
            };
            for (name, field) in fields {
                properties.entry(name).or_insert(field);
            }
        }
    }
    object.insert("type".into(), "object".into());
    object.insert("properties".into(), Value::Object(properties));
    object.insert("required".into(), serde_json::json!([tag]));
}

/// Every place in `schema` that declares `type` as an array, as JSON pointers (empty when the
/// schema is portable to single-`type` dialects).
pub fn type_arrays(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(schema, String::new(), &mut found);
    found
}

fn walk(value: &Value, at: String, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(_)) = object.get("type") {
                found.push(format!("{at}/type"));
            }
            for (key, sub) in object {
                walk(sub, format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (n, sub) in items.iter().enumerate() {
                walk(sub, format!("{at}/{n}"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    /// Inner documentation that the output schema drops.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        /// Deep.
        deep: Option<u32>,
    }

    /// Why.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Kind {
        /// A.
        Alpha,
        /// B.
        Beta,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Shape {
        /// Always written, maybe null.
        count: Option<u64>,
        /// Written only when set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// An enum.
        kind: Kind,
        /// Nested.
        inner: Option<Inner>,
        /// Anything.
        items: Vec<serde_json::Value>,
    }

    #[test]
    fn inputs_are_single_typed_inlined_and_described_one_level_deep() {
        let schema = Value::Object(input::<Shape>().as_ref().clone());
        assert!(type_arrays(&schema).is_empty(), "{schema}");
        for gone in ["$defs", "$schema", "description", "title"] {
            assert_eq!(schema.get(gone), None, "{gone}");
        }
        let props = &schema["properties"];
        assert_eq!(
            props["count"],
            json!({"description": "Always written, maybe null.", "type": "integer"})
        );
        assert_eq!(
            props["kind"],
            json!({"description": "An enum.", "type": "string", "enum": ["alpha", "beta"]})
        );
        // The fields of an argument's object are typed, not described.
        assert_eq!(
            props["inner"],
            json!({"description": "Nested.", "type": "object",
                   "properties": {"deep": {"type": "integer"}}})
        );
        assert_eq!(
            props["items"],
            json!({"description": "Anything.", "type": "array", "items": {}})
        );
        let text = schema.to_string();
        assert!(
            !text.contains("default") && !text.contains("format"),
            "{text}"
        );
    }

    #[test]
    fn outputs_are_top_level_fields_with_always_written_nullables_left_open() {
        let schema = Value::Object(output::<Shape>().as_ref().clone());
        assert!(type_arrays(&schema).is_empty(), "{schema}");
        let props = &schema["properties"];
        // Always present, possibly null: no type, so null validates everywhere.
        assert_eq!(props["count"], json!({}));
        assert_eq!(props["inner"], json!({}));
        // Absent when unset: the plain type, and not required.
        assert_eq!(props["note"], json!({"type": "string"}));
        assert_eq!(props["kind"]["enum"], json!(["alpha", "beta"]));
        // No required list: the server writes what the docs say it writes.
        assert_eq!(schema.get("required"), None, "{schema}");
        assert!(!schema.to_string().contains("description"), "{schema}");
    }

    #[test]
    fn type_arrays_are_found_where_they_are() {
        let schema = json!({"properties": {"a": {"type": ["string", "null"]}}});
        assert_eq!(type_arrays(&schema), ["/properties/a/type"]);
    }
}
