//! The two streaming HTTP backends (Anthropic and OpenAI) as data, so one test body can run
//! against both, plus calls that carry a progress token and collect what it brings.

use std::time::Duration;

use serde_json::{Value, json};

use super::fake::{FakeProvider, Reply};
use super::mcp::McpProcess;
use super::sse::{self, Answer};
use super::{anthropic_api, openai_api};

/// The key the binaries get; distinctive, so a leak would be easy to spot.
pub const KEY: &str = "sk-test-SECRET-456";

/// One backend binary and how its provider speaks.
#[derive(Clone, Copy)]
pub struct Backend {
    /// The default instance name, also used in test messages.
    pub name: &'static str,
    /// The binary's path.
    pub binary: &'static str,
    /// The variable the key is read from.
    pub key_env: &'static str,
    /// The completion path on the fake.
    pub path: &'static str,
    /// The models-listing path on the fake.
    pub models_path: &'static str,
    /// The model the fake's answers name.
    pub model: &'static str,
    /// `--base-url` for a fake at `http://127.0.0.1:PORT`.
    pub base_url: fn(&str) -> String,
    /// The SSE events of an answer.
    pub events: fn(&Answer) -> Vec<String>,
    /// The whole body of an answer.
    pub whole: fn(&Answer) -> Value,
}

fn same(url: &str) -> String {
    url.to_string()
}

fn with_v1(url: &str) -> String {
    format!("{url}/v1")
}

/// `llm-mcp-anthropic`.
pub const ANTHROPIC: Backend = Backend {
    name: "anthropic",
    binary: env!("CARGO_BIN_EXE_llm-mcp-anthropic"),
    key_env: "ANTHROPIC_API_KEY",
    path: anthropic_api::MESSAGES,
    models_path: anthropic_api::MODELS,
    model: "claude-sonnet-4-5-20250929",
    base_url: same,
    events: sse::anthropic_events,
    whole: sse::anthropic_whole,
};

/// `llm-mcp-openai`.
pub const OPENAI: Backend = Backend {
    name: "openai",
    binary: env!("CARGO_BIN_EXE_llm-mcp-openai"),
    key_env: "OPENAI_API_KEY",
    path: openai_api::CHAT,
    models_path: openai_api::MODELS,
    model: "gpt-4o-mini-2024-07-18",
    base_url: with_v1,
    events: sse::openai_events,
    whole: sse::openai_whole,
};

/// Both backends.
pub const BOTH: [Backend; 2] = [ANTHROPIC, OPENAI];

impl Backend {
    /// Starts the binary against `fake` with [`KEY`] and `extra` flags.
    pub async fn start(&self, fake: &FakeProvider, extra: &[&str]) -> McpProcess {
        let models = match self.name {
            "anthropic" => anthropic_api::models(&[self.model]),
            _ => openai_api::models(&[self.model]),
        };
        fake.fallback(self.models_path, Reply::json(200, &models));
        let base = (self.base_url)(&fake.url());
        let mut args = vec!["--base-url", base.as_str()];
        args.extend_from_slice(extra);
        super::start(self.binary, &args, &[(self.key_env, KEY)]).await
    }

    /// A plain text answer (`end_turn` / `stop`) in `pieces`.
    pub fn answer(&self, pieces: &[&'static str]) -> Answer {
        let stop = match self.name {
            "anthropic" => "end_turn",
            _ => "stop",
        };
        Answer {
            model: self.model,
            pieces: pieces.to_vec(),
            tool: None,
            stop,
            input: 12,
            output: 7,
            cache_read: 0,
            cache_write: 0,
        }
    }

    /// A successful whole answer whose output is `text`.
    pub fn ok(&self, text: &'static str) -> Reply {
        Reply::json(200, &(self.whole)(&self.answer(&[text])))
    }

    /// A successful streamed answer of `pieces`, `gap` before each event.
    pub fn streamed(&self, answer: &Answer, gap: Duration) -> Reply {
        sse::reply((self.events)(answer), gap)
    }

    /// Calls `complete` with `prompt` and asserts the record's output is `expected`: proof the
    /// server still serves calls.
    pub async fn assert_serves(
        &self,
        server: &mut McpProcess,
        fake: &FakeProvider,
        text: &'static str,
    ) {
        fake.push(self.path, self.ok(text));
        let result = server
            .call("complete", json!({"prompt": "still there?"}))
            .await;
        assert_eq!(result.record()["output"], json!(text), "{}", self.name);
    }
}

/// A `tools/call` of `tool` with `arguments` under progress token `token`: the notifications
/// that came before its response, and the response.
pub async fn call_with_progress(
    server: &mut McpProcess,
    tool: &str,
    arguments: Value,
    token: &str,
) -> (Vec<Value>, Value) {
    let params = json!({"name": tool, "arguments": arguments, "_meta": {"progressToken": token}});
    let (id, rx) = server.start_request("tools/call", params).await;
    let response = server.wait_response(id, rx).await;
    let mut notes = Vec::new();
    // Notifications are written before the response; the router may pass them on a bit later.
    while let Some(note) = server.next_notification(Duration::from_millis(150)).await {
        notes.push(note);
    }
    (notes, response)
}

/// Whether a progress notification is a heartbeat rather than new text.
pub fn is_heartbeat(note: &Value) -> bool {
    note["params"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("waiting for the provider"))
}

/// Asserts every note is a progress notification for `token` and the values strictly increase.
pub fn assert_strictly_increasing(notes: &[Value], token: &str) {
    let mut last = f64::MIN;
    for note in notes {
        assert_eq!(note["method"], json!("notifications/progress"), "{note}");
        assert_eq!(note["params"]["progressToken"], json!(token), "{note}");
        let value = note["params"]["progress"].as_f64().expect("a number");
        assert!(value > last, "progress must increase: {last} then {value}");
        last = value;
    }
}

/// The text the non-heartbeat notes carry, concatenated.
pub fn streamed_text(notes: &[Value]) -> String {
    notes
        .iter()
        .filter(|n| !is_heartbeat(n))
        .filter_map(|n| n["params"]["message"].as_str())
        .collect()
}
