//! What a stored key's name and value may be: names are the variable names backends read
//! (`ANTHROPIC_API_KEY`), values are bounded so a vault stays small.

use super::KeystoreError;

/// The longest key name accepted.
pub const MAX_NAME_LEN: usize = 128;
/// The largest value accepted (a comma-separated list of keys fits easily).
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// Accepts a name made of ASCII letters, digits and `_`, not starting with a digit: the names
/// a backend's `--api-key-env` can point at.
pub fn check_name(name: &str) -> Result<(), KeystoreError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(KeystoreError::BadName(format!(
            "key name {name:?}: expected a variable name (letters, digits, _), at most {MAX_NAME_LEN} characters"
        )))
    }
}

/// Accepts a value that is not empty and at most [`MAX_VALUE_BYTES`] long.
pub fn check_value(value: &str) -> Result<(), KeystoreError> {
    if value.trim().is_empty() {
        return Err(KeystoreError::BadValue("the key is empty".into()));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(KeystoreError::BadValue(format!(
            "the key is longer than {MAX_VALUE_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_variable_names() {
        assert!(check_name("ANTHROPIC_API_KEY").is_ok());
        assert!(check_name("_x1").is_ok());
        for bad in [
            "",
            "1KEY",
            "A-B",
            "A B",
            "KÉY",
            &"A".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_bounded_and_not_empty() {
        assert!(check_value("sk-1").is_ok());
        assert!(check_value(" \n").is_err());
        assert!(check_value(&"k".repeat(MAX_VALUE_BYTES + 1)).is_err());
    }
}
