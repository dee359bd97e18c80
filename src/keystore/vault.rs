//! The vault: keys in one file, encrypted with a key derived from a passphrase, for machines
//! with no OS keychain (servers, containers, CI).
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! magic "LLMMCPV1" | m_cost u32 | t_cost u32 | p_cost u32 | salt [16] | check [32] | nonce [24]
//! | ciphertext of {"keys":{NAME:VALUE,...}} with its 16-byte tag
//! ```
//!
//! Argon2id turns passphrase and salt into 64 bytes: the first 32 are the XChaCha20-Poly1305
//! key, the last 32 are `check`, stored so a wrong passphrase is told apart from a damaged
//! file. The whole header is the cipher's associated data, so no byte of it can change
//! unnoticed. Every save draws a new salt and nonce and replaces the file atomically
//! (a temporary file in the same directory, mode 0600, then a rename).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::{Zeroize, Zeroizing};

use super::KeystoreError;
use super::names::{check_name, check_value};
use crate::secret::Secret;

/// The variable naming the vault file.
pub const PATH_ENV: &str = "LLM_MCP_VAULT";
/// The variable holding the passphrase.
pub const PASSPHRASE_ENV: &str = "LLM_MCP_VAULT_PASSPHRASE";
/// The variable naming a file that holds the passphrase.
pub const PASSPHRASE_FILE_ENV: &str = "LLM_MCP_VAULT_PASSPHRASE_FILE";

/// The largest vault file read; anything larger is refused as corrupt.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The most keys one vault holds.
pub const MAX_KEYS: usize = 256;

const MAGIC: &[u8; 8] = b"LLMMCPV1";
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + 12 + SALT_LEN + CHECK_LEN + NONCE_LEN;
const TAG_LEN: usize = 16;
// Argon2id costs written by a save: 19 MiB, two passes, one lane (the argon2 crate's
// defaults, OWASP's minimum recommendation for Argon2id).
const M_COST: u32 = Params::DEFAULT_M_COST;
const T_COST: u32 = Params::DEFAULT_T_COST;
const P_COST: u32 = Params::DEFAULT_P_COST;
// Costs accepted when reading, so a crafted file cannot make an open take minutes or GiBs.
const MAX_M_COST: u32 = 256 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;

/// The vault file: `$LLM_MCP_VAULT`, else `llm-mcp/vault` under the user's config directory
/// (`$XDG_CONFIG_HOME`, else `$HOME/.config`; `%APPDATA%` on Windows). `None` when none is known.
pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(explicit) = set(PATH_ENV) {
        return Some(PathBuf::from(explicit.trim()));
    }
    let config_dir = if cfg!(windows) {
        set("APPDATA").map(PathBuf::from)
    } else {
        set("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|home| Path::new(&home).join(".config")))
    }?;
    Some(config_dir.join("llm-mcp").join("vault"))
}

/// The passphrase from `$LLM_MCP_VAULT_PASSPHRASE`, else from the file named by
/// `$LLM_MCP_VAULT_PASSPHRASE_FILE` (its trailing newline dropped).
pub fn passphrase(
    env: &dyn Fn(&str) -> Option<String>,
    vault: &Path,
) -> Result<Zeroizing<String>, KeystoreError> {
    if let Some(value) = env(PASSPHRASE_ENV).map(Zeroizing::new)
        && !value.is_empty()
    {
        return Ok(value);
    }
    if let Some(file) = env(PASSPHRASE_FILE_ENV).filter(|f| !f.trim().is_empty()) {
        let bytes = Zeroizing::new(read_bounded(Path::new(file.trim())).map_err(|err| {
            KeystoreError::Io {
                what: format!("{PASSPHRASE_FILE_ENV} names a file that cannot be read"),
                source: std::io::Error::other(err.to_string()),
            }
        })?);
        let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
        let value = Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_string());
        if !value.is_empty() {
            return Ok(value);
        }
    }
    Err(KeystoreError::NoPassphrase {
        path: vault.to_path_buf(),
    })
}

/// The decrypted contents of a vault: key names and their values.
#[derive(Default)]
pub struct Vault {
    keys: BTreeMap<String, Secret>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("names", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Plain {
    keys: BTreeMap<String, String>,
}

impl Drop for Plain {
    fn drop(&mut self) {
        for value in self.keys.values_mut() {
            value.zeroize();
        }
    }
}

impl Vault {
    /// A vault with no keys, for a first `keys set`.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Opens the file at `path` with `passphrase`.
    pub fn open(path: &Path, passphrase: &str) -> Result<Self, KeystoreError> {
        let bytes = read_bounded(path)?;
        Self::decrypt(path, &bytes, passphrase)
    }

    /// Opens `path`, or returns an empty vault when the file does not exist yet.
    pub fn open_or_empty(path: &Path, passphrase: &str) -> Result<Self, KeystoreError> {
        if path.exists() {
            Self::open(path, passphrase)
        } else {
            Ok(Self::empty())
        }
    }

    /// The value stored under `name`.
    pub fn get(&self, name: &str) -> Option<Secret> {
        self.keys.get(name).cloned()
    }

    /// The names stored, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Stores `value` under `name`, replacing what was there.
    pub fn set(&mut self, name: &str, value: Secret) -> Result<(), KeystoreError> {
        check_name(name)?;
        check_value(value.expose())?;
        if !self.keys.contains_key(name) && self.keys.len() >= MAX_KEYS {
            return Err(KeystoreError::BadValue(format!(
                "the vault holds {MAX_KEYS} keys already"
            )));
        }
        self.keys.insert(name.to_string(), value);
        Ok(())
    }

    /// Removes `name`; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.keys.remove(name).is_some()
    }

    /// Encrypts the vault with `passphrase` and replaces the file at `path` atomically.
    pub fn save(&self, path: &Path, passphrase: &str) -> Result<(), KeystoreError> {
        let bytes = self.encrypt(path, passphrase)?;
        write_atomically(path, &bytes)
    }

    fn encrypt(&self, path: &Path, passphrase: &str) -> Result<Vec<u8>, KeystoreError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut salt, path)?;
        random(&mut nonce, path)?;
        let derived = derive(passphrase, &salt, M_COST, T_COST, P_COST, path)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        for cost in [M_COST, T_COST, P_COST] {
            header.extend_from_slice(&cost.to_le_bytes());
        }
        header.extend_from_slice(&salt);
        header.extend_from_slice(&derived[32..]);
        header.extend_from_slice(&nonce);
        let plain = Plain {
            keys: self
                .keys
                .iter()
                .map(|(name, value)| (name.clone(), value.expose().to_string()))
                .collect(),
        };
        let json =
            Zeroizing::new(
                serde_json::to_vec(&plain).map_err(|err| KeystoreError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("cannot encode: {err}"),
                })?,
            );
        let cipher = XChaCha20Poly1305::new_from_slice(&derived[..32]).map_err(|_| {
            KeystoreError::Corrupt {
                path: path.to_path_buf(),
                reason: "derived key of the wrong length".into(),
            }
        })?;
        let sealed = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &json,
                    aad: &header,
                },
            )
            .map_err(|_| KeystoreError::Corrupt {
                path: path.to_path_buf(),
                reason: "encryption failed".into(),
            })?;
        header.extend_from_slice(&sealed);
        if header.len() > MAX_FILE_BYTES {
            return Err(KeystoreError::BadValue(format!(
                "the vault would exceed {MAX_FILE_BYTES} bytes"
            )));
        }
        Ok(header)
    }

    fn decrypt(path: &Path, bytes: &[u8], passphrase: &str) -> Result<Self, KeystoreError> {
        let corrupt = |reason: &str| KeystoreError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(corrupt("too short to be a vault"));
        }
        let (header, sealed) = bytes.split_at(HEADER_LEN);
        if &header[..MAGIC.len()] != MAGIC {
            return Err(corrupt("not an llm-mcp vault (bad magic)"));
        }
        let word = |i: usize| {
            let at = MAGIC.len() + 4 * i;
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let (m_cost, t_cost, p_cost) = (word(0), word(1), word(2));
        if m_cost > MAX_M_COST || t_cost > MAX_T_COST || p_cost > MAX_P_COST {
            return Err(corrupt("key derivation costs beyond the accepted bounds"));
        }
        let salt_at = MAGIC.len() + 12;
        let salt = &header[salt_at..salt_at + SALT_LEN];
        let check = &header[salt_at + SALT_LEN..salt_at + SALT_LEN + CHECK_LEN];
        let nonce: [u8; NONCE_LEN] = header[HEADER_LEN - NONCE_LEN..]
            .try_into()
            .map_err(|_| corrupt("bad nonce"))?;
        let derived = derive(passphrase, salt, m_cost, t_cost, p_cost, path)?;
        if !same_bytes(&derived[32..], check) {
            return Err(KeystoreError::WrongPassphrase {
                path: path.to_path_buf(),
            });
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&derived[..32])
            .map_err(|_| corrupt("derived key of the wrong length"))?;
        let json = Zeroizing::new(
            cipher
                .decrypt(
                    &nonce.into(),
                    Payload {
                        msg: sealed,
                        aad: header,
                    },
                )
                .map_err(|_| corrupt("the contents fail authentication (damaged or modified)"))?,
        );
        // The error text of serde_json can quote input; say only that it is malformed.
        let plain: Plain = serde_json::from_slice(&json)
            .map_err(|_| corrupt("the decrypted contents are malformed"))?;
        let mut keys = BTreeMap::new();
        for (name, value) in &plain.keys {
            check_name(name).map_err(|_| corrupt("a stored name is not a variable name"))?;
            keys.insert(name.clone(), Secret::new(value.clone()));
        }
        Ok(Self { keys })
    }
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    path: &Path,
) -> Result<Zeroizing<[u8; 64]>, KeystoreError> {
    let corrupt = |reason: String| KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let params = Params::new(m_cost, t_cost, p_cost, Some(64))
        .map_err(|err| corrupt(format!("key derivation parameters: {err}")))?;
    let mut out = Zeroizing::new([0u8; 64]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|err| corrupt(format!("key derivation: {err}")))?;
    Ok(out)
}

/// Compares without stopping at the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random(buf: &mut [u8], path: &Path) -> Result<(), KeystoreError> {
    getrandom::fill(buf).map_err(|err| KeystoreError::Io {
        what: format!("random bytes for {}", path.display()),
        source: std::io::Error::other(err.to_string()),
    })
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, KeystoreError> {
    crate::small_file::read(path, MAX_FILE_BYTES).map_err(|source| KeystoreError::Io {
        what: format!("reading {}", path.display()),
        source,
    })
}

/// Writes the vault whole (see [`crate::atomic_file`]), so a crash leaves the old vault or
/// the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    crate::atomic_file::write_private(path, bytes).map_err(|err| KeystoreError::Io {
        what: err.what,
        source: err.source,
    })
}

#[cfg(test)]
pub(super) mod tests;
