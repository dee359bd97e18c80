//! Reading a streamed HTTP body event by event into a [`StreamState`], sending each new piece
//! of output text as it arrives. The framing is read by [`super::sse`] or [`super::ndjson`];
//! the size bound and the delta bookkeeping are here, once for both.

use tokio::sync::mpsc;

use super::body::MAX_BODY_BYTES;
use super::{ndjson, sse};
use crate::error::{ErrorKind, LlmError};
use crate::provider::Provider;
use crate::stream::{Framing, StreamState};

/// Reads a stream event by event into a [`StreamState`], sending each new piece of output
/// text on `deltas`, until the provider's final event or the end of the body.
pub async fn read_stream<P: Provider>(
    provider: &P,
    response: reqwest::Response,
    framing: Framing,
    deltas: &mpsc::UnboundedSender<String>,
) -> Result<StreamState, LlmError> {
    let mut state = StreamState::default();
    let mut sent = 0;
    let mut received = 0;
    let mut feed = |state: &mut StreamState, event: &str, data: &str| {
        received += data.len();
        if received > MAX_BODY_BYTES {
            return Err(LlmError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the provider's stream exceeds {} MiB; cut off",
                    MAX_BODY_BYTES >> 20
                ),
            ));
        }
        provider.stream_event(state, event, data)?;
        // An adapter may settle the text at the final event (the Responses API's final items);
        // only text past what was sent goes out, and never from inside a character.
        if let Some(new) = state.output.get(sent..).filter(|new| !new.is_empty()) {
            // The receiver is gone only when the call is over; nothing is lost then.
            let _ = deltas.send(new.to_string());
            sent = state.output.len();
        }
        Ok(())
    };
    match framing {
        Framing::Sse => sse::read(response, &mut state, &mut feed).await?,
        Framing::Ndjson => ndjson::read(response, &mut state, &mut feed).await?,
    }
    if !state.done {
        provider.stream_end(&mut state);
    }
    Ok(state)
}
