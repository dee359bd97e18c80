//! [`Secret`]: a key or token that can be passed around but never shown.

use std::fmt;

/// A key or token. It has no `Display`, its `Debug` is redacted, and the only way to read it is
/// [`Secret::expose`], used where a header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret text, for building an authentication header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
