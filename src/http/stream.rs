//! Reading a streamed HTTP body event by event into a [`StreamState`], sending each new piece
//! of output text as it arrives. The framing is read by [`super::sse`] or [`super::ndjson`]
//! (each line and event bounded there); the body bound and the delta bookkeeping are here,
//! once for both.
//!
//! The work per chunk is linear in the chunk (the framers never rescan), and every chunk is
//! awaited, so a hostile body costs its own call time within its deadline and never holds
//! up the runtime's other calls.

use futures::StreamExt;
use tokio::sync::mpsc;

use super::body::{MAX_BODY_BYTES, broken_stream};
use super::framer::Framer;
use super::ndjson::NdjsonLines;
use super::sse::Events;
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
    let mut feed = |state: &mut StreamState, event: &str, data: &str| {
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
        Framing::Sse => read(response, Events::default(), &mut state, &mut feed).await?,
        Framing::Ndjson => read(response, NdjsonLines::default(), &mut state, &mut feed).await?,
    }
    if !state.done {
        provider.stream_end(&mut state);
    }
    Ok(state)
}

/// Feeds each event of the body to `feed` until the provider's final event or the body's end;
/// a body past [`MAX_BODY_BYTES`] is an `invalid_response` error, however it is framed.
async fn read(
    response: reqwest::Response,
    mut framer: impl Framer,
    state: &mut StreamState,
    feed: &mut impl FnMut(&mut StreamState, &str, &str) -> Result<(), LlmError>,
) -> Result<(), LlmError> {
    let mut chunks = response.bytes_stream();
    let mut received = 0;
    while !state.done {
        if let Some((name, data)) = framer.next()? {
            feed(state, &name, &data)?;
            continue;
        }
        match chunks.next().await {
            Some(Ok(chunk)) => {
                received += chunk.len();
                if received > MAX_BODY_BYTES {
                    return Err(LlmError::new(
                        ErrorKind::InvalidResponse,
                        format!(
                            "the provider's stream exceeds {} MiB; cut off",
                            MAX_BODY_BYTES >> 20
                        ),
                    ));
                }
                framer.push(&chunk);
            }
            Some(Err(err)) => return Err(broken_stream(&err)),
            None => {
                if let Some((name, data)) = framer.end()? {
                    feed(state, &name, &data)?;
                }
                break;
            }
        }
    }
    Ok(())
}
