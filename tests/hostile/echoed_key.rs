//! A provider that quotes the key back: in a plain-text error body where the key straddles
//! the excerpt's 300-character cut (29 of its 30 characters used to show), JSON-escaped or
//! base64 in an error, or echoed in a successful answer. No piece of it may reach the caller.

use base64::Engine as _;
use serde_json::json;

use crate::support::Reply;
use crate::support::backends::{KEY, OPENAI};
use crate::support::openai_api::{self, Usage};
use crate::support::{FakeProvider, McpProcess};

/// Whether `text` holds any 6-character piece of the key.
fn leaks(text: &str) -> bool {
    (0..=KEY.len() - 6).any(|at| text.contains(&KEY[at..at + 6]))
}

async fn answer_to(server: &mut McpProcess, fake: &FakeProvider, reply: Reply) -> String {
    fake.push(OPENAI.path, reply);
    server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .0
        .to_string()
}

#[tokio::test]
async fn no_piece_of_the_key_comes_back_in_any_form() {
    let fake = FakeProvider::start().await;
    let mut server = OPENAI.start(&fake, &["--max-retries", "0"]).await;
    // The key across the cut of a plain-text body.
    let straddling = format!("{}{KEY} and more text after it", "x".repeat(290));
    let text = answer_to(
        &mut server,
        &fake,
        Reply::raw(401, "text/plain", straddling),
    )
    .await;
    assert!(text.contains("auth"), "{text}");
    assert!(!leaks(&text), "{text}");
    // Base64 inside a JSON error, as a Basic credential would be.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{KEY}"));
    let body = json!({"error": {"message": format!("bad credential Basic {basic}"), "type": "invalid_request_error"}});
    let text = answer_to(&mut server, &fake, Reply::json(400, &body)).await;
    assert!(!text.contains(&basic[8..20]), "{text}");
    // Echoed by the model in a successful answer.
    let usage = Usage {
        prompt: 1,
        completion: 1,
        cached: 0,
        reasoning: 0,
    };
    let echo = openai_api::text(OPENAI.model, &format!("your key is {KEY}"), usage);
    let text = answer_to(&mut server, &fake, Reply::json(200, &echo)).await;
    assert!(text.contains("your key is <redacted>"), "{text}");
    assert!(!leaks(&text), "{text}");
}
