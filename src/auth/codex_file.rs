//! The Codex CLI's `auth.json`: where it is, what it holds, and writing refreshed tokens back
//! without ever leaving a half-written file.
//!
//! The format is `AuthDotJson` of codex-rs/login/src/auth/storage.rs: `{"auth_mode",
//! "OPENAI_API_KEY", "tokens": {"id_token", "access_token", "refresh_token", "account_id"},
//! "last_refresh"}`, in `$CODEX_HOME/auth.json` (`get_auth_file`), `CODEX_HOME` defaulting to
//! `~/.codex`. The file is kept as JSON and only the token fields change on a refresh, so the
//! fields this adapter does not know survive it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::token_time::{jwt_claims, jwt_expiry, parse_rfc3339, rfc3339};
use crate::secret::Secret;

/// The login file for the environment `env`: `$CODEX_HOME/auth.json`, else
/// `$HOME/.codex/auth.json`; `None` when neither variable is set.
pub fn auth_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let home = set("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".codex")))?;
    Some(home.join("auth.json"))
}

/// The tokens of a ChatGPT login.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    /// Sent as the bearer token.
    pub access: Secret,
    /// Exchanged for a new access token.
    pub refresh: Secret,
    /// The ChatGPT account, sent as `ChatGPT-Account-ID`.
    pub account_id: Option<String>,
    /// The access token's `exp`.
    pub expires_at: Option<SystemTime>,
    /// When the file says the tokens were last refreshed.
    pub last_refresh: Option<SystemTime>,
}

/// What the file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Login {
    /// No file: nobody ran `codex login`.
    Missing,
    /// A file this adapter cannot use, and why (never its contents).
    Unusable(String),
    /// A ChatGPT login.
    Tokens(Tokens),
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
}

/// Reads the login in the JSON text `json`.
pub fn parse(json: &str) -> Login {
    let Ok(value) = serde_json::from_str::<Value>(json) else {
        return Login::Unusable("it is not JSON".into());
    };
    let (Some(access), Some(refresh)) = (
        text(&value, "/tokens/access_token"),
        text(&value, "/tokens/refresh_token"),
    ) else {
        let reason = if text(&value, "/OPENAI_API_KEY").is_some() {
            "it holds an API key login, not a ChatGPT login (use the key with OPENAI_API_KEY instead of --auth codex)"
        } else {
            "it holds no ChatGPT tokens"
        };
        return Login::Unusable(reason.into());
    };
    // The account is `tokens.account_id`, else the id token's ChatGPT claim
    // (codex-rs/login/src/token_data.rs, `chatgpt_account_id`).
    let account_id = text(&value, "/tokens/account_id")
        .map(str::to_string)
        .or_else(|| {
            let claims = jwt_claims(text(&value, "/tokens/id_token")?)?;
            let id = claims.pointer("/https:~1~1api.openai.com~1auth/chatgpt_account_id")?;
            id.as_str().map(str::to_string)
        });
    Login::Tokens(Tokens {
        expires_at: jwt_expiry(access),
        access: Secret::new(access.to_string()),
        refresh: Secret::new(refresh.to_string()),
        account_id,
        last_refresh: text(&value, "/last_refresh").and_then(parse_rfc3339),
    })
}

/// Reads the login at `path`.
pub fn read(path: &Path) -> Login {
    match std::fs::read_to_string(path) {
        Ok(json) => parse(&json),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Login::Missing,
        Err(err) => Login::Unusable(format!("it cannot be read ({})", err.kind())),
    }
}

/// New tokens from the token endpoint; a field it did not send stays as it was.
#[derive(Debug, Default)]
pub struct Refreshed {
    /// `id_token`.
    pub id_token: Option<String>,
    /// `access_token`.
    pub access_token: Option<String>,
    /// `refresh_token` (refresh tokens rotate: the old one is spent).
    pub refresh_token: Option<String>,
}

/// Writes `refreshed` into the file at `path` (as the Codex CLI's `persist_tokens` does, with
/// `last_refresh` set to `now`), atomically: a temporary file beside it, readable by the owner
/// only, renamed over it. Returns the login the file now holds.
pub fn write_back(path: &Path, refreshed: &Refreshed, now: SystemTime) -> std::io::Result<Login> {
    let json = std::fs::read_to_string(path)?;
    let mut value: Value = serde_json::from_str(&json).map_err(std::io::Error::other)?;
    let tokens = value
        .as_object_mut()
        .ok_or_else(|| std::io::Error::other("auth.json is not an object"))?
        .entry("tokens")
        .or_insert_with(|| Value::Object(Default::default()));
    for (field, new) in [
        ("id_token", &refreshed.id_token),
        ("access_token", &refreshed.access_token),
        ("refresh_token", &refreshed.refresh_token),
    ] {
        if let (Some(new), Some(tokens)) = (new, tokens.as_object_mut()) {
            tokens.insert(field.into(), Value::String(new.clone()));
        }
    }
    value["last_refresh"] = Value::String(rfc3339(now));
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let temp = dir.join(format!(".auth.json.llm-mcp-{}", std::process::id()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    Ok(parse(&text))
}
