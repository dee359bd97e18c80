//! The OS keychain through the `keyring` crate: the Secret Service on Linux and the BSDs
//! (over D-Bus, GNOME Keyring or KWallet), the macOS Keychain, the Windows Credential Manager.
//!
//! Each key is one entry with service [`SERVICE`] and the key's variable name as account.
//! Errors are rewritten into [`KeystoreError::Keychain`] text here, because some of
//! `keyring`'s error variants carry the stored bytes and must never be formatted.

use std::collections::HashMap;
use std::time::Duration;

use super::KeystoreError;
use super::names::{check_name, check_value};
use crate::secret::Secret;

/// The service every llm-mcp entry is stored under.
pub const SERVICE: &str = "llm-mcp";

/// Whether the platform store can be used: `Err` says why not (for example no D-Bus session).
pub fn available() -> Result<(), KeystoreError> {
    keyring::Entry::store_status()
        .as_ref()
        .map(|_| ())
        .map_err(|err| KeystoreError::Keychain(describe(err)))
}

/// How long a backend's start waits for the keychain: long enough for a locked desktop
/// keychain's unlock prompt to be answered, bounded so that a D-Bus peer that never answers
/// cannot hold the start forever.
pub const LOOKUP_LIMIT: Duration = Duration::from_secs(10);

/// [`get`] on a thread of its own, given up (as an error) after `limit`.
pub fn get_within(name: &str, limit: Duration) -> Result<Option<Secret>, KeystoreError> {
    let (sender, answer) = std::sync::mpsc::channel();
    let owned = name.to_string();
    std::thread::Builder::new()
        .name("llm-mcp-keychain".into())
        .spawn(move || {
            let _ = sender.send(get(&owned));
        })
        .map_err(|err| KeystoreError::Keychain(format!("cannot start the lookup: {err}")))?;
    answer.recv_timeout(limit).unwrap_or_else(|_| {
        Err(KeystoreError::Keychain(format!(
            "no answer within {} s",
            limit.as_secs()
        )))
    })
}

/// The key stored under `name`, `None` when there is no entry.
pub fn get(name: &str) -> Result<Option<Secret>, KeystoreError> {
    check_name(name)?;
    let entry = entry(name)?;
    match entry.get_password() {
        Ok(value) => Ok(Some(Secret::new(value))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(KeystoreError::Keychain(describe(&err))),
    }
}

/// Stores `value` under `name`, replacing an existing entry.
pub fn set(name: &str, value: &Secret) -> Result<(), KeystoreError> {
    check_name(name)?;
    check_value(value.expose())?;
    entry(name)?
        .set_password(value.expose())
        .map_err(|err| KeystoreError::Keychain(describe(&err)))
}

/// Deletes the entry for `name`; whether there was one.
pub fn remove(name: &str) -> Result<bool, KeystoreError> {
    check_name(name)?;
    match entry(name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(err) => Err(KeystoreError::Keychain(describe(&err))),
    }
}

/// The names of every llm-mcp entry, sorted. Stores that cannot search (the Windows
/// Credential Manager) answer an error saying so.
pub fn names() -> Result<Vec<String>, KeystoreError> {
    available()?;
    let spec = HashMap::from([("service", SERVICE)]);
    let entries = keyring_core::Entry::search(&spec)
        .map_err(|err| KeystoreError::Keychain(describe(&err)))?;
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|entry| entry.get_specifiers())
        .filter(|(service, _)| service == SERVICE)
        .map(|(_, user)| user)
        .filter(|user| check_name(user).is_ok())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

fn entry(name: &str) -> Result<keyring::Entry, KeystoreError> {
    keyring::Entry::new(SERVICE, name).map_err(|err| KeystoreError::Keychain(describe(&err)))
}

/// Text for an error that never includes stored bytes.
fn describe(err: &keyring::Error) -> String {
    use keyring::Error;
    match err {
        Error::PlatformFailure(inner) => format!("the platform store failed: {inner}"),
        Error::NoStorageAccess(inner) => format!("the platform store is not reachable: {inner}"),
        Error::NoDefaultStore => "no platform store could be opened".into(),
        Error::NoEntry => "no such entry".into(),
        Error::BadEncoding(_) => "the stored value is not UTF-8 text".into(),
        Error::BadDataFormat(..) => "the stored value has an unexpected format".into(),
        Error::TooLong(what, limit) => format!("{what} is longer than {limit}"),
        Error::Invalid(what, why) => format!("invalid {what}: {why}"),
        Error::Ambiguous(entries) => format!("{} entries match", entries.len()),
        Error::NotSupportedByStore(what) => format!("not supported by this store: {what}"),
        _ => "the platform store failed".into(),
    }
}
