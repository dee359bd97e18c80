//! The HTTP client every request of a server goes through, and the errors of its transport.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, Url};

use crate::config::ServerConfig;
use crate::error::{ErrorKind, LlmError};

/// The client for `config`'s endpoint: one connection pool, the connect timeout, no redirects.
pub fn build(config: &ServerConfig) -> Result<Client, LlmError> {
    let mut builder = Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .user_agent(concat!("llm-mcp/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the key's header to wherever it points; LLM APIs do not
        // redirect, so a 3xx is reported instead of followed.
        .redirect(reqwest::redirect::Policy::none());
    if config.base_url.scheme() == "http" {
        // With redirects off, nothing ever leaves for https: skip loading the system's
        // certificate store (a faster start and less memory for local servers).
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder.build().map_err(|err| {
        LlmError::new(
            ErrorKind::Internal,
            format!("cannot build the HTTP client: {err}"),
        )
    })
}

/// What a failed send amounts to, naming the endpoint (never a key or the URL's query).
pub fn transport_error(base_url: &Url, err: &reqwest::Error) -> LlmError {
    let host = base_url.host_str().unwrap_or("the provider");
    let port = base_url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    // Errors are printed without their URL; the endpoint is named here, never a key.
    let cause = std::error::Error::source(err)
        .map(|s| s.to_string())
        .unwrap_or_else(|| err.to_string());
    if err.is_timeout() {
        LlmError::new(
            ErrorKind::Timeout,
            format!("no connection to {host}{port} within the connect timeout"),
        )
    } else if err.is_connect() {
        LlmError::new(
            ErrorKind::Unreachable,
            format!("cannot connect to {host}{port}: {cause}"),
        )
    } else {
        LlmError::new(
            ErrorKind::Unreachable,
            format!("connection to {host}{port} failed: {cause}"),
        )
    }
}

/// A redirect is reported, not followed: it would carry the key's header elsewhere.
pub fn redirect_error(status: u16, headers: &HeaderMap) -> LlmError {
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|location| format!(" to {location}"))
        .unwrap_or_default();
    LlmError::new(
        ErrorKind::BadRequest,
        format!("the endpoint redirects{target}"),
    )
    .with_status(status)
    .with_hint(
        "redirects are not followed, so that a key never travels elsewhere: point --base-url at the final address",
    )
}
