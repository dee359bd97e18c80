//! What every HTTP backend binary must do, whatever its wire format: error kinds for each
//! failure, retries, timeouts, cancellation, a missing key, and keys that never leak.
//!
//! Each check is a function over a [`Backend`] (a binary, its key variable, its path and the
//! provider's own bodies, from the one table in `support::backend_list`); each backend's file
//! runs the checks that apply to it as tests with [`contract_tests`].

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::backends::Backend;
use crate::support::mcp::ToolResult;
use crate::support::{self, EXIT_GRACE, Ending, FakeProvider, Reply};

/// Declares one `#[tokio::test]`, named after the check, for each check run against a
/// backend: `contract_tests!(BACKEND; rejected_key_is_auth, key_never_leaks);`.
macro_rules! contract_tests {
    ($backend:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $crate::providers::$check(&$backend).await;
            }
        )+
    };
}
pub(crate) use contract_tests;

pub use crate::support::backends::KEY;

/// Asserts the `_meta` every tool error carries.
pub fn assert_meta(result: &ToolResult, kind: &str, status: Option<u16>, retryable: bool) {
    let meta = result.meta();
    assert_eq!(meta["kind"], json!(kind), "{meta}");
    assert_eq!(meta["status"], json!(status), "{meta}");
    assert_eq!(meta["retryable"], json!(retryable), "{meta}");
}

fn prompt() -> Value {
    json!({"prompt": "Say hi"})
}

/// A rejected key is `[auth]`, names the variable, and is not retried.
pub async fn rejected_key_is_auth(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.push(backend.path, (backend.unauthorized)());
    let mut server = backend.start(&fake, &[]).await;
    let result = server.call("complete", prompt()).await;
    let text = result.expect_error("auth");
    assert!(text.contains(backend.key_env), "{text}");
    assert!(
        text.starts_with(&format!("[auth] {}: ", backend.name)),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
    assert_meta(&result, "auth", Some(401), false);
    assert_eq!(
        backend.calls(&fake).len(),
        1,
        "a rejected key is not retried"
    );
}

/// An unknown model is `[model_not_found]` naming the model.
pub async fn unknown_model_is_model_not_found(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.push(backend.path, (backend.model_not_found)("no-such-model-9"));
    let mut server = backend.start(&fake, &[]).await;
    let args = json!({"prompt": "hi", "model": "no-such-model-9"});
    let result = server.call("complete", args).await;
    let text = result.expect_error("model_not_found");
    assert!(text.contains("no-such-model-9"), "{text}");
    assert_meta(&result, "model_not_found", Some(404), false);
    assert_eq!(backend.calls(&fake).len(), 1);
}

/// A 429 with `header: value` is retried after the wait it asks for, then succeeds.
pub async fn rate_limit_is_retried_after_the_asked_wait(
    backend: &Backend,
    header: &str,
    value: &str,
    wait: Duration,
) {
    let fake = FakeProvider::start().await;
    fake.push(backend.path, (backend.rate_limited)().header(header, value));
    fake.push(backend.path, backend.ok("after the wait"));
    let mut server = backend.start(&fake, &["--max-retries", "2"]).await;
    let started = Instant::now();
    let result = server.call("complete", prompt()).await;
    let record = result.record();
    assert_eq!(record["output"], json!("after the wait"));
    assert_eq!(record["attempts"], json!(2));
    assert!(
        started.elapsed() >= wait,
        "retried after {:?}, asked {wait:?}",
        started.elapsed()
    );
    assert!(
        record["latency_ms"].as_u64().unwrap() >= wait.as_millis() as u64 - 5,
        "{record}"
    );
    assert_eq!(backend.calls(&fake).len(), 2);
}

/// Rate limits past `--max-retries` are `[rate_limited]`, retryable, after 1 + N attempts.
pub async fn exhausted_retries_are_rate_limited(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(
        backend.path,
        (backend.rate_limited)().header("retry-after", "0"),
    );
    let mut server = backend.start(&fake, &["--max-retries", "1"]).await;
    let result = server.call("complete", prompt()).await;
    result.expect_error("rate_limited");
    assert_meta(&result, "rate_limited", Some(429), true);
    assert_eq!(backend.calls(&fake).len(), 2, "one try and one retry");
}

/// A used-up quota or spend limit is `[quota_exceeded]` and never retried.
pub async fn quota_is_not_retried(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(backend.path, (backend.quota)());
    let mut server = backend.start(&fake, &["--max-retries", "3"]).await;
    let result = server.call("complete", prompt()).await;
    result.expect_error("quota_exceeded");
    assert_meta(&result, "quota_exceeded", Some(429), false);
    assert_eq!(
        backend.calls(&fake).len(),
        1,
        "a quota error is not retried"
    );
}

/// A 500 is `[upstream]` when no retry is allowed, and retried into success when one is.
pub async fn server_error_is_upstream_and_retried(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.push(backend.path, (backend.server_error)());
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    let result = server.call("complete", prompt()).await;
    result.expect_error("upstream");
    assert_meta(&result, "upstream", Some(500), true);
    assert_eq!(backend.calls(&fake).len(), 1);

    let fake = FakeProvider::start().await;
    fake.push(backend.path, (backend.server_error)());
    fake.push(backend.path, backend.ok("second time lucky"));
    let mut server = backend.start(&fake, &["--max-retries", "1"]).await;
    let record = server.call("complete", prompt()).await.record().clone();
    assert_eq!(record["output"], json!("second time lucky"));
    assert_eq!(record["attempts"], json!(2));
}

/// A 200 whose body is not the provider's JSON is `[invalid_response]`.
pub async fn garbage_body_is_invalid_response(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.push(
        backend.path,
        Reply::raw(200, "application/json", "<html>gateway says hi</html>"),
    );
    fake.push(backend.path, Reply::json(200, &json!({"unexpected": true})));
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    for _ in 0..2 {
        let result = server.call("complete", prompt()).await;
        result.expect_error("invalid_response");
        assert_eq!(result.meta()["retryable"], json!(false));
    }
}

/// A redirect is reported, not followed: the key never reaches the address it points to.
pub async fn redirect_is_not_followed(backend: &Backend) {
    let fake = FakeProvider::start().await;
    let elsewhere = FakeProvider::start().await;
    let target = format!("{}{}", elsewhere.url(), backend.path);
    fake.push(
        backend.path,
        Reply::raw(307, "text/plain", "moved").header("location", &target),
    );
    let mut server = backend.start(&fake, &["--max-retries", "2"]).await;
    let result = server.call("complete", prompt()).await;
    result.expect_error("bad_request");
    assert!(
        result.error_text().contains("redirects to"),
        "{}",
        result.error_text()
    );
    assert_eq!(result.meta()["status"], json!(307));
    assert_eq!(backend.calls(&fake).len(), 1, "not retried");
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

/// A body over the 32 MiB bound is cut off as `[invalid_response]`, and the server serves on.
pub async fn oversized_body_is_cut_off(backend: &Backend) {
    let fake = FakeProvider::start().await;
    let huge = format!("{{\"padding\": \"{}\"}}", "x".repeat(33 * 1024 * 1024));
    fake.push(backend.path, Reply::raw(200, "application/json", huge));
    fake.push(backend.path, backend.ok("after"));
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    let result = server.call("complete", prompt()).await;
    result.expect_error("invalid_response");
    assert!(
        result.error_text().contains("exceeds 32 MiB"),
        "{}",
        result.error_text()
    );
    let next = server.call("complete", prompt()).await;
    assert_eq!(next.record()["output"], json!("after"));
}

/// A body cut off mid-way is a retryable failure, never a record.
pub async fn body_cut_mid_way_is_an_error(backend: &Backend) {
    let fake = FakeProvider::start().await;
    let ok = backend.ok("x".repeat(200).leak());
    fake.push(backend.path, ok.clone().ending(Ending::CloseMidBody));
    fake.push(backend.path, ok.ending(Ending::ResetMidBody));
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    for _ in 0..2 {
        let result = server.call("complete", prompt()).await;
        let text = result.error_text();
        assert!(
            text.starts_with("[upstream]") || text.starts_with("[unreachable]"),
            "{text}"
        );
        assert_eq!(result.meta()["retryable"], json!(true));
    }
}

/// Nothing listening at the endpoint is `[unreachable]`.
pub async fn refused_connection_is_unreachable(backend: &Backend) {
    let port = support::closed_port();
    let base = (backend.base_url)(&format!("http://127.0.0.1:{port}"));
    let env = [(backend.key_env, KEY)];
    let mut args = backend.args.to_vec();
    args.extend_from_slice(&["--base-url", &base, "--max-retries", "0"]);
    let mut server = support::start(backend.binary, &args, &env).await;
    let result = server.call("complete", prompt()).await;
    let text = result.expect_error("unreachable");
    assert!(
        text.contains(&port.to_string()),
        "names the endpoint: {text}"
    );
    assert_meta(&result, "unreachable", None, true);
}

/// A provider that never answers is `[timeout]` after `--timeout`, and its connection is
/// dropped.
pub async fn hanging_provider_is_timeout(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(backend.path, Reply::hang());
    let mut server = backend
        .start(&fake, &["--timeout", "1", "--max-retries", "0"])
        .await;
    let started = Instant::now();
    let result = server.call("complete", prompt()).await;
    let elapsed = started.elapsed();
    result.expect_error("timeout");
    assert_meta(&result, "timeout", None, true);
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(
        fake.wait_disconnects(1, Duration::from_secs(5)).await,
        "the connection stays open"
    );
}

/// A per-call `timeout_s` below the server's cuts the call short.
pub async fn call_timeout_is_honoured(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(
        backend.path,
        backend.ok("late").delay(Duration::from_secs(10)),
    );
    let mut server = backend.start(&fake, &["--max-retries", "0"]).await;
    let started = Instant::now();
    let args = json!({"prompt": "hi", "timeout_s": 0.5});
    server.call("complete", args).await.expect_error("timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// `notifications/cancelled` drops the provider connection promptly.
pub async fn cancellation_drops_the_provider_connection(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(backend.path, Reply::hang());
    let mut server = backend.start(&fake, &[]).await;
    let args = json!({"name": "complete", "arguments": prompt()});
    let (id, _rx) = server.start_request("tools/call", args).await;
    assert!(
        fake.wait_requests(1, Duration::from_secs(10)).await,
        "the call never reached the fake"
    );
    let cancelled = Instant::now();
    server
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "user gave up"}),
        )
        .await;
    assert!(
        fake.wait_disconnects(1, Duration::from_secs(2)).await,
        "the provider request kept running"
    );
    assert!(cancelled.elapsed() < Duration::from_secs(2));
    // The server is still fine afterwards, and counted the call as failed.
    let status = server.call("status", json!({})).await.structured().clone();
    assert_eq!(status["errors"], json!(1), "{status}");
}

/// Without a key the server starts, lists its tools, says what is missing in `status`, and
/// answers calls with `[auth]` naming the variable, without calling the provider.
pub async fn missing_key_is_reported_not_fatal(
    backend: &Backend,
    fake: &FakeProvider,
    base_url: &str,
) {
    fake.fallback(
        backend.models_path,
        Reply::json(200, &(backend.models)(backend.model)),
    );
    let mut args = backend.args.to_vec();
    args.extend_from_slice(&["--base-url", base_url]);
    let mut server = support::start(backend.binary, &args, &[]).await;
    assert_eq!(server.list_tools().await.len(), 4);
    let status = server.call("status", json!({})).await.structured().clone();
    assert_eq!(status["credentials"], json!("missing"), "{status}");
    assert_eq!(
        status["credentials_source"],
        json!(backend.key_env),
        "{status}"
    );
    let result = server.call("complete", prompt()).await;
    let text = result.expect_error("auth");
    assert!(text.contains(backend.key_env), "{text}");
    assert_eq!(result.meta()["retryable"], json!(false));
    assert!(backend.calls(fake).is_empty(), "no request without a key");
}

/// Runs `replies` (one `complete` each) plus `status` and `list_models` with trace logs on,
/// and asserts the key was sent yet appears in no result, no stdout line and no stderr text.
async fn assert_key_stays_secret(backend: &Backend, replies: Vec<Reply>) -> Vec<ToolResult> {
    let fake = FakeProvider::start().await;
    let count = replies.len();
    for reply in replies {
        fake.push(backend.path, reply);
    }
    let env = [(backend.key_env, KEY), ("RUST_LOG", "trace")];
    let mut server = backend
        .start_with_env(&fake, &["--max-retries", "0"], &env)
        .await;
    let mut results = Vec::new();
    for _ in 0..count {
        results.push(server.call("complete", prompt()).await);
    }
    results.push(server.call("status", json!({})).await);
    results.push(server.call("list_models", json!({})).await);
    for result in &results {
        assert!(
            !result.0.to_string().contains(KEY),
            "a result leaked the key: {}",
            result.0
        );
    }
    let sent = backend.calls(&fake);
    assert_eq!(sent.len(), count);
    assert!(
        sent.iter()
            .all(|r| r.headers.iter().any(|(_, v)| v.contains(KEY))),
        "the key was sent"
    );
    let transcript = server.shutdown(EXIT_GRACE).await;
    assert!(!transcript.stderr.is_empty(), "trace logs were written");
    transcript.assert_never_printed(KEY);
    results
}

/// The key appears nowhere: not in results (a success, errors, status, the listing), not on
/// stdout, not on stderr even at trace level.
pub async fn key_never_leaks(backend: &Backend) {
    let replies = vec![
        backend.ok("fine"),
        (backend.unauthorized)(),
        (backend.quota)(),
        (backend.server_error)(),
        Reply::raw(200, "text/plain", "not json"),
    ];
    let results = assert_key_stays_secret(backend, replies).await;
    assert_eq!(results[0].record()["output"], json!("fine"));
    results[1].expect_error("auth");
    // Ollama has no quota error: its stand-in is a plain 429.
    let quota = match backend.name {
        "ollama" => "rate_limited",
        _ => "quota_exceeded",
    };
    results[2].expect_error(quota);
    results[3].expect_error("upstream");
    results[4].expect_error("invalid_response");
}

/// A provider or proxy that echoes the key back in an error body or a broken answer must not
/// get it into a result either (the excerpt of a body is shown to the caller).
pub async fn key_echoed_by_the_provider_is_not_shown(backend: &Backend) {
    let echo = json!({
        "type": "error",
        "error": {"type": "authentication_error", "message": format!("invalid key {KEY}")}
    });
    let replies = vec![
        Reply::json(401, &echo),
        Reply::json(400, &echo),
        Reply::raw(200, "text/plain", format!("not json {KEY}")),
    ];
    let results = assert_key_stays_secret(backend, replies).await;
    results[0].expect_error("auth");
    // The echo is Anthropic's error shape: Anthropic reads its type, others the status.
    let second = match backend.name {
        "anthropic" => "auth",
        _ => "bad_request",
    };
    results[1].expect_error(second);
    results[2].expect_error("invalid_response");
}

/// `status` names the endpoint and says the credentials are present, without the key.
pub async fn status_shows_configuration(backend: &Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &["--name", "team-llm"]).await;
    let status = server.call("status", json!({})).await.structured().clone();
    assert_eq!(status["provider"], json!("team-llm"));
    assert_eq!(status["credentials"], json!("present"));
    assert_eq!(status["credentials_source"], json!(backend.key_env));
    assert_eq!(status["reachable"], json!(true), "{status}");
    assert!(
        status["endpoint"].as_str().unwrap().contains("127.0.0.1"),
        "{status}"
    );
    assert!(
        fake.requests_to(backend.models_path).len() == 1,
        "status probes the listing"
    );
    assert!(backend.calls(&fake).is_empty(), "status spends no tokens");
}

/// Calls in flight reach the provider at once: 20 calls each delayed 500 ms finish far sooner
/// than 20 x 500 ms.
pub async fn calls_run_concurrently(backend: &Backend) {
    let fake = FakeProvider::start().await;
    fake.fallback(
        backend.path,
        backend.ok("parallel").delay(Duration::from_millis(500)),
    );
    let mut server = backend.start(&fake, &[]).await;
    let started = Instant::now();
    let mut waiting = Vec::new();
    for _ in 0..20 {
        let args = json!({"name": "complete", "arguments": prompt()});
        waiting.push(server.start_request("tools/call", args).await);
    }
    for (id, rx) in waiting {
        let response = server.wait_response(id, rx).await;
        assert_eq!(
            response["result"]["structuredContent"]["output"],
            json!("parallel"),
            "{response}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(backend.calls(&fake).len(), 20);
}
