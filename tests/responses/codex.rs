//! `llm-mcp-openai --auth codex` against a fake ChatGPT backend and a fake token endpoint: a
//! fresh login, an expired one refreshed and written back, a refresh that fails, a login file
//! that is missing or malformed, and the tokens never in stdout, stderr or results.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::responses_api::{self as api, CODEX_RESPONSES, LOOP_MODEL, jwt};
use crate::support::{FakeProvider, McpProcess, Reply, start};

const BIN: &str = env!("CARGO_BIN_EXE_llm-mcp-openai");
const TOKEN_PATH: &str = "/oauth/token";
const ACCOUNT: &str = "acct-0d1e2f";
const REFRESH: &str = "rt-REFRESH-SECRET-1";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An access token for the test account expiring at `exp`.
fn access(tag: &str, exp: u64) -> String {
    jwt(&json!({"exp": exp, "jti": format!("ACCESS-SECRET-{tag}"),
                "https://api.openai.com/auth": {"chatgpt_account_id": ACCOUNT}}))
}

/// A fresh `CODEX_HOME` holding `auth` as its auth.json (or nothing).
fn codex_home(name: &str, auth: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-codex-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(auth) = auth {
        std::fs::write(dir.join("auth.json"), auth).unwrap();
    }
    dir
}

/// auth.json as `codex login` writes it (codex-rs/login/src/auth/storage.rs, `AuthDotJson`).
fn login_file(access_token: &str) -> String {
    let id_token = jwt(&json!({"email": "user@example.com",
        "https://api.openai.com/auth": {"chatgpt_plan_type": "plus", "chatgpt_account_id": ACCOUNT}}));
    serde_json::to_string_pretty(&json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {"id_token": id_token, "access_token": access_token,
                   "refresh_token": REFRESH, "account_id": ACCOUNT},
        "last_refresh": "2026-11-30T08:15:02.123456Z"
    }))
    .unwrap()
}

async fn codex_server(fake: &FakeProvider, home: &Path) -> McpProcess {
    let base = format!("{}/backend-api/codex", fake.url());
    let token_url = format!("{}{TOKEN_PATH}", fake.url());
    let home = home.to_string_lossy().into_owned();
    let env = [
        ("CODEX_HOME", home.as_str()),
        ("CODEX_REFRESH_TOKEN_URL_OVERRIDE", token_url.as_str()),
    ];
    start(
        BIN,
        &["--auth", "codex", "--base-url", &base, "--model", "gpt-5.5"],
        &env,
    )
    .await
}

/// The backend streams every answer, whatever the call.
fn answers(fake: &FakeProvider) {
    fake.fallback(
        CODEX_RESPONSES,
        Reply::raw(
            200,
            "text/event-stream",
            api::events(&api::response(
                LOOP_MODEL,
                vec![api::message("msg_c", "hello from codex")],
            ))
            .concat(),
        ),
    );
}

async fn status(server: &mut McpProcess) -> Value {
    server.call("status", json!({})).await.structured().clone()
}

/// Stops `server` and asserts none of `secrets` ever reached its stdout or stderr.
async fn assert_stops_clean(server: McpProcess, secrets: &[&str]) {
    let transcript = server.shutdown(crate::support::EXIT_GRACE).await;
    for secret in secrets {
        transcript.assert_never_printed(secret);
    }
}

fn assert_secret_free(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "leaked {secret:?}: {text}");
    }
}

#[tokio::test]
async fn a_fresh_login_is_sent_as_the_codex_cli_sends_it() {
    let fake = FakeProvider::start().await;
    answers(&fake);
    let token = access("fresh", now() + 3600);
    let home = codex_home("fresh", Some(&login_file(&token)));
    let mut server = codex_server(&fake, &home).await;
    let result = server
        .call("complete", json!({"prompt": "hi", "max_tokens": 50}))
        .await;
    assert_eq!(result.record()["output"], json!("hello from codex"));
    // Dropped because the Codex backend refuses it, and the record says so.
    assert_eq!(
        result.record()["warnings"],
        json!(["max_tokens dropped: the Codex backend refuses it"])
    );
    let sent = &fake.requests_to(CODEX_RESPONSES)[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(sent.header("chatgpt-account-id"), Some(ACCOUNT));
    assert_eq!(sent.header("originator"), Some("codex_cli_rs"));
    let body = sent.body_json();
    assert_eq!(
        (body["stream"].clone(), body["store"].clone()),
        (json!(true), json!(false))
    );
    assert!(body.get("max_output_tokens").is_none(), "{body}");
    assert!(body["instructions"].is_string(), "{body}");
    assert!(
        fake.requests_to(TOKEN_PATH).is_empty(),
        "a fresh token is not refreshed"
    );
    let status = status(&mut server).await;
    assert_eq!(status["credentials"], json!("present"));
    let source = status["credentials_source"].as_str().unwrap();
    assert!(
        source.starts_with("codex login (") && source.ends_with("auth.json)"),
        "{source}"
    );
    assert!(
        status["credentials_expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z'),
        "{status}"
    );
    let all = format!("{} {status}", result.text());
    assert_secret_free(&all, &[&token, REFRESH]);
    assert_stops_clean(server, &[&token, REFRESH]).await;
}

#[tokio::test]
async fn an_expired_login_is_refreshed_and_written_back() {
    let fake = FakeProvider::start().await;
    answers(&fake);
    let stale = access("stale", now() - 60);
    let renewed = access("renewed", now() + 3600);
    let new_id = jwt(&json!({"email": "user@example.com"}));
    fake.push(TOKEN_PATH, Reply::json(200, &json!({"id_token": new_id, "access_token": renewed, "refresh_token": "rt-REFRESH-SECRET-2"})));
    let home = codex_home("expired", Some(&login_file(&stale)));
    let mut server = codex_server(&fake, &home).await;
    assert_eq!(
        status(&mut server).await["credentials"],
        json!("expired (refreshed on the next call)")
    );
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(result.record()["output"], json!("hello from codex"));
    let refresh = &fake.requests_to(TOKEN_PATH)[0];
    assert_eq!(
        refresh.body_json(),
        &json!({"client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token", "refresh_token": REFRESH})
    );
    let sent = &fake.requests_to(CODEX_RESPONSES)[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {renewed}").as_str())
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("auth.json")).unwrap()).unwrap();
    assert_eq!(file["tokens"]["access_token"], json!(renewed));
    assert_eq!(
        file["tokens"]["refresh_token"],
        json!("rt-REFRESH-SECRET-2")
    );
    assert_eq!(file["tokens"]["id_token"], json!(new_id));
    assert_eq!(
        file["tokens"]["account_id"],
        json!(ACCOUNT),
        "fields it does not change stay"
    );
    assert_eq!(file["auth_mode"], json!("chatgpt"));
    assert_ne!(file["last_refresh"], json!("2026-11-30T08:15:02.123456Z"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.join("auth.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec!["auth.json"], "no temporary file is left");
    // The next call uses the refreshed token without refreshing again.
    server
        .call("complete", json!({"prompt": "again"}))
        .await
        .record();
    assert_eq!(fake.requests_to(TOKEN_PATH).len(), 1);
    assert_eq!(status(&mut server).await["credentials"], json!("present"));
    assert_stops_clean(server, &[&stale, &renewed, REFRESH, "rt-REFRESH-SECRET-2"]).await;
}

#[tokio::test]
async fn a_refresh_that_fails_says_to_run_codex_login() {
    let fake = FakeProvider::start().await;
    answers(&fake);
    let stale = access("dead", now() - 60);
    fake.push(TOKEN_PATH, Reply::json(401, &json!({"error": {"message": "Your refresh token has already been used to generate a new access token.", "code": "refresh_token_reused"}})));
    let home = codex_home("refresh-fails", Some(&login_file(&stale)));
    let mut server = codex_server(&fake, &home).await;
    let result = server.call("complete", json!({"prompt": "hi"})).await;
    let text = result.expect_error("auth");
    assert!(text.contains("codex login"), "{text}");
    assert!(text.contains("refresh_token_reused"), "{text}");
    assert!(
        fake.requests_to(CODEX_RESPONSES).is_empty(),
        "nothing went out with a dead token"
    );
    assert_secret_free(&text, &[&stale, REFRESH]);
    assert_stops_clean(server, &[&stale, REFRESH]).await;
}

#[tokio::test]
async fn a_missing_or_malformed_login_is_an_auth_error_naming_the_fix() {
    let fake = FakeProvider::start().await;
    answers(&fake);
    let home = codex_home("missing", None);
    let mut server = codex_server(&fake, &home).await;
    assert_eq!(status(&mut server).await["credentials"], json!("missing"));
    let text = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .expect_error("auth");
    assert!(
        text.contains("is missing") && text.contains("codex login"),
        "{text}"
    );
    // After `codex login` the same server serves: the file is read again.
    std::fs::write(
        home.join("auth.json"),
        login_file(&access("later", now() + 3600)),
    )
    .unwrap();
    let served = server.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(served.record()["output"], json!("hello from codex"));

    let home = codex_home("malformed", Some("{\"tokens\": {\"access_token\": "));
    let mut server = codex_server(&fake, &home).await;
    let text = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .expect_error("auth");
    assert!(
        text.contains("not JSON") && text.contains("codex login"),
        "{text}"
    );
    let home = codex_home("api-key", Some("{\"OPENAI_API_KEY\": \"sk-SECRET-key\"}"));
    let mut server = codex_server(&fake, &home).await;
    let text = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .expect_error("auth");
    assert!(text.contains("API key login"), "{text}");
    assert_secret_free(&text, &["sk-SECRET-key"]);
}

#[tokio::test]
async fn a_token_the_backend_rejects_is_refreshed_once() {
    let fake = FakeProvider::start().await;
    let first = access("revoked", now() + 3600);
    let renewed = access("second", now() + 7200);
    fake.push(
        CODEX_RESPONSES,
        Reply::json(
            401,
            &json!({"detail": "Could not validate your credentials"}),
        ),
    );
    answers(&fake);
    fake.push(
        TOKEN_PATH,
        Reply::json(200, &json!({"access_token": renewed})),
    );
    let home = codex_home("rejected", Some(&login_file(&first)));
    let mut server = codex_server(&fake, &home).await;
    let record = server
        .call("complete", json!({"prompt": "hi"}))
        .await
        .record()
        .clone();
    assert_eq!(record["output"], json!("hello from codex"));
    let sent = fake.requests_to(CODEX_RESPONSES);
    assert_eq!(
        sent[1].header("authorization"),
        Some(format!("Bearer {renewed}").as_str())
    );
    assert_stops_clean(server, &[&first, &renewed, REFRESH]).await;
}
