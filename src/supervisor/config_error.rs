//! The error of a supervisor configuration that cannot be used.

/// A configuration that cannot be used; the message names the entry to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigFileError(pub String);
