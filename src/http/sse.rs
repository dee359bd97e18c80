//! SSE framing (Anthropic, OpenAI, Gemini, Mistral): named or unnamed events of `data:` lines.

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::body::broken_stream;
use crate::error::LlmError;
use crate::stream::StreamState;

/// Feeds each event of the body to `feed` until the provider's final event or the body's end.
pub async fn read(
    response: reqwest::Response,
    state: &mut StreamState,
    feed: &mut impl FnMut(&mut StreamState, &str, &str) -> Result<(), LlmError>,
) -> Result<(), LlmError> {
    // A blank line after the body completes a last event that lacks its own: the SSE
    // parser drops an unterminated event, and some servers end with `data: [DONE]\n`.
    let end = futures::stream::iter([Ok(Bytes::from_static(b"\n\n"))]);
    let mut events = response.bytes_stream().chain(end).eventsource();
    while !state.done {
        match events.next().await {
            Some(Ok(event)) => feed(state, &event.event, &event.data)?,
            Some(Err(err)) => return Err(broken_stream(&err)),
            None => break,
        }
    }
    Ok(())
}
