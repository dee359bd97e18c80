//! Reading a streamed HTTP body (SSE or NDJSON) event by event into a [`StreamState`],
//! sending each new piece of output text as it arrives.

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::header::CONTENT_TYPE;
use tokio::sync::mpsc;

use crate::error::{ErrorKind, LlmError};
use crate::http::MAX_BODY_BYTES;
use crate::provider::Provider;
use crate::stream::{Framing, LineBuffer, StreamState};

/// Whether a response to a streaming request came back as one JSON body instead.
pub fn answers_whole(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

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
        if state.output.len() > sent {
            // The receiver is gone only when the call is over; nothing is lost then.
            let _ = deltas.send(state.output[sent..].to_string());
            sent = state.output.len();
        }
        Ok(())
    };
    match framing {
        Framing::Sse => {
            // A blank line after the body completes a last event that lacks its own: the SSE
            // parser drops an unterminated event, and some servers end with `data: [DONE]\n`.
            let end = futures::stream::iter([Ok(Bytes::from_static(b"\n\n"))]);
            let mut events = response.bytes_stream().chain(end).eventsource();
            while !state.done {
                match events.next().await {
                    Some(Ok(event)) => feed(&mut state, &event.event, &event.data)?,
                    Some(Err(err)) => return Err(broken_stream(&err)),
                    None => break,
                }
            }
        }
        Framing::Ndjson => {
            let mut chunks = response.bytes_stream();
            let mut lines = LineBuffer::default();
            while !state.done {
                match chunks.next().await {
                    Some(Ok(chunk)) => {
                        for line in lines.push(&chunk) {
                            feed(&mut state, "", &line)?;
                        }
                    }
                    Some(Err(err)) => return Err(broken_stream(&err)),
                    None => {
                        if let Some(line) = lines.rest() {
                            feed(&mut state, "", &line)?;
                        }
                        break;
                    }
                }
            }
        }
    }
    if !state.done {
        provider.stream_end(&mut state);
    }
    Ok(state)
}

fn broken_stream(err: &dyn std::error::Error) -> LlmError {
    LlmError::new(
        ErrorKind::Upstream,
        format!("the stream broke before its end: {err}"),
    )
}
