//! MCP over Streamable HTTP (`--listen ADDR`), beside stdio: rmcp's Streamable HTTP service at
//! `/mcp` behind a gate of our own.
//!
//! - [`args`]: the `--listen`, `--auth-token-env`, `--allow-origin` and `--drain-timeout`
//!   flags, resolved once at start into [`HttpOptions`].
//! - `auth`: the bearer token, compared in constant time.
//! - `gate`: what every HTTP request passes before rmcp sees it (path, token, a bounded
//!   body), and the response bodies it watches.
//! - `in_flight`: the calls whose answers are still streaming, for draining at shutdown.
//! - `disconnect`: a session call whose client went away is cancelled, unless the client
//!   resumes its stream within a grace period.
//! - `unix`: a Unix socket listener (`--listen unix:PATH`): private, and removed at the end.
//! - `serve`: the listener, the connections and the shutdown.
//!
//! Both lifecycles are served: the session-based one of the 2025 revisions (`initialize`,
//! `Mcp-Session-Id`) and the stateless one of 2026-07-28 (a handler per request). Origin and
//! Host checks against DNS rebinding are rmcp's, configured in `serve`.

pub mod args;
mod auth;
mod disconnect;
mod gate;
mod in_flight;
mod serve;
#[cfg(unix)]
mod unix;

pub use args::{HttpOptions, ListenAddr, ListenArgs};
pub(crate) use serve::serve_http;
#[cfg(unix)]
pub(crate) use unix::check_private_dir;
