//! A hostile provider (issue 16): what it sends may be absurd, endless or malicious, and the
//! server answers each call with a clear error and goes on serving the next.

mod echoed_key;
mod endless_line;
mod retry_after;
mod stream_index;
mod token_counts;
