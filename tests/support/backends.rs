//! The HTTP backend binaries (Anthropic, OpenAI, Ollama, Gemini, Mistral, and presets built on
//! them) as data, so one test body can run against each: how to start one against the fake,
//! the paths it uses, its provider's bodies (answers, streams, errors), and the provider's
//! own words for stops. The one table of them is in [`super::backend_list`]; a test file that
//! needs other listings or another model overrides fields with `Backend { .., ..ANTHROPIC }`.

use std::time::Duration;

use serde_json::{Value, json};

use super::fake::{FakeProvider, Reply};
use super::http::RecordedRequest;
use super::mcp::McpProcess;
use super::sse::Answer;

/// The key the binaries get; distinctive, so a leak would be easy to spot.
pub const KEY: &str = "sk-test-SECRET-456";

/// How a stream is framed on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Framing {
    /// Server-sent events (`text/event-stream`).
    Sse,
    /// Newline-delimited JSON (`application/x-ndjson`, Ollama).
    Ndjson,
}

impl Framing {
    /// The content type a provider streams with.
    pub fn content_type(self) -> &'static str {
        match self {
            Framing::Sse => "text/event-stream",
            Framing::Ndjson => "application/x-ndjson",
        }
    }
}

/// The provider's own words for why an answer stopped.
#[derive(Clone, Copy)]
pub struct Stops {
    /// A normal end (`end_turn`, `stop`, `STOP`).
    pub end: &'static str,
    /// The token limit (`max_tokens`, `length`, `MAX_TOKENS`).
    pub length: &'static str,
    /// An answer that calls a tool.
    pub tool: &'static str,
}

/// One backend binary and how its provider speaks.
#[derive(Clone, Copy)]
pub struct Backend {
    /// The default instance name, also used in test messages.
    pub name: &'static str,
    /// The binary's path.
    pub binary: &'static str,
    /// Flags every start passes first (e.g. `--preset azure`).
    pub args: &'static [&'static str],
    /// The variable the key is read from.
    pub key_env: &'static str,
    /// The path a whole (non-streamed) completion is posted to on the fake.
    pub path: &'static str,
    /// The path a streamed completion is posted to (Gemini's differs from `path`).
    pub stream_path: &'static str,
    /// The query a streamed request must carry, if any (Gemini's `alt=sse`).
    pub stream_query: Option<&'static str>,
    /// Whether the streamed request says so in its body (`"stream": true`).
    pub stream_flag: bool,
    /// Whether the streamed request asks for the usage chunk (`stream_options`).
    pub asks_stream_usage: bool,
    /// The models-listing path on the fake.
    pub models_path: &'static str,
    /// The models listing body, given [`Backend::model`] (some listings name more models).
    pub models: fn(&str) -> Value,
    /// The model the fake's answers name.
    pub model: &'static str,
    /// `--base-url` for a fake at `http://127.0.0.1:PORT`.
    pub base_url: fn(&str) -> String,
    /// How a stream is framed.
    pub framing: Framing,
    /// The stream events (SSE events or NDJSON lines) of an answer.
    pub events: fn(&Answer) -> Vec<String>,
    /// The index of the event that carries the first piece of text.
    pub first_text: usize,
    /// How many events follow the one that completes an answer (a usage chunk, `[DONE]`).
    pub trailing: usize,
    /// The whole body of an answer.
    pub whole: fn(&Answer) -> Value,
    /// Why answers stop, in the provider's words.
    pub stops: Stops,
    /// The id the provider gives a tool call; `None` when it sends none (the adapter then
    /// names it `call_0`).
    pub tool_id: Option<&'static str>,
    /// Whether answers may carry text before a tool call.
    pub text_with_tools: bool,
    /// Whether the usage reports cached input read (`cache_read`).
    pub reads_cache: bool,
    /// Whether the usage reports cached input written (`cache_write`).
    pub writes_cache: bool,
    /// The provider's answer to a rejected key.
    pub unauthorized: fn() -> Reply,
    /// The provider's answer to an unknown model.
    pub model_not_found: fn(&str) -> Reply,
    /// A plain rate limit (no retry-after header).
    pub rate_limited: fn() -> Reply,
    /// A used-up quota or spend limit.
    pub quota: fn() -> Reply,
    /// An internal server error.
    pub server_error: fn() -> Reply,
}

pub use super::backend_list::{ALL, ANTHROPIC, GEMINI, MISTRAL, OLLAMA, OPENAI};
pub use super::progress::{
    assert_strictly_increasing, call_with_progress, is_heartbeat, streamed_text,
};

impl Backend {
    /// Starts the binary against `fake` with [`KEY`] and `extra` flags.
    pub async fn start(&self, fake: &FakeProvider, extra: &[&str]) -> McpProcess {
        self.start_with_env(fake, extra, &[(self.key_env, KEY)])
            .await
    }

    /// Starts the binary against `fake` with `extra` flags and exactly `env` (on top of PATH
    /// and HOME); the fake lists [`Backend::model`] meanwhile.
    pub async fn start_with_env(
        &self,
        fake: &FakeProvider,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> McpProcess {
        fake.fallback(
            self.models_path,
            Reply::json(200, &(self.models)(self.model)),
        );
        let base = (self.base_url)(&fake.url());
        let mut args = self.args.to_vec();
        args.extend_from_slice(&["--base-url", base.as_str()]);
        args.extend_from_slice(extra);
        super::start(self.binary, &args, env).await
    }

    /// A plain text answer that ended normally, in `pieces`.
    pub fn answer(&self, pieces: &[&'static str]) -> Answer {
        Answer {
            model: self.model,
            pieces: pieces.to_vec(),
            tool: None,
            stop: self.stops.end,
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

    /// A reply streaming `events`, `gap` before each.
    pub fn stream_reply(&self, events: Vec<String>, gap: Duration) -> Reply {
        let pieces = events.into_iter().map(|e| (gap, e)).collect();
        Reply::chunked(200, self.framing.content_type(), pieces)
    }

    /// A successful streamed answer, `gap` before each event.
    pub fn streamed(&self, answer: &Answer, gap: Duration) -> Reply {
        self.stream_reply((self.events)(answer), gap)
    }

    /// The index of the event that completes `answer` among its events.
    pub fn final_event(&self, answer: &Answer) -> usize {
        (self.events)(answer).len() - 1 - self.trailing
    }

    /// The completion requests the fake received, whole and streamed, in arrival order.
    pub fn calls(&self, fake: &FakeProvider) -> Vec<RecordedRequest> {
        fake.requests()
            .into_iter()
            .filter(|r| r.path == self.path || r.path == self.stream_path)
            .collect()
    }

    /// Asserts `plain` asked for a whole answer and `streamed` for a stream of the same one.
    pub fn assert_stream_request(&self, plain: &RecordedRequest, streamed: &RecordedRequest) {
        let (name, body) = (self.name, plain.body_json());
        assert_eq!(plain.path, self.path, "{name}");
        assert!(
            body.get("stream").is_none_or(|s| s == &json!(false)),
            "{name} {body}"
        );
        assert_eq!(streamed.path, self.stream_path, "{name}");
        assert_eq!(streamed.query.as_deref(), self.stream_query, "{name}");
        let stream = streamed.body_json();
        if self.stream_flag {
            assert_eq!(stream["stream"], json!(true), "{name} {stream}");
        } else {
            // The path says it all: the body is the whole request's.
            assert_eq!(stream, body, "{name}");
        }
        if self.asks_stream_usage {
            assert_eq!(stream["stream_options"], json!({"include_usage": true}));
        } else {
            assert!(stream.get("stream_options").is_none(), "{name} {stream}");
        }
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
