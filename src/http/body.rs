//! Reading a body with a bound on its size, and telling a whole answer from a stream.

use reqwest::header::CONTENT_TYPE;

use crate::error::{ErrorKind, LlmError};

/// Bodies larger than this are not read to the end: no completion or listing is this large.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Whether a response to a streaming request came back as one JSON body instead.
pub fn answers_whole(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// Reads the whole body of `response` up to [`MAX_BODY_BYTES`].
pub async fn read_whole_body(mut response: reqwest::Response) -> Result<Vec<u8>, LlmError> {
    read_body(&mut response).await
}

/// Reads the body up to [`MAX_BODY_BYTES`]; a connection lost mid-body is an `upstream` error.
pub async fn read_body(response: &mut reqwest::Response) -> Result<Vec<u8>, LlmError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(LlmError::new(
                        ErrorKind::InvalidResponse,
                        format!(
                            "the provider's body exceeds {} MiB; cut off",
                            MAX_BODY_BYTES >> 20
                        ),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => {
                let cause = std::error::Error::source(&err)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| err.without_url().to_string());
                return Err(LlmError::new(
                    ErrorKind::Upstream,
                    format!("the connection broke while reading the body: {cause}"),
                ));
            }
        }
    }
}

/// A transport failure in the middle of a stream.
pub fn broken_stream(err: &dyn std::error::Error) -> LlmError {
    LlmError::new(
        ErrorKind::Upstream,
        format!("the stream broke before its end: {err}"),
    )
}
