//! Images and documents in (issue 13): a `path` part read under `--allow-files` reaches each
//! fake provider in that provider's documented shape; a file outside is refused before
//! anything is sent; a PDF to a model the catalog says takes none is refused.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::FakeProvider;
use crate::support::backends::{ANTHROPIC, Backend, GEMINI, MISTRAL, OLLAMA, OPENAI};

/// A 1x1 PNG's first bytes; the fakes only check that they arrive, base64.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_BASE64: &str = "iVBORw0KGgo=";

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-vision-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chat_with(part: Value) -> Value {
    json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"}, part
    ]}]})
}

async fn image_reaches(backend: &Backend, name: &str, expected: fn(&Value) -> bool) {
    let fake = FakeProvider::start().await;
    fake.push(backend.path, backend.ok("A pixel."));
    let files = dir(name);
    std::fs::write(files.join("pixel.png"), PNG).unwrap();
    let allow = files.to_string_lossy().into_owned();
    let mut server = backend.start(&fake, &["--allow-files", &allow]).await;
    let part = json!({"type": "image", "path": files.join("pixel.png")});
    let result = server.call("chat", chat_with(part)).await;
    assert_eq!(result.record()["output"], json!("A pixel."));
    let sent = backend.calls(&fake);
    assert_eq!(sent.len(), 1);
    let body = sent[0].body_json();
    assert!(expected(body), "{name}: unexpected body {body}");
    std::fs::remove_dir_all(&files).unwrap();
}

#[tokio::test]
async fn an_allowed_image_reaches_anthropic_as_a_base64_image_block() {
    image_reaches(&ANTHROPIC, "anthropic", |body| {
        body["messages"][0]["content"]
            == json!([
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}},
                {"type": "text", "text": "What is in this image?"}
            ])
    })
    .await;
}

#[tokio::test]
async fn an_allowed_image_reaches_openai_as_an_image_url_data_url() {
    image_reaches(&OPENAI, "openai", |body| {
        body["messages"][0]["content"]
            == json!([
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_BASE64}")}},
                {"type": "text", "text": "What is in this image?"}
            ])
    })
    .await;
}

#[tokio::test]
async fn an_allowed_image_reaches_gemini_as_inline_data() {
    image_reaches(&GEMINI, "gemini", |body| {
        body["contents"][0]["parts"]
            == json!([
                {"inlineData": {"mimeType": "image/png", "data": PNG_BASE64}},
                {"text": "What is in this image?"}
            ])
    })
    .await;
}

#[tokio::test]
async fn an_allowed_image_reaches_ollama_as_a_base64_image_of_the_message() {
    image_reaches(&OLLAMA, "ollama", |body| {
        body["messages"][0]
            == json!({"role": "user", "content": "What is in this image?", "images": [PNG_BASE64]})
    })
    .await;
}

#[tokio::test]
async fn an_allowed_image_reaches_mistral_as_an_image_url_string() {
    image_reaches(&MISTRAL, "mistral", |body| {
        body["messages"][0]["content"]
            == json!([
                {"type": "image_url", "image_url": format!("data:image/png;base64,{PNG_BASE64}")},
                {"type": "text", "text": "What is in this image?"}
            ])
    })
    .await;
}

#[tokio::test]
async fn a_document_reaches_mistral_by_url_and_ollama_refuses_one_before_sending() {
    let fake = FakeProvider::start().await;
    fake.push(MISTRAL.path, MISTRAL.ok("A report."));
    let mut mistral = MISTRAL.start(&fake, &[]).await;
    let part = json!({"type": "document", "url": "https://example.com/report.pdf"});
    // No Mistral model the catalog knows takes PDFs (their pages list text and images), so
    // the document goes to one it does not know, which is sent as asked.
    let mut args = chat_with(part.clone());
    args["model"] = json!("my-document-model");
    let result = mistral.call("chat", args).await;
    assert_eq!(result.record()["output"], json!("A report."));
    let body = MISTRAL.calls(&fake)[0].body_json().clone();
    assert_eq!(
        body["messages"][0]["content"][0],
        json!({"type": "document_url", "document_url": "https://example.com/report.pdf"})
    );
    let fake = FakeProvider::start().await;
    let mut ollama = OLLAMA.start(&fake, &[]).await;
    let refused = ollama.call("chat", chat_with(part)).await;
    refused.expect_error("bad_request");
    assert!(OLLAMA.calls(&fake).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn complete_takes_images_beside_the_prompt() {
    let fake = FakeProvider::start().await;
    fake.push(ANTHROPIC.path, ANTHROPIC.ok("A pixel."));
    let mut server = ANTHROPIC.start(&fake, &[]).await;
    let args = json!({"prompt": "Describe it.", "images": [{"data": PNG_BASE64, "media_type": "image/png"}]});
    let result = server.call("complete", args).await;
    result.record();
    let sent = ANTHROPIC.calls(&fake);
    let body = sent[0].body_json();
    assert_eq!(
        body["messages"][0]["content"][0]["source"]["data"],
        json!(PNG_BASE64)
    );
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "text", "text": "Describe it."})
    );
}

async fn refused(backend: &Backend, flags: &[&str], args: Value) -> (String, usize) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, flags).await;
    let result = server.call("chat", args).await;
    let text = result.expect_error("bad_request");
    (text, backend.calls(&fake).len())
}

#[cfg(unix)]
#[tokio::test]
async fn a_file_outside_the_allowed_directories_is_refused_and_never_read() {
    use std::os::unix::fs::PermissionsExt;
    let allowed = dir("jail");
    let outside = dir("elsewhere");
    let secret = outside.join("secret.png");
    std::fs::write(&secret, PNG).unwrap();
    // Unreadable: had the server opened it, the error would say so instead.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::os::unix::fs::symlink(&secret, allowed.join("link.png")).unwrap();
    let allow = allowed.to_string_lossy().into_owned();
    for path in [secret.clone(), allowed.join("link.png")] {
        let part = json!({"type": "image", "path": path});
        let (text, sent) = refused(&ANTHROPIC, &["--allow-files", &allow], chat_with(part)).await;
        assert!(
            text.contains("is outside the directories this server may read"),
            "{text}"
        );
        assert_eq!(sent, 0, "nothing is sent");
    }
    // Without --allow-files no path is read at all.
    let part = json!({"type": "image", "path": Path::new(&allow).join("link.png")});
    let (text, sent) = refused(&ANTHROPIC, &[], chat_with(part)).await;
    assert!(text.contains("--allow-files"), "{text}");
    assert_eq!(sent, 0);
    std::fs::remove_dir_all(&allowed).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

#[tokio::test]
async fn a_pdf_to_a_model_without_pdf_input_is_refused_before_sending() {
    // The built-in catalog lists claude-sonnet-5-5's input as text and image.
    let args = json!({"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": [
        {"type": "document", "data": "JVBERi0xLjQK", "media_type": "application/pdf"},
        {"type": "text", "text": "Summarize."}
    ]}]});
    let (text, sent) = refused(&ANTHROPIC, &[], args).await;
    assert!(
        text.contains("claude-sonnet-5-5 does not take PDF input (its catalog input: text, image)"),
        "{text}"
    );
    assert_eq!(sent, 0);
}
