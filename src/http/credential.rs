//! Attaching a key to a built request, the one place that puts a secret on the wire: as the
//! provider's [`Credential`] says (a sensitive header, or a signer's work).

use std::time::SystemTime;

use futures::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue};

use crate::backend::CredentialStatus;
use crate::error::{ErrorKind, LlmError};
use crate::provider::{Credential, WireRequest};
use crate::secret::Secret;

/// A credential read when a request is about to go, instead of a fixed key: a login whose
/// token expires and is refreshed by its owner (the Codex CLI's login, see
/// [`crate::auth::codex`]). The HTTP layer asks it for the token before each attempt, tells
/// it when the provider rejected one (then tries once more), and never prints what it gives.
pub trait TokenSource: Send + Sync + 'static {
    /// The token to send now, refreshed first when it has expired; an `[auth]` error that
    /// says what to do when there is none.
    fn token(&self) -> BoxFuture<'_, Result<Secret, LlmError>>;

    /// The token held now, not refreshed even when it has expired (for `status`, which must
    /// not act); `None` when there is none.
    fn peek(&self) -> Option<Secret>;

    /// The provider answered 401 to `token`: refresh it, unless it changed since. `Ok` means
    /// one more attempt with [`TokenSource::token`] may succeed.
    fn rejected<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, Result<(), LlmError>>;

    /// For `status`: which credential, where from, and when it expires.
    fn status(&self) -> CredentialStatus;

    /// What to do when the provider rejects the token even after a refresh.
    fn hint(&self) -> String;

    /// `text` without any token of this login in it.
    fn redact(&self, text: &str) -> String;
}

/// Adds `key` to `wire` as `credential` says; without a key the request goes as it is. `now`
/// is the moment a signer signs for. A key that cannot be sent is an `[auth]` error that does
/// not echo it.
pub fn attach(
    wire: &mut WireRequest,
    credential: &Credential,
    key: Option<&Secret>,
    now: SystemTime,
) -> Result<(), LlmError> {
    let Some(key) = key else {
        return Ok(());
    };
    match credential {
        Credential::Header { name, prefix } => {
            let mut value =
                HeaderValue::from_str(&format!("{prefix}{}", key.expose())).map_err(|_| {
                    LlmError::new(
                        ErrorKind::Auth,
                        "the key holds characters that cannot be sent in an HTTP header (a stray newline or quote?)",
                    )
                })?;
            value.set_sensitive(true);
            wire.headers.insert(HeaderName::from_static(name), value);
            Ok(())
        }
        Credential::Signer(signer) => signer.sign(wire, key, now),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use reqwest::Url;
    use serde_json::json;

    use super::*;
    use crate::provider::RequestSigner;

    fn get() -> WireRequest {
        WireRequest::get(Url::parse("https://x.test/v1/models?limit=5").unwrap())
    }

    #[test]
    fn secret_headers_are_sensitive_and_never_debug_printed() {
        let key = Secret::new("sk-very-secret".into());
        let mut request = get();
        attach(
            &mut request,
            &Credential::BEARER,
            Some(&key),
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!(request.headers["authorization"], "Bearer sk-very-secret");
        assert!(request.headers["authorization"].is_sensitive());
        assert!(!format!("{request:?}").contains("sk-very-secret"));
    }

    #[test]
    fn a_key_with_a_newline_is_refused_without_echoing_it() {
        let key = Secret::new("sk-abc\nxyz".into());
        let header = Credential::Header {
            name: "x-api-key",
            prefix: "",
        };
        let err = attach(&mut get(), &header, Some(&key), SystemTime::now()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(!err.message.contains("sk-abc"));
    }

    #[test]
    fn no_key_sends_nothing() {
        let mut request = get();
        attach(&mut request, &Credential::BEARER, None, SystemTime::now()).unwrap();
        assert!(request.headers.is_empty());
        assert_eq!(request.url.query(), Some("limit=5"));
    }

    /// Writes what it was given into headers, to show the whole request and the clock reach it.
    struct EchoSigner;

    impl RequestSigner for EchoSigner {
        fn sign(
            &self,
            request: &mut WireRequest,
            key: &Secret,
            now: SystemTime,
        ) -> Result<(), LlmError> {
            let seconds = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let seen = format!(
                "{} {} {} {} {}",
                request.method,
                request.url,
                request.headers["content-type"].to_str().unwrap(),
                request.body.as_ref().unwrap(),
                key.expose().len(),
            );
            request
                .headers
                .insert("x-seen", HeaderValue::from_str(&seen).unwrap());
            request.headers.insert("x-date", seconds.into());
            Ok(())
        }
    }

    #[test]
    fn a_signer_gets_the_whole_request_the_key_and_the_time() {
        let url = Url::parse("https://bedrock.test/model/m/converse").unwrap();
        let mut request =
            WireRequest::post(url, json!({"a": 1})).header("content-type", "application/json");
        let signer = Credential::Signer(Arc::new(EchoSigner));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let key = Secret::new("secret".into());
        attach(&mut request, &signer, Some(&key), now).unwrap();
        assert_eq!(
            request.headers["x-seen"],
            r#"POST https://bedrock.test/model/m/converse application/json {"a":1} 6"#
        );
        assert_eq!(request.headers["x-date"], "1700000000");
    }
}
