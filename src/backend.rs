//! The [`Backend`] trait: what the MCP server asks of a provider, with IO.
//!
//! Wire formats implement the pure [`crate::provider::Provider`] and get a backend from
//! [`crate::http::HttpBackend`]; the offline mock implements `Backend` itself, since it has no
//! wire to map.

use std::future::Future;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::completion::{Completion, CompletionRequest};
use crate::error::LlmError;

/// A completion and what it took to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// What the provider answered.
    pub completion: Completion,
    /// HTTP attempts made (1 when the first answered).
    pub attempts: u32,
}

/// What `status` reports about reaching the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Whether the provider answered at all (an HTTP error status still counts as reachable).
    pub reachable: bool,
    /// Time to the answer.
    pub latency_ms: Option<u64>,
    /// What went wrong, when it was not reachable or rejected the probe.
    pub detail: Option<String>,
}

/// What `status` says of a credential that is not a key in a variable: a login whose token
/// expires (`--auth codex`). Never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialStatus {
    /// `present`, `missing`, `expired` (and cannot be refreshed) or `unreadable`.
    pub state: String,
    /// Which credential and where it is read from.
    pub source: String,
    /// When the token in use expires (RFC 3339, UTC), when it says.
    pub expires_at: Option<String>,
}

/// A provider the server can call.
pub trait Backend: Send + Sync + 'static {
    /// Sends one completion, retrying retryable failures while `deadline` allows.
    fn complete(
        &self,
        request: CompletionRequest,
        deadline: Instant,
    ) -> impl Future<Output = Result<Answer, LlmError>> + Send;

    /// Like [`Backend::complete`], but sends each new piece of output text on `deltas` as it
    /// arrives. Backends that cannot stream answer whole (the default).
    fn complete_streaming(
        &self,
        request: CompletionRequest,
        deadline: Instant,
        deltas: mpsc::UnboundedSender<String>,
    ) -> impl Future<Output = Result<Answer, LlmError>> + Send {
        drop(deltas);
        self.complete(request, deadline)
    }

    /// The provider's own model listing.
    fn list_models(&self) -> impl Future<Output = Result<Vec<String>, LlmError>> + Send;

    /// Checks reachability without spending tokens.
    fn probe(&self) -> impl Future<Output = Probe> + Send;

    /// The endpoint, for `status` (never holds a key).
    fn endpoint(&self) -> String;

    /// What the wire format changes in `request` before sending, as warnings (see
    /// [`crate::provider::Provider::adjust`]).
    fn adjust(&self, _request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }

    /// Whether the provider's own control carries `request.response_format` (see
    /// [`crate::provider::Provider::maps_response_format`]).
    fn maps_response_format(&self, _request: &CompletionRequest) -> bool {
        false
    }

    /// The state of a login credential, for `status`; `None` for a key in a variable (the
    /// configuration says all there is about it).
    fn credential_status(&self) -> Option<CredentialStatus> {
        None
    }
}
