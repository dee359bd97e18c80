//! Load: 1,000 calls, 100 in flight, through one `llm-mcp-openai` against a fake that fails one
//! request in ten; the same with a hostile provider's answers mixed in (tests/hostile/), memory
//! bounded; and `--max-concurrency`, whose waiting calls must still get heartbeats.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::support::fuzz_gen::Rng;
use crate::support::mcp::ANSWER_TIMEOUT;
use crate::support::openai_api::{self as api, Usage};
use crate::support::raw::{RawServer, rss_kib};
use crate::support::{self, EXIT_GRACE, FakeProvider, Reply};

mod hostile_mix;

const OPENAI: &str = env!("CARGO_BIN_EXE_llm-mcp-openai");
const MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Every kind of `ErrorKind` (src/error.rs), as written in `_meta.kind`.
const KINDS: &[&str] = &[
    "auth",
    "rate_limited",
    "quota_exceeded",
    "overloaded",
    "timeout",
    "unreachable",
    "bad_request",
    "model_not_found",
    "context_length",
    "content_filter",
    "upstream",
    "invalid_response",
    "cancelled",
    "internal",
];

fn ok_body(text: &str) -> Value {
    let usage = Usage {
        prompt: 4,
        completion: 2,
        cached: 0,
        reasoning: 0,
    };
    api::text(MODEL, text, usage)
}

/// How the fake answers one request.
#[derive(Debug, Clone)]
enum Plan {
    /// 200 with this JSON body after the delay.
    Ok(Duration, Value),
    /// This status with this JSON body and headers, at once.
    Fail(u16, Value, Vec<(&'static str, &'static str)>),
    /// The connection is reset (RST) without any answer.
    Reset,
}

impl Plan {
    /// The fake's reply that carries out the plan.
    fn reply(self) -> Reply {
        match self {
            Plan::Ok(delay, body) => Reply::json(200, &body).delay(delay),
            Plan::Fail(status, body, headers) => headers
                .into_iter()
                .fold(Reply::json(status, &body), |r, (n, v)| r.header(n, v)),
            Plan::Reset => Reply::reset(),
        }
    }
}

/// A fake that answers the `n`th request it receives by `planner(n)`.
async fn planned_fake(planner: impl Fn(usize) -> Plan + Send + Sync + 'static) -> FakeProvider {
    let fake = FakeProvider::start().await;
    fake.compute(move |n, _| planner(n).reply());
    fake
}

/// What the fake does with the `n`th request: 4 % HTTP 500, 3 % HTTP 429 with
/// `retry-after-ms: 0`, 3 % a reset connection, otherwise an answer after 2 to 6 ms.
fn plan(n: usize) -> Plan {
    let mut rng = Rng::new(0x10ad ^ (n as u64).wrapping_mul(0x9E37_79B9));
    match rng.below(100) {
        0..=3 => Plan::Fail(500, api::error("boom", "server_error", None), vec![]),
        4..=6 => Plan::Fail(
            429,
            api::error("slow down", "requests", Some("rate_limit_exceeded")),
            vec![("retry-after-ms", "0")],
        ),
        7..=9 => Plan::Reset,
        _ => Plan::Ok(
            Duration::from_millis(2 + rng.below(5) as u64),
            ok_body("load ok"),
        ),
    }
}

/// The outcome of one call: `Ok(())` for a record, `Err(kind)` for a tool error.
fn outcome(response: &Value) -> Result<(), String> {
    let result = response
        .get("result")
        .unwrap_or_else(|| panic!("a JSON-RPC error instead of a result: {response}"));
    if result["isError"] == json!(true) {
        let kind = result["_meta"]["kind"].as_str().unwrap_or("").to_string();
        let text = result["content"][0]["text"].as_str().unwrap_or("");
        assert!(
            KINDS.contains(&kind.as_str()),
            "undocumented kind: {result}"
        );
        assert!(text.starts_with(&format!("[{kind}] ")), "{result}");
        return Err(kind);
    }
    assert_eq!(result["structuredContent"]["output"], json!("load ok"));
    Ok(())
}

/// Samples the resident memory of `pid` until `stop`; the highest value seen.
fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    let peak = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            if let Some(kib) = rss_kib(pid) {
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak.load(Ordering::Relaxed)
    })
}

/// Sends `total` calls keeping at most `in_flight` unanswered; every response, by call number.
async fn run_calls(server: &mut RawServer, total: usize, in_flight: usize) -> Vec<(usize, Value)> {
    let params = |n: usize| {
        let args = json!({"prompt": format!("load call {n}")});
        json!({"name": "complete", "arguments": args})
    };
    run_calls_with(server, 0..total, in_flight, params).await
}

/// Sends call `n` for each `n` of `calls` as `params(n)` says, keeping at most `in_flight`
/// unanswered; every response, by call number.
async fn run_calls_with(
    server: &mut RawServer,
    calls: std::ops::Range<usize>,
    in_flight: usize,
    params: impl Fn(usize) -> Value,
) -> Vec<(usize, Value)> {
    let mut waiting = JoinSet::new();
    let mut done = Vec::new();
    for n in calls {
        if waiting.len() >= in_flight
            && let Some(joined) = waiting.join_next().await
        {
            done.push(joined.expect("waiter"));
        }
        let (id, rx) = server.start_request("tools/call", params(n)).await;
        waiting.spawn(async move {
            let response = tokio::time::timeout(ANSWER_TIMEOUT, rx).await;
            let response = response
                .unwrap_or_else(|_| panic!("no answer to {id}"))
                .unwrap_or_else(|_| panic!("stdout closed before {id}"));
            (n, response)
        });
    }
    while let Some(joined) = waiting.join_next().await {
        done.push(joined.expect("waiter"));
    }
    done
}

#[tokio::test]
async fn a_thousand_calls_with_failures_are_each_answered_once_and_memory_settles() {
    let fake = planned_fake(plan).await;
    let base = format!("{}/v1", fake.url());
    let args = ["--base-url", &base, "--max-retries", "0"];
    let command = support::command(OPENAI, &args, &[("OPENAI_API_KEY", "sk-load-key")]);
    let mut server = RawServer::spawn(command);
    server.initialize().await;
    // Warm up (connection pool, allocator arenas), then measure idle.
    run_calls(&mut server, 200, 100).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss_kib();
    let warm_requests = fake.received();

    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_peak(server.pid(), Arc::clone(&stop));
    let started = Instant::now();
    let responses = run_calls(&mut server, 1000, 100).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = peak.await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_kib();
    eprintln!(
        "1000 calls in {elapsed:?}; VmRSS idle {idle} KiB, peak {peak} KiB, after {after} KiB"
    );

    assert_eq!(responses.len(), 1000);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for (_, response) in &responses {
        if let Err(kind) = outcome(response) {
            *kinds.entry(kind).or_default() += 1;
        }
    }
    // With no retries, each call is exactly one request, and each failure shows as one error.
    assert_eq!(fake.received() - warm_requests, 1000, "requests sent");
    let planned: Vec<Plan> = (warm_requests..warm_requests + 1000).map(plan).collect();
    let count = |f: fn(&Plan) -> bool| planned.iter().filter(|p| f(p)).count();
    let rate_limited = count(|p| matches!(p, Plan::Fail(429, ..)));
    let failures = count(|p| !matches!(p, Plan::Ok(..)));
    assert!(
        (50..=150).contains(&failures),
        "about 10 % fail: {failures}"
    );
    eprintln!("failures planned {failures} (429: {rate_limited}); tool errors by kind {kinds:?}");
    let errors: usize = kinds.values().sum();
    assert_eq!(errors, failures, "{kinds:?}");
    assert_eq!(
        kinds.get("rate_limited").copied().unwrap_or(0),
        rate_limited
    );
    let broken = kinds.get("upstream").copied().unwrap_or(0)
        + kinds.get("unreachable").copied().unwrap_or(0);
    assert_eq!(
        broken,
        failures - rate_limited,
        "500s and resets: {kinds:?}"
    );

    // Every id answered exactly once, none lost (all 1,200 driver ids, nothing else).
    let answered = server.answered();
    assert_eq!(answered.len(), 1201, "initialize + 1,200 calls");
    assert!(answered.values().all(|n| *n == 1), "an id answered twice");
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    assert!(
        after <= idle + 16 * 1024,
        "memory did not settle: idle {idle} KiB, peak {peak} KiB, after {after} KiB"
    );
    assert_eq!(server.shutdown(EXIT_GRACE).await, Some(0));
}

#[tokio::test]
async fn max_concurrency_holds_calls_back_and_heartbeats_the_waiting_ones() {
    let delay = Duration::from_millis(600);
    let fake = planned_fake(move |_| Plan::Ok(delay, ok_body("load ok"))).await;
    let base = format!("{}/v1", fake.url());
    let args = ["--base-url", &base, "--max-concurrency", "4"];
    let command = support::command(OPENAI, &args, &[("OPENAI_API_KEY", "sk-load-key")]);
    let mut server = RawServer::spawn(command);
    server.initialize().await;

    let mut waiting = JoinSet::new();
    for n in 0..20 {
        let params = json!({"name": "complete", "arguments": {"prompt": format!("call-{n}")},
            "_meta": {"progressToken": format!("tok-{n}")}});
        let (_, rx) = server.start_request("tools/call", params).await;
        waiting.spawn(async move { tokio::time::timeout(ANSWER_TIMEOUT, rx).await });
    }
    let mut notes: Vec<(Instant, Value)> = Vec::new();
    let mut responses = Vec::new();
    while !waiting.is_empty() {
        tokio::select! {
            Some(joined) = waiting.join_next() => {
                responses.push(joined.unwrap().expect("answer in time").expect("stdout open"));
            }
            Some(note) = server.next_notification(Duration::from_secs(30)) => {
                notes.push((Instant::now(), note));
            }
        }
    }
    for response in &responses {
        outcome(response).expect("every call succeeds");
    }
    assert_eq!(fake.received(), 20);
    assert_eq!(
        fake.max_in_flight(),
        4,
        "the provider saw more (or fewer) than 4 at once"
    );

    // A heartbeat that came before the fake even received the call was sent while it waited.
    let arrivals = fake.requests();
    let arrived = |n: usize| {
        let prompt = json!(format!("call-{n}"));
        arrivals
            .iter()
            .find(|r| {
                r.json
                    .as_ref()
                    .is_some_and(|b| b["messages"][0]["content"] == prompt)
            })
            .map(|r| r.received_at)
            .expect("the fake received every call")
    };
    let heartbeats_while_waiting = (0..20)
        .filter(|n| {
            let token = json!(format!("tok-{n}"));
            notes.iter().any(|(at, note)| {
                note["method"] == json!("notifications/progress")
                    && note["params"]["progressToken"] == token
                    && *at < arrived(*n)
            })
        })
        .count();
    eprintln!("{heartbeats_while_waiting} of 20 calls got a heartbeat while waiting for a slot");
    assert!(
        heartbeats_while_waiting >= 1,
        "no call got a heartbeat while waiting for a slot: {notes:?}"
    );
    assert_eq!(server.shutdown(EXIT_GRACE).await, Some(0));
}
