//! What every HTTP request passes before rmcp sees it, and the response bodies it watches.
//!
//! - Only `/mcp` is served.
//! - With a token, a request without `Authorization: Bearer TOKEN` gets 401.
//! - The body is read whole, at most [`MAX_BODY_BYTES`] within [`BODY_TIMEOUT`] (413 or
//!   408 otherwise), so rmcp gets a bounded body and the gate can see what was asked.
//! - The response body of a call (a JSON-RPC request) is counted in flight until it ends, and
//!   in a session it is watched for a client that goes away ([`super::disconnect`]).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;

use super::disconnect::{Streams, Watch};
use super::in_flight::{CallGuard, InFlight};
use crate::secret::Secret;

/// The largest request body: the stdio transport's line limit, so a call that works on stdio
/// works over HTTP.
pub(super) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How long a client may take to send its request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The path MCP is served at.
pub(super) const PATH: &str = "/mcp";

/// A response as rmcp builds them.
pub(super) type HttpResponse = Response<BoxBody<Bytes, Infallible>>;

/// The gate in front of rmcp's service.
pub(super) struct Gate<S: ServerHandler> {
    pub(super) service: StreamableHttpService<S, LocalSessionManager>,
    pub(super) token: Option<Secret>,
    pub(super) in_flight: Arc<InFlight>,
    pub(super) streams: Arc<Streams>,
}

impl<S: ServerHandler + Send + 'static> Gate<S> {
    /// Answers one HTTP request.
    pub(super) async fn handle<B>(&self, request: Request<B>) -> HttpResponse
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if request.uri().path() != PATH {
            return plain(StatusCode::NOT_FOUND, "Not Found: MCP is served at /mcp");
        }
        if let Some(token) = &self.token
            && !super::auth::authorized(request.headers(), token)
        {
            let mut response = plain(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: send Authorization: Bearer TOKEN",
            );
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"llm-mcp\""),
            );
            return response;
        }
        if request.body().size_hint().lower() > MAX_BODY_BYTES as u64 {
            // Announced too large (Content-Length): answered before any of it is read.
            return too_large();
        }
        let (parts, body) = request.into_parts();
        let collected =
            tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect());
        let bytes = match collected.await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => return too_large(),
            Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, "Bad Request: unreadable body"),
            Err(_) => {
                return plain(
                    StatusCode::REQUEST_TIMEOUT,
                    "Request Timeout: the body took longer than 30 s",
                );
            }
        };
        let session = header(&parts.headers, "mcp-session-id").map(Arc::<str>::from);
        let watch = match (&parts.method, session) {
            (&Method::POST, session) => request_id(&bytes).map(|id| {
                let watch = session.map(|session| self.streams.call(session, id));
                (Some(self.in_flight.enter()), watch)
            }),
            (&Method::GET, Some(session)) => header(&parts.headers, "last-event-id")
                .and_then(|last| self.streams.resumed(session, last))
                .map(|watch| (Some(self.in_flight.enter()), Some(watch))),
            _ => None,
        };
        let response = self
            .service
            .handle(Request::from_parts(parts, Full::new(bytes)))
            .await;
        match watch {
            Some((guard, watch)) if response.status().is_success() => {
                let (parts, body) = response.into_parts();
                let body = Watched {
                    inner: body,
                    _guard: guard,
                    watch,
                };
                Response::from_parts(parts, BoxBody::new(body))
            }
            _ => response,
        }
    }
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The id of a JSON-RPC request (an object with a method and a non-null id).
fn request_id(body: &[u8]) -> Option<serde_json::Value> {
    #[derive(serde::Deserialize)]
    struct Peek {
        method: Option<serde::de::IgnoredAny>,
        id: Option<serde_json::Value>,
    }
    let peek: Peek = serde_json::from_slice(body).ok()?;
    peek.method?;
    peek.id.filter(|id| !id.is_null())
}

fn too_large() -> HttpResponse {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Payload Too Large: a request body may be 16 MiB at most",
    )
}

/// A plain-text response.
pub(super) fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(BoxBody::new(Full::new(Bytes::from_static(text.as_bytes()))))
        .expect("a valid response")
}

/// A call's response body: counted in flight while it lasts, and watched in a session.
struct Watched {
    inner: BoxBody<Bytes, Infallible>,
    _guard: Option<CallGuard>,
    watch: Option<Watch>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Some(watch) = &mut this.watch {
            match &polled {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        watch.saw(data);
                    }
                    if this.inner.is_end_stream() {
                        watch.finished();
                    }
                }
                Poll::Ready(None) => watch.finished(),
                _ => {}
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_have_an_id_to_watch() {
        let id = |text: &str| request_id(text.as_bytes());
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}}"#),
            Some(7.into())
        );
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#),
            Some("a".into())
        );
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            None
        );
        assert_eq!(id(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#), None);
        assert_eq!(id(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#), None);
        assert_eq!(id("not json"), None);
    }
}
