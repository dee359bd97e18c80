//! `retry-after: 1.8e19` (or `retry-after-ms: 1e30`) used to panic converting to a duration:
//! `complete` came back `[internal]` and `status` was never answered. An absurd wait is now a
//! wait too long: the call is not retried and fails as the rate limit it is.

use serde_json::json;

use crate::support::FakeProvider;
use crate::support::backends::{ANTHROPIC, Backend, GEMINI, OPENAI};

async fn absurd_waits_are_too_long(backend: Backend) {
    let fake = FakeProvider::start().await;
    let mut server = backend.start(&fake, &[]).await;
    for (name, value) in [
        ("retry-after", "1.8e19"),
        ("retry-after-ms", "1e30"),
        ("retry-after", "NaN"),
        ("retry-after", "-3"),
    ] {
        let before = backend.calls(&fake).len();
        fake.push(backend.path, (backend.rate_limited)().header(name, value));
        let result = server.call("complete", json!({"prompt": "hi"})).await;
        let text = result.expect_error("rate_limited");
        assert_eq!(
            backend.calls(&fake).len(),
            before + 1,
            "{name}: {value}: {text}"
        );
        let status = server.call("status", json!({})).await;
        assert!(!status.is_error(), "{}", status.0);
    }
    backend
        .assert_serves(&mut server, &fake, "after the waits")
        .await;
}

#[tokio::test]
async fn an_absurd_retry_after_fails_the_call_without_a_panic() {
    futures::future::join3(
        absurd_waits_are_too_long(OPENAI),
        absurd_waits_are_too_long(ANTHROPIC),
        absurd_waits_are_too_long(GEMINI),
    )
    .await;
}
