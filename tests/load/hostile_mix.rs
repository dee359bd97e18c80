//! The load test with a hostile provider mixed in (issue 16): among 1,000 calls, 100 in
//! flight, one in ten fails as in [`super::plan`] and about one in six gets a hostile answer:
//! a stream naming tool call 10^10 or `u64::MAX`, an absurd `retry-after`, token counts at
//! `u64::MAX`, the key echoed in an answer or across the excerpt's cut of an error body, and
//! four stream lines that never end. Every call must be answered exactly once, as its plan
//! says, and the server's memory stays bounded.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{MODEL, OPENAI, ok_body, run_calls_with, sample_peak};
use crate::support::backends::OPENAI as OPENAI_BACKEND;
use crate::support::fuzz_gen::Rng;
use crate::support::hostile::{endless_line, tool_call_at_index};
use crate::support::openai_api::{self as api, Usage};
use crate::support::raw::RawServer;
use crate::support::{self, EXIT_GRACE, FakeProvider, Reply};

const KEY: &str = "sk-load-hostile-key-0123456789";

/// Calls numbered from here on are the warm-up's: plain answers.
const WARM_UP: usize = 1000;

/// What a call's answer must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A record with this output (and, when set, `tokens_used`).
    Output(&'static str, Option<u64>),
    /// A tool error of one of these kinds whose text holds the fragment.
    Error(&'static [&'static str], &'static str),
}

/// The hostile answer or failure for call `n`, whether it is a streamed call (sent with a
/// progress token, so the server asks for a stream), and what the caller must get.
fn plan(n: usize) -> (Reply, bool, Expect) {
    let ok = Expect::Output("load ok", None);
    if n >= WARM_UP {
        return (Reply::json(200, &ok_body("load ok")), false, ok);
    }
    // Four lines of 17 MiB without a newline, 250 calls apart, so that few are in flight
    // at once whatever the order the calls finish in.
    if n % 250 == 100 {
        let reply = endless_line(&OPENAI_BACKEND, 17 << 20);
        return (reply, true, Expect::Error(&["invalid_response"], "16 MiB"));
    }
    let mut rng = Rng::new(0x0405_711e ^ (n as u64).wrapping_mul(0x9E37_79B9));
    let huge = Usage {
        prompt: u64::MAX,
        completion: 5,
        cached: 0,
        reasoning: 0,
    };
    let small = Usage {
        prompt: 4,
        completion: 2,
        cached: 0,
        reasoning: 0,
    };
    match rng.below(100) {
        0..=3 => (
            Reply::json(500, &api::error("boom", "server_error", None)),
            false,
            Expect::Error(&["upstream"], ""),
        ),
        4..=5 => (
            Reply::json(429, &api::error("slow down", "requests", None))
                .header("retry-after-ms", "0"),
            false,
            Expect::Error(&["rate_limited"], ""),
        ),
        6..=8 => (
            Reply::reset(),
            false,
            Expect::Error(&["upstream", "unreachable"], ""),
        ),
        9..=11 => {
            let [name, value] = [
                ["retry-after", "1.8e19"],
                ["retry-after-ms", "1e30"],
                ["retry-after", "NaN"],
            ][n % 3];
            let body = api::error("slow down", "requests", Some("rate_limit_exceeded"));
            let reply = Reply::json(429, &body).header(name, value);
            (reply, false, Expect::Error(&["rate_limited"], ""))
        }
        12..=14 => {
            let index = [json!(10_000_000_000u64), json!(u64::MAX)][n % 2].clone();
            let reply = tool_call_at_index(&OPENAI_BACKEND, index);
            let expect = Expect::Error(&["invalid_response"], "beyond any real answer");
            (reply, true, expect)
        }
        15..=17 => (
            Reply::json(200, &api::text(MODEL, "load ok", huge)),
            false,
            Expect::Output("load ok", Some(u64::MAX)),
        ),
        18..=20 => {
            let echo = api::text(MODEL, &format!("your key is {KEY}"), small);
            let expect = Expect::Output("your key is <redacted>", None);
            (Reply::json(200, &echo), false, expect)
        }
        21..=22 => {
            // The key across the 300-character cut of a plain-text error.
            let body = format!("{}{KEY} and more text after it", "x".repeat(290));
            let reply = Reply::raw(401, "text/plain", body);
            (reply, false, Expect::Error(&["auth"], ""))
        }
        _ => {
            let delay = Duration::from_millis(2 + rng.below(5) as u64);
            (
                Reply::json(200, &ok_body("load ok")).delay(delay),
                false,
                ok,
            )
        }
    }
}

/// The call number in a provider request ("load call N" is its prompt).
fn call_number(body: &Value) -> Option<usize> {
    let prompt = body["messages"].as_array()?.last()?["content"].as_str()?;
    prompt.strip_prefix("load call ")?.parse().ok()
}

/// Whether `text` holds any 6-character piece of the key.
fn leaks(text: &str) -> bool {
    (0..=KEY.len() - 6).any(|at| text.contains(&KEY[at..at + 6]))
}

/// Checks one answer against its plan; the kind of its error, if it is one.
fn check(n: usize, response: &Value) -> Option<String> {
    let result = response
        .get("result")
        .unwrap_or_else(|| panic!("call {n}: a JSON-RPC error instead of a result: {response}"));
    assert!(
        !leaks(&response.to_string()),
        "call {n} leaked the key: {response}"
    );
    match plan(n).2 {
        Expect::Output(output, tokens) => {
            let record = &result["structuredContent"];
            assert_eq!(record["output"], json!(output), "call {n}: {result}");
            if let Some(tokens) = tokens {
                assert_eq!(record["tokens_used"], json!(tokens), "call {n}: {result}");
            }
            None
        }
        Expect::Error(kinds, fragment) => {
            assert_eq!(result["isError"], json!(true), "call {n}: {result}");
            let kind = result["_meta"]["kind"].as_str().unwrap_or("").to_string();
            let text = result["content"][0]["text"].as_str().unwrap_or("");
            assert!(kinds.contains(&kind.as_str()), "call {n}: {result}");
            assert!(
                text.starts_with(&format!("[{kind}] ")),
                "call {n}: {result}"
            );
            assert!(text.contains(fragment), "call {n}: {result}");
            Some(kind)
        }
    }
}

/// The most the server's RSS may grow over its idle RSS during the run: each call in flight
/// may hold one provider line of up to 16 MiB (the line bound), and of the four endless
/// lines at most all four are in flight at once (64 MiB); the rest (100 calls of small
/// bodies, the 32 MiB body bound never approached) is noise next to it. Twice that, for the
/// allocator's slack.
const GROWTH_BOUND_KIB: u64 = 128 * 1024;

#[tokio::test]
async fn a_thousand_calls_with_a_hostile_provider_are_each_answered_once_in_bounded_memory() {
    let fake = FakeProvider::start().await;
    fake.compute(|_, request| {
        let n = request.json.as_ref().and_then(call_number);
        plan(n.expect("every request carries its call number")).0
    });
    let base = format!("{}/v1", fake.url());
    let args = ["--base-url", &base, "--max-retries", "0", "--timeout", "30"];
    let command = support::command(OPENAI, &args, &[("OPENAI_API_KEY", KEY)]);
    let mut server = RawServer::spawn(command);
    server.initialize().await;
    let params = |n: usize| {
        let mut params =
            json!({"name": "complete", "arguments": {"prompt": format!("load call {n}")}});
        if plan(n).1 {
            params["_meta"] = json!({"progressToken": format!("tok-{n}")});
        }
        params
    };
    run_calls_with(&mut server, WARM_UP..WARM_UP + 200, 100, params).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_peak(server.pid(), Arc::clone(&stop));
    let started = Instant::now();
    let responses = run_calls_with(&mut server, 0..1000, 100, params).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = peak.await.unwrap();
    eprintln!("1000 hostile-mixed calls in {elapsed:?}; VmRSS idle {idle} KiB, peak {peak} KiB");

    assert_eq!(responses.len(), 1000);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for (n, response) in &responses {
        if let Some(kind) = check(*n, response) {
            *kinds.entry(kind).or_default() += 1;
        }
    }
    eprintln!("tool errors by kind {kinds:?}");
    assert_eq!(fake.received(), 1200, "one request per call, none retried");
    let answered = server.answered();
    assert_eq!(answered.len(), 1201, "initialize + 1,200 calls");
    assert!(answered.values().all(|n| *n == 1), "an id answered twice");
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    assert!(
        peak <= idle + GROWTH_BOUND_KIB,
        "memory grew past its bound: idle {idle} KiB, peak {peak} KiB"
    );
    assert_eq!(server.shutdown(EXIT_GRACE).await, Some(0));
}
