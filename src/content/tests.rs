use serde_json::Value;

use super::*;
use crate::completion::{Message, MessageWire};
use serde_json::json;

fn message(value: Value) -> Result<Message, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[test]
fn a_string_content_is_the_text_and_serializes_back_as_a_string() {
    let m = message(json!({"role": "user", "content": "hi"})).unwrap();
    assert_eq!(m, Message::user("hi"));
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"role": "user", "content": "hi"})
    );
}

#[test]
fn parts_split_into_text_and_attachments_and_serialize_back_as_parts() {
    let m = message(json!({"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
        {"type": "document", "url": "data:application/pdf;base64,JVBERi0=" },
        {"type": "text", "text": "Be brief."}
    ]}))
    .unwrap();
    assert_eq!(m.content, "What is this?\n\nBe brief.");
    assert_eq!(
        m.attachments,
        vec![
            Attachment {
                kind: AttachmentKind::Image,
                source: Source::Url {
                    url: "https://example.com/a.png".into(),
                    media_type: None
                }
            },
            Attachment {
                kind: AttachmentKind::Image,
                source: Source::Data {
                    media_type: "image/png".into(),
                    data: "iVBORw0KGgo=".into()
                }
            },
            Attachment {
                kind: AttachmentKind::Document,
                source: Source::Data {
                    media_type: "application/pdf".into(),
                    data: "JVBERi0=".into()
                }
            },
        ]
    );
    let back = serde_json::to_value(&m).unwrap();
    assert_eq!(
        back["content"],
        json!([
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
            {"type": "document", "data": "JVBERi0=", "media_type": "application/pdf"},
            {"type": "text", "text": "What is this?\n\nBe brief."}
        ])
    );
    assert_eq!(message(back).unwrap(), m);
}

#[test]
fn mcp_resources_become_parts() {
    let m = message(json!({"role": "user", "content": [
        {"type": "resource", "resource": {"uri": "file:///r.pdf", "mimeType": "application/pdf", "blob": "JVBERi0="}},
        {"type": "resource", "resource": {"uri": "file:///notes.txt", "mimeType": "text/plain", "text": "notes"}},
        {"type": "resource_link", "uri": "https://example.com/p.jpg", "mimeType": "image/jpeg"}
    ]}))
    .unwrap();
    assert_eq!(m.content, "notes");
    assert_eq!(m.attachments[0].kind, AttachmentKind::Document);
    assert_eq!(m.attachments[1].kind, AttachmentKind::Image);
    assert_eq!(m.attachments[1].media_type(), Some("image/jpeg"));
}

#[test]
fn malformed_parts_are_refused_naming_the_part() {
    for (content, needle) in [
        (json!(7), "expected a string or a list of parts"),
        (
            json!([{"type": "video", "url": "https://x"}]),
            "content[0]: unknown part type",
        ),
        (
            json!([{"type": "image", "data": "AAAA"}]),
            "data needs a media_type",
        ),
        (
            json!([{"type": "image", "data": "AAAA", "media_type": "image/tiff"}]),
            "image/tiff",
        ),
        (
            json!([{"type": "document", "data": "AAAA", "media_type": "text/html"}]),
            "only application/pdf",
        ),
        (
            json!([{"type": "image", "data": "not base64!", "media_type": "image/png"}]),
            "not base64",
        ),
        (
            json!([{"type": "image", "url": "ftp://x/a.png"}]),
            "http(s)",
        ),
        (
            json!([{"type": "image", "url": "https://x/a.png", "path": "/a.png"}]),
            "exactly one",
        ),
        (
            json!([{"type": "resource_link", "uri": "file:///etc/passwd", "mimeType": "image/png"}]),
            "only http(s) links",
        ),
        (
            json!([{"type": "resource", "resource": {"uri": "x", "mimeType": "audio/wav", "blob": "AAAA"}}]),
            "only images and PDF",
        ),
    ] {
        let err = message(json!({"role": "user", "content": content})).unwrap_err();
        assert!(err.contains(needle), "{err} lacks {needle}");
    }
}

#[test]
fn the_attachment_schemas_have_no_type_arrays() {
    let schema =
        serde_json::to_value(schemars::schema_for!(crate::tool_args::AttachmentArg)).unwrap();
    assert!(!schema.to_string().contains("\"type\":["), "{schema}");
    assert_eq!(schema["properties"]["path"]["type"], json!("string"));
    // Text or parts: an open schema, since neither a type array nor anyOf maps onto the
    // single-type dialects some clients use.
    let message = serde_json::to_value(schemars::schema_for!(MessageWire)).unwrap();
    let content = &message["properties"]["content"];
    assert!(
        content.get("type").is_none() && content.get("anyOf").is_none(),
        "{message}"
    );
}
