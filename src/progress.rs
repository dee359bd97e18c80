//! Progress notifications of one call, so clients that reset their timeout on progress never
//! give up on a slow model.
//!
//! `progress` is the output tokens so far, estimated at four characters a token (providers
//! report exact counts only at the end), and the `message` is the new text. A heartbeat while
//! nothing arrives adds a thousandth, because the specification requires every notification
//! to increase `progress`.

use std::time::Duration;

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};

/// How long a call may go without a notification before a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// The `_meta` key with which `serve` tells a child its own client asked for no progress:
/// rmcp puts a progress token on every request it sends, and a token makes a backend stream
/// from the provider, which costs CPU and turns a `200 text/html` answer into a retryable
/// "cut off mid-answer" instead of `[invalid_response]`. A backend seeing it `true` ignores
/// the token.
pub const NO_PROGRESS_META: &str = "io.github.llm-mcp/noProgress";

/// The progress token of a request, unless its sender said it wants no progress.
pub fn wanted_token(meta: &rmcp::model::RequestMetaObject) -> Option<rmcp::model::ProgressToken> {
    if meta
        .get(NO_PROGRESS_META)
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        return None;
    }
    meta.get_progress_token()
}

/// The progress notifications of one request.
pub struct Progress {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    chars: usize,
    last: f64,
}

impl Progress {
    /// Progress for the request that carried `token`.
    pub fn new(peer: Peer<RoleServer>, token: ProgressToken) -> Self {
        Self {
            peer,
            token,
            chars: 0,
            last: 0.0,
        }
    }

    /// Reports new output text.
    pub async fn text(&mut self, delta: &str) {
        self.chars += delta.chars().count();
        let estimate = self.chars.div_ceil(4) as f64;
        let value = estimate.max(self.last + 1.0);
        self.send(value, delta.to_string()).await;
    }

    /// Reports that the call is still alive.
    pub async fn heartbeat(&mut self, waited: Duration) {
        let value = self.last + 0.001;
        let message = format!("waiting for the provider ({} s)", waited.as_secs());
        self.send(value, message).await;
    }

    async fn send(&mut self, value: f64, message: String) {
        self.last = value;
        let param = ProgressNotificationParam::new(self.token.clone(), value).with_message(message);
        // A client that went away cannot be told; the call itself ends on its own.
        if let Err(err) = self.peer.notify_progress(param).await {
            tracing::debug!(%err, "progress notification not delivered");
        }
    }
}
