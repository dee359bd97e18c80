//! `--auth codex`: the ChatGPT login the Codex CLI keeps after `codex login`, used the way
//! the Codex CLI uses it.
//!
//! From the open-source Codex CLI (github.com/openai/codex):
//! - the token is the login's `access_token`, sent as `Authorization: Bearer` with
//!   `ChatGPT-Account-ID: <account_id>` (codex-rs/codex-api/src/auth.rs,
//!   `add_auth_headers_to_header_map`) and `originator: codex_cli_rs`
//!   (codex-rs/login/src/auth/default_client.rs, `DEFAULT_ORIGINATOR`), to
//!   `https://chatgpt.com/backend-api/codex` (codex-rs/model-provider-info/src/lib.rs);
//! - it is stale when its JWT `exp` has passed, or (without one) 8 days after `last_refresh`
//!   (codex-rs/login/src/auth/manager.rs, `is_stale_for_proactive_refresh`);
//! - a refresh is `POST https://auth.openai.com/oauth/token` with
//!   `{"client_id": "app_EMoamEEZ73f0CkXaXp7hrann", "grant_type": "refresh_token",
//!   "refresh_token"}`, answering `{id_token, access_token, refresh_token}`; a 401, or the codes
//!   `refresh_token_expired`, `refresh_token_reused` and `refresh_token_invalidated`, mean the
//!   login is over (`request_chatgpt_token_refresh`, `classify_refresh_token_failure`);
//!   `CODEX_REFRESH_TOKEN_URL_OVERRIDE` moves the endpoint, here as there;
//! - before refreshing, the file is read again: another Codex process may have refreshed it
//!   already, and a refresh token works once (`refresh_token`'s guarded reload).
//!
//! The tokens never leave this module except into the request's sensitive header.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::codex_file::{self, Login, Refreshed, Tokens};
use super::token_time::rfc3339;
use crate::backend::CredentialStatus;
use crate::config_error::ConfigError;
use crate::error::{ErrorKind, LlmError};
use crate::http::credential::TokenSource;
use crate::provider::{RequestSigner, WireRequest};
use crate::secret::Secret;

/// The ChatGPT backend of the Codex CLI.
pub const CODEX_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";
/// Where a login's tokens are refreshed.
pub const TOKEN_URL: &str = "https://auth.openai.com/oauth/token";
/// The variable the Codex CLI reads to move the token endpoint.
pub const TOKEN_URL_ENV: &str = "CODEX_REFRESH_TOKEN_URL_OVERRIDE";
/// The Codex CLI's OAuth client.
const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// A token this close to its expiry is refreshed first: the call takes time too.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Without an `exp`, a login this old is refreshed (`TOKEN_REFRESH_INTERVAL`, 8 days).
const REFRESH_INTERVAL: Duration = Duration::from_secs(8 * 24 * 3600);
/// Refresh error codes after which only `codex login` helps.
const FINAL_CODES: [&str; 3] = [
    "refresh_token_expired",
    "refresh_token_reused",
    "refresh_token_invalidated",
];
const LOGIN_HINT: &str = "run `codex login`, then call again";

/// The Codex CLI's login, read from its file and refreshed when it expires.
pub struct CodexLogin {
    path: PathBuf,
    token_url: Url,
    client: reqwest::Client,
    login: Mutex<Login>,
    /// One refresh at a time: a refresh token works once.
    refreshing: tokio::sync::Mutex<()>,
}

impl CodexLogin {
    /// The login in `path`, refreshed at `token_url`; nothing is read or sent yet beyond the
    /// file itself.
    pub fn new(
        path: PathBuf,
        token_url: Url,
        connect_timeout: Duration,
    ) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("llm-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                ConfigError(format!(
                    "cannot build the HTTP client for token refresh: {err}"
                ))
            })?;
        let login = Mutex::new(codex_file::read(&path));
        Ok(Self {
            path,
            token_url,
            client,
            login,
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    fn current(&self) -> Login {
        self.login.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, login: Login) {
        *self.login.lock().unwrap_or_else(|e| e.into_inner()) = login;
    }

    /// The account of the token in use, for the `ChatGPT-Account-ID` header.
    fn account_id(&self) -> Option<String> {
        match self.current() {
            Login::Tokens(tokens) => tokens.account_id,
            _ => None,
        }
    }

    fn place(&self) -> String {
        format!("the Codex login in {}", self.path.display())
    }

    fn auth_error(&self, what: &str) -> LlmError {
        LlmError::new(ErrorKind::Auth, format!("{} {what}", self.place())).with_hint(LOGIN_HINT)
    }

    fn stale(tokens: &Tokens, now: SystemTime) -> bool {
        match (tokens.expires_at, tokens.last_refresh) {
            (Some(expires), _) => expires <= now + EXPIRY_MARGIN,
            (None, Some(last)) => last + REFRESH_INTERVAL <= now,
            (None, None) => false,
        }
    }

    /// The tokens held, or the file's when none are held (it is read again each time, so a
    /// `codex login` after start is seen at once).
    fn tokens(&self) -> Result<Tokens, LlmError> {
        let login = match self.current() {
            Login::Tokens(tokens) => return Ok(tokens),
            // Read again: `codex login` may have run since.
            _ => codex_file::read(&self.path),
        };
        self.set(login.clone());
        match login {
            Login::Tokens(tokens) => Ok(tokens),
            Login::Missing => Err(self.auth_error("is missing")),
            Login::Unusable(why) => Err(self.auth_error(&format!("cannot be used: {why}"))),
        }
    }

    /// Refreshes the tokens unless the file already holds others than `stale` (another
    /// process refreshed them).
    async fn refresh(&self, stale: &Secret) -> Result<Tokens, LlmError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let on_disk = codex_file::read(&self.path);
        if let Login::Tokens(tokens) = &on_disk
            && tokens.access != *stale
            && !Self::stale(tokens, SystemTime::now())
        {
            self.set(on_disk.clone());
            return Ok(tokens.clone());
        }
        let Login::Tokens(tokens) = on_disk else {
            self.set(on_disk);
            return self.tokens();
        };
        let refreshed = self.request_refresh(&tokens.refresh).await?;
        let written =
            codex_file::write_back(&self.path, &refreshed, SystemTime::now()).map_err(|err| {
                self.auth_error(&format!(
                    "was refreshed but cannot be written back ({})",
                    err.kind()
                ))
            })?;
        self.set(written);
        self.tokens()
    }

    /// One exchange with the token endpoint.
    async fn request_refresh(&self, refresh: &Secret) -> Result<Refreshed, LlmError> {
        let body = json!({
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": refresh.expose(),
        });
        let host = self
            .token_url
            .host_str()
            .unwrap_or("the token endpoint")
            .to_string();
        let response = self
            .client
            .post(self.token_url.clone())
            .json(&body)
            .send()
            .await
            .map_err(|err| {
                LlmError::new(
                    ErrorKind::Unreachable,
                    format!("the Codex login has expired and {host} could not be reached to refresh it: {}", err.without_url()),
                )
            })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_string);
            let refreshed = Refreshed {
                id_token: field("id_token"),
                access_token: field("access_token"),
                refresh_token: field("refresh_token"),
            };
            if refreshed.access_token.is_none() {
                return Err(self.auth_error("was refreshed, but the answer holds no access token"));
            }
            return Ok(refreshed);
        }
        let code = value
            .pointer("/error/code")
            .or_else(|| value.get("error"))
            .or_else(|| value.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let final_ = status == 401 || code.as_deref().is_some_and(|c| FINAL_CODES.contains(&c));
        let said = code.map(|c| format!(" ({c})")).unwrap_or_default();
        if final_ {
            return Err(self.auth_error(&format!(
                "has expired and cannot be refreshed: HTTP {status}{said}"
            )));
        }
        Err(LlmError::new(
            ErrorKind::Upstream,
            format!(
                "the Codex login has expired and refreshing it at {host} failed: HTTP {status}{said}"
            ),
        ))
    }
}

impl TokenSource for CodexLogin {
    fn token(&self) -> BoxFuture<'_, Result<Secret, LlmError>> {
        Box::pin(async move {
            let tokens = self.tokens()?;
            if !Self::stale(&tokens, SystemTime::now()) {
                return Ok(tokens.access);
            }
            Ok(self.refresh(&tokens.access).await?.access)
        })
    }

    fn peek(&self) -> Option<Secret> {
        match self.current() {
            Login::Tokens(tokens) => Some(tokens.access),
            _ => None,
        }
    }

    fn rejected<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, Result<(), LlmError>> {
        Box::pin(async move { self.refresh(token).await.map(|_| ()) })
    }

    fn status(&self) -> CredentialStatus {
        let source = format!("codex login ({})", self.path.display());
        let (state, expires_at) = match self.current() {
            Login::Missing => ("missing".to_string(), None),
            Login::Unusable(_) => ("unreadable".to_string(), None),
            Login::Tokens(tokens) => {
                let state = if Self::stale(&tokens, SystemTime::now()) {
                    "expired (refreshed on the next call)"
                } else {
                    "present"
                };
                (state.to_string(), tokens.expires_at.map(rfc3339))
            }
        };
        CredentialStatus {
            state,
            source,
            expires_at,
        }
    }

    fn hint(&self) -> String {
        format!("{} was rejected; {LOGIN_HINT}", self.place())
    }

    fn redact(&self, text: &str) -> String {
        match self.current() {
            Login::Tokens(tokens) => {
                let forms = crate::redact::forms([tokens.access.expose(), tokens.refresh.expose()]);
                crate::redact::redact(text, &forms)
            }
            _ => text.to_string(),
        }
    }
}

/// Adds the login's headers to a request: the token (sensitive), the account, the originator.
pub struct CodexSigner {
    login: Arc<CodexLogin>,
}

impl CodexSigner {
    /// The signer of `login`'s requests.
    pub fn new(login: Arc<CodexLogin>) -> Self {
        Self { login }
    }
}

impl RequestSigner for CodexSigner {
    fn sign(&self, request: &mut WireRequest, key: &Secret, _: SystemTime) -> Result<(), LlmError> {
        let invalid = || {
            LlmError::new(
                ErrorKind::Auth,
                "the Codex login's token cannot be sent in an HTTP header",
            )
        };
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| invalid())?;
        bearer.set_sensitive(true);
        let headers = &mut request.headers;
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        headers.insert(
            HeaderName::from_static("originator"),
            HeaderValue::from_static("codex_cli_rs"),
        );
        if let Some(account) = self.login.account_id() {
            let value = HeaderValue::from_str(&account).map_err(|_| invalid())?;
            headers.insert(HeaderName::from_static("chatgpt-account-id"), value);
        }
        Ok(())
    }
}
