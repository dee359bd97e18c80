//! `--redis URL` on a backend: replicas of the same `--name` skip a key another replica saw
//! rate limited, and report one usage total in `status`. Real binaries against one fake
//! provider and a real redis-server (skipped, saying why, without one: see redis.rs).

use std::time::Duration;

use serde_json::json;

use crate::redis::{redis, unique};
use crate::support::anthropic_api::{self as api, Usage};
use crate::support::backends::ANTHROPIC;
use crate::support::{self, FakeProvider, Reply};

fn ok(text: &str) -> Reply {
    let usage = Usage {
        input: 10,
        output: 5,
        cache_read: 0,
        cache_creation: 0,
    };
    Reply::json(200, &api::text(ANTHROPIC.model, text, usage))
}

const KEYS: &str = "sk-test-one,sk-test-two";

#[tokio::test]
async fn replicas_skip_a_resting_key_and_report_one_total() {
    let Some(redis) = redis().await else { return };
    let fake = FakeProvider::start().await;
    let name = unique("keys");
    let flags = ["--name", name.as_str(), "--redis", redis.url.as_str()];
    let env = [("ANTHROPIC_API_KEY", KEYS)];
    let mut first = ANTHROPIC.start_with_env(&fake, &flags, &env).await;
    let mut second = ANTHROPIC.start_with_env(&fake, &flags, &env).await;
    // The first replica's first key is rate limited for a minute; it turns to the second.
    fake.push(
        api::MESSAGES,
        api::rate_limited().header("retry-after", "60"),
    );
    fake.push(api::MESSAGES, ok("from the second key"));
    let result = first.call("complete", json!({"prompt": "one"})).await;
    assert_eq!(result.record()["attempts"], json!(2), "{}", result.0);
    // The second replica has not used a key yet: on its own it would start with the first
    // one, which rests on every replica now.
    fake.push(api::MESSAGES, ok("second replica"));
    let result = second.call("complete", json!({"prompt": "two"})).await;
    assert_eq!(result.record()["attempts"], json!(1), "{}", result.0);
    let keys: Vec<String> = ANTHROPIC
        .calls(&fake)
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_string())
        .collect();
    assert_eq!(keys, ["sk-test-one", "sk-test-two", "sk-test-two"]);
    // Both replicas report both calls: 2 calls, 30 tokens. The totals are added after each
    // call answers, so they may take a moment to show.
    for server in [&mut first, &mut second] {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = server.call("status", json!({})).await;
            let status = status.record().clone();
            if status["calls"] == json!(2) {
                assert_eq!(status["tokens"], json!(30), "{status}");
                assert_eq!(status["errors"], json!(0), "{status}");
                let scope = status["totals_scope"].as_str().unwrap();
                assert!(scope.starts_with("every replica named keys-"), "{scope}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for server in [first, second] {
        server.shutdown(support::EXIT_GRACE).await;
    }
}

#[tokio::test]
async fn without_redis_the_totals_are_the_process_own() {
    let fake = FakeProvider::start().await;
    let env = [("ANTHROPIC_API_KEY", KEYS)];
    let mut server = ANTHROPIC.start_with_env(&fake, &[], &env).await;
    let status = server.call("status", json!({})).await;
    let status = status.record().clone();
    assert_eq!(status["calls"], json!(0), "{status}");
    assert!(status.get("totals_scope").is_none(), "{status}");
    server.shutdown(support::EXIT_GRACE).await;
}

/// A Redis that goes away after start: each piece of shared state says so, in the call's
/// error, in `status` and on stderr, and the password is never shown.
#[tokio::test]
async fn a_redis_gone_later_is_a_clear_error_and_never_shows_its_password() {
    const PASSWORD: &str = "hunter2-secret";
    let Some(mut redis) = crate::redis::own_redis(Some(PASSWORD)).await else {
        return;
    };
    let name = unique("gone");
    let flags = [
        "--name",
        &name,
        "--rate-limit",
        "100",
        "--redis",
        &redis.url,
    ];
    let mut server = support::start(crate::redis::MOCK, &flags, &[]).await;
    let result = server
        .call("complete", json!({"prompt": "while it runs"}))
        .await;
    assert_eq!(result.record()["output"], json!("while it runs"));
    redis.stop().await;
    let result = server.call("complete", json!({"prompt": "after"})).await;
    let text = result.expect_error("unreachable");
    assert!(
        text.contains("the shared rate limit in Redis cannot be reached"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
    let status = server.call("status", json!({})).await;
    let status = status.record().clone();
    let scope = status["totals_scope"].as_str().unwrap();
    assert!(
        scope.starts_with("this process only: the shared totals in Redis cannot be reached"),
        "{scope}"
    );
    assert!(!scope.contains(PASSWORD), "{scope}");
    let transcript = server.shutdown(support::EXIT_GRACE).await;
    assert!(
        transcript.stderr.contains("usage totals cannot be shared"),
        "{}",
        transcript.stderr
    );
    assert!(
        !transcript.stderr.contains(PASSWORD),
        "{}",
        transcript.stderr
    );
    assert!(!transcript.stdout_lines.concat().contains(PASSWORD));
}
