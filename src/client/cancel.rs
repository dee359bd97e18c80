//! [`CancelOnDrop`]: a request abandoned by its caller is cancelled on the server.

use rmcp::model::RequestId;
use rmcp::{Peer, RoleClient};

/// Sends `notifications/cancelled` for a request whose caller stopped waiting (its future was
/// dropped), so the server stops spending tokens on an answer nobody will read.
pub(crate) struct CancelOnDrop {
    pub(crate) peer: Peer<RoleClient>,
    pub(crate) id: Option<RequestId>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let peer = self.peer.clone();
        runtime.spawn(async move {
            let param = rmcp::model::CancelledNotificationParam::new(
                Some(id),
                Some("the caller stopped waiting".into()),
            );
            let _ = peer.notify_cancelled(param).await;
        });
    }
}
