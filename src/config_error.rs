//! The error of a backend configuration that cannot work (flags, variables, key files), kept
//! apart from [`crate::config`] so that what `config` reads through (the keystore, prices,
//! files) can fail with it without importing `config`.

/// A configuration that cannot work; the message says which flag or variable to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);
