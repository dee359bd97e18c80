//! llm-mcp: LLM providers as small stdio MCP servers.
//!
//! One request, followed from tool call to HTTP and back:
//!
//! 1. A client calls the `complete` or `chat` tool of a backend binary (`servers/*.rs`), which
//!    parsed its flags and environment once into a `config::ServerConfig`.
//! 2. `server::LlmServer` checks the arguments (`tool_args`) and resolves them into a
//!    provider-neutral [`completion::CompletionRequest`] (aliases, defaults, limits).
//! 3. It hands the request to its `backend::Backend` under the call's timeout and
//!    cancellation token. For a real provider that is `http::HttpBackend`, which asks the
//!    wire format's pure `provider::Provider` (one file per format in `providers`) for an
//!    HTTP request, sends it with retries, backoff and key rotation (`keys`), and asks the
//!    provider to read the body into a [`completion::Completion`].
//!    When the request carries a progress token the call streams instead: the provider's
//!    SSE or NDJSON body is read event by event (`http::stream`) into a
//!    `stream::StreamState`, and each new piece of text goes out as a progress notification
//!    (`progress`), with heartbeats while nothing arrives.
//! 4. The server adds latency, attempts and cost (`prices`) and answers the
//!    [`completion::Record`] as `structuredContent` and as JSON text; a failure becomes a tool
//!    error whose text starts with its [`error::ErrorKind`].
//!
//! Around the backend servers: [`supervisor`] is `llm-mcp serve` (children, routing,
//! restarts, reload), [`client`] the typed client that spawns and calls a server, and [`cli`]
//! the `llm-mcp` subcommands built on both. `run` is what every binary's `main` shares, and
//! [`transport`] serves any of the servers over Streamable HTTP (`--listen`) instead of stdio.

pub(crate) mod atomic_file;
pub(crate) mod auth;
pub(crate) mod backend;
pub(crate) mod catalog;
pub mod cli;
pub mod client;
pub mod completion;
pub(crate) mod config;
pub(crate) mod config_error;
pub mod connect;
pub(crate) mod content;
pub mod error;
pub(crate) mod http;
pub(crate) mod key_rests;
pub(crate) mod keys;
pub mod keystore;
pub mod limits;
pub(crate) mod misfit;
pub(crate) mod mock;
pub(crate) mod prices;
pub(crate) mod progress;
pub(crate) mod provider;
pub(crate) mod providers;
pub(crate) mod redact;
pub mod registry;
pub(crate) mod replay;
pub(crate) mod run;
pub mod schema;
pub(crate) mod secret;
pub(crate) mod server;
pub(crate) mod shape;
pub(crate) mod small_file;
pub(crate) mod stdio;
pub(crate) mod stream;
pub(crate) mod structured;
pub mod supervisor;
pub mod tasks;
#[cfg(test)]
pub(crate) mod test_server;
pub(crate) mod tool_args;
pub(crate) mod tool_result;
pub mod transport;

pub use client::{ChatRequest, ClientError, ClientOptions, CompleteRequest, LlmClient};
pub use completion::{Message, Record, Role, ToolCall, ToolSpec};
pub use error::{ErrorKind, LlmError};
