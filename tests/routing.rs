//! `llm-mcp serve` as a router, end to end: circuit breakers, `routing: latency`, health in
//! `providers`, and `compare` with a deadline and a judge. The children are real: the mock,
//! and `llm-mcp-anthropic` against a fake Anthropic API on 127.0.0.1 whose request count says
//! whether a child was called at all.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::supervisor::{Serve, mock, structured, text};
use crate::support::anthropic_api::{self, MESSAGES, MODELS};
use crate::support::backends::ANTHROPIC;
use crate::support::{FakeProvider, Reply};

/// `llm-mcp-anthropic` against `fake`, sending each request once.
fn anthropic(fake: &FakeProvider) -> Value {
    fake.fallback(
        MODELS,
        Reply::json(200, &(ANTHROPIC.models)(ANTHROPIC.model)),
    );
    json!({
        "command": ANTHROPIC.binary,
        "args": ["--base-url", fake.url(), "--max-retries", "0"],
        "env": {(ANTHROPIC.key_env): "sk-ant-test"}
    })
}

/// How long the failing provider takes to say it is overloaded.
const FAILING_DELAY: Duration = Duration::from_millis(1_000);

#[tokio::test]
async fn a_failing_child_opens_its_breaker_is_skipped_then_a_probe_closes_it() {
    let fake = FakeProvider::start().await;
    fake.fallback(MESSAGES, anthropic_api::overloaded().delay(FAILING_DELAY));
    let serve = Serve::start(json!({
        "mcpServers": {"flaky": anthropic(&fake), "steady": mock("steady", 0)},
        "default": "flaky", "fallback": ["steady"],
        "breaker": {"failures": 2, "cooldown_ms": 2000}
    }))
    .await;
    // Two provider failures in a row: each waits for flaky, then steady answers.
    for n in 1..=2 {
        let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
        assert_eq!(record["provider"], "steady", "{record}");
        assert_eq!(record["tried"], json!(["flaky", "steady"]));
        assert_eq!(fake.requests_to(MESSAGES).len(), n);
    }
    let flaky = serve.provider("flaky").await;
    assert_eq!(flaky["breaker"]["state"], "open", "{flaky}");
    assert_eq!(flaky["health"]["errors"], 2);
    assert_eq!(flaky["health"]["last_error"]["kind"], "overloaded");
    // The supervisor's status shows the same, beside the budgets.
    let status = structured(&serve.call("status", json!({})).await);
    let health = status["health"].as_array().unwrap();
    let shown = health.iter().find(|h| h["name"] == "flaky").unwrap();
    assert_eq!(shown["breaker"]["state"], "open", "{status}");
    assert_eq!(shown["health"]["errors"], 2, "{status}");
    // Open: the next call does not go to flaky at all, and does not wait for it.
    let started = Instant::now();
    let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
    let elapsed = started.elapsed();
    assert_eq!(fake.requests_to(MESSAGES).len(), 2, "flaky was called");
    assert_eq!(record["provider"], "steady");
    assert_eq!(record["tried"], json!(["steady"]));
    assert_eq!(record["skipped"][0]["provider"], "flaky");
    let why = record["skipped"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("circuit open") && why.contains("overloaded"),
        "{why}"
    );
    eprintln!("skipping the open breaker: {elapsed:?} against {FAILING_DELAY:?} per failed call");
    assert!(elapsed < FAILING_DELAY, "{elapsed:?}");
    // Alone, an open child fails at once, naming it and why.
    let alone = serve
        .call("complete", json!({"prompt": "hi", "provider": "flaky"}))
        .await;
    let message = text(&alone);
    assert!(
        message.starts_with("[unreachable] flaky: circuit open after 2 provider failures"),
        "{message}"
    );
    let meta = alone.meta.unwrap();
    assert_eq!(meta.get("skipped").unwrap()[0]["provider"], "flaky");
    let retry_after = meta.get("retry_after_ms").and_then(Value::as_u64).unwrap();
    assert!(retry_after > 0 && retry_after <= 2000, "{retry_after}");
    assert_eq!(fake.requests_to(MESSAGES).len(), 2);
    // The provider recovers; after the cooldown one probe goes, succeeds, and closes it.
    fake.fallback(MESSAGES, ANTHROPIC.ok("back again"));
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
    assert_eq!(record["provider"], "flaky", "{record}");
    assert_eq!(record["output"], "back again");
    assert_eq!(record["tried"], json!(["flaky"]));
    assert_eq!(fake.requests_to(MESSAGES).len(), 3);
    let flaky = serve.provider("flaky").await;
    assert_eq!(flaky["breaker"]["state"], "closed", "{flaky}");
    assert_eq!(flaky["breaker"]["opened"], 1);
    assert_eq!(flaky["health"]["calls"], 3);
    assert!(flaky["health"]["p50_ms"].is_u64(), "{flaky}");
    serve.close().await;
}

#[tokio::test]
async fn a_failed_probe_reopens_the_breaker() {
    let fake = FakeProvider::start().await;
    fake.fallback(MESSAGES, anthropic_api::overloaded());
    let serve = Serve::start(json!({
        "mcpServers": {"flaky": anthropic(&fake), "steady": mock("steady", 0)},
        "default": "flaky", "fallback": ["steady"],
        "breaker": {"failures": 1, "cooldown_ms": 500}
    }))
    .await;
    serve.call("complete", json!({"prompt": "hi"})).await;
    assert_eq!(serve.provider("flaky").await["breaker"]["state"], "open");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
    assert_eq!(
        record["tried"],
        json!(["flaky", "steady"]),
        "the probe went"
    );
    assert_eq!(fake.requests_to(MESSAGES).len(), 2);
    let flaky = serve.provider("flaky").await;
    assert_eq!(
        (
            flaky["breaker"]["state"].clone(),
            flaky["breaker"]["opened"].clone()
        ),
        (json!("open"), json!(2)),
        "{flaky}"
    );
    serve.close().await;
}

#[tokio::test]
async fn latency_routing_picks_the_faster_child() {
    let config = |routing: &str| {
        json!({
            "mcpServers": {"slow": mock("slow", 400), "fast": mock("fast", 0)},
            "default": "slow", "fallback": ["fast"], "routing": routing
        })
    };
    let serve = Serve::start(config("latency")).await;
    // Each is measured once (unmeasured servers go first, in order), then the faster wins.
    let mut answered = Vec::new();
    for _ in 0..4 {
        let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
        answered.push(record["provider"].as_str().unwrap().to_string());
    }
    assert_eq!(answered, ["slow", "fast", "fast", "fast"]);
    let slow = serve.provider("slow").await;
    let fast = serve.provider("fast").await;
    let p50 = |p: &Value| p["health"]["p50_ms"].as_u64().unwrap();
    assert!(
        p50(&slow) >= 400 && p50(&fast) < p50(&slow),
        "{slow}\n{fast}"
    );
    assert_eq!(fast["health"]["calls"], 3);
    // tier: auto candidates are sorted too.
    let record = structured(
        &serve
            .call("complete", json!({"prompt": "hi", "tier": "auto"}))
            .await,
    );
    assert_eq!(record["provider"], "fast");
    serve.close().await;

    // The default stays ordered.
    let serve = Serve::start(config("ordered")).await;
    for _ in 0..3 {
        let record = structured(&serve.call("complete", json!({"prompt": "hi"})).await);
        assert_eq!(record["provider"], "slow");
    }
    serve.close().await;
}

#[tokio::test]
async fn compare_with_a_deadline_returns_what_arrived_and_times_out_the_rest() {
    let serve = Serve::start(json!({
        "mcpServers": {"slow": mock("slow", 5_000), "fast": mock("fast", 0)}
    }))
    .await;
    let started = Instant::now();
    let result = serve
        .call(
            "compare",
            json!({"prompt": "quick", "providers": ["slow", "fast"], "deadline_s": 1,
                   "judge": {"provider": "fast"}}),
        )
        .await;
    let elapsed = started.elapsed();
    let comparison = structured(&result);
    let results = comparison["results"].as_array().unwrap();
    assert_eq!(results[0]["provider"], "slow");
    assert_eq!(results[0]["kind"], "timeout", "{comparison}");
    let error = results[0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("[timeout] slow:") && error.contains("deadline_s"),
        "{error}"
    );
    assert_eq!(results[1]["record"]["output"], "quick");
    assert!(
        elapsed < Duration::from_millis(3_000),
        "waited {elapsed:?} for the slow one"
    );
    // One answer is nothing to judge: the judge is not called, and says so.
    let judgement = &comparison["judgement"];
    assert_eq!(judgement["mode"], "rank");
    assert!(judgement["record"].is_null(), "{judgement}");
    assert!(
        judgement["error"].as_str().unwrap().contains("1 answer(s)"),
        "{judgement}"
    );
    // A call cut off by the deadline is the caller's choice: not in the child's health.
    assert_eq!(serve.provider("slow").await["health"]["calls"], 0);
    assert_eq!(serve.provider("fast").await["health"]["calls"], 1);
    let bad = serve
        .call("compare", json!({"prompt": "x", "deadline_s": 0}))
        .await;
    assert!(text(&bad).starts_with("[bad_request]"), "{}", text(&bad));
    serve.close().await;
}

#[tokio::test]
async fn a_judge_ranks_the_answers_blind_and_brings_its_own_record() {
    let fake = FakeProvider::start().await;
    fake.push(
        MESSAGES,
        ANTHROPIC.ok(r#"{"ranking": ["2", "1"], "reason": "2 says it plainly"}"#),
    );
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 0), "b": mock("b", 0), "judge": anthropic(&fake)}
    }))
    .await;
    let comparison = structured(
        &serve
            .call(
                "compare",
                json!({"prompt": "What is 2+2?", "providers": ["a", "b"],
                       "judge": {"provider": "judge", "mode": "rank"}}),
            )
            .await,
    );
    let judgement = &comparison["judgement"];
    assert_eq!(judgement["ranking"], json!(["b", "a"]), "{comparison}");
    assert_eq!(judgement["reason"], "2 says it plainly");
    assert_eq!(judgement["record"]["provider"], "judge");
    assert_eq!(judgement["record"]["tried"], json!(["judge"]));
    assert!(judgement["error"].is_null());
    // The judge saw both answers under labels, asked for as structured output.
    let sent = fake.requests_to(MESSAGES);
    assert_eq!(sent.len(), 1);
    let body = String::from_utf8_lossy(&sent[0].body).to_string();
    assert!(
        body.contains(r#"<answer label=\"2\">\nWhat is 2+2?\n</answer>"#),
        "{body}"
    );
    assert!(body.contains("Rank every answer"), "{body}");
    assert!(body.contains("ranking"), "{body}");
    serve.close().await;
}

#[tokio::test]
async fn a_judge_tier_merges_the_answers_into_one() {
    let serve = Serve::start(json!({
        "mcpServers": {"a": mock("a", 0), "b": mock("b", 0), "m": mock("m", 0)},
        "tiers": {"fast": {"server": "m"}}
    }))
    .await;
    let comparison = structured(
        &serve
            .call(
                "compare",
                json!({"prompt": "name a colour", "providers": ["a", "b"],
                       "judge": {"tier": "fast", "mode": "merge"}}),
            )
            .await,
    );
    let judgement = &comparison["judgement"];
    assert_eq!(judgement["mode"], "merge");
    assert_eq!(judgement["record"]["provider"], "m", "{comparison}");
    // The mock echoes what it was asked: the prompt and both answers, to merge.
    let output = judgement["output"].as_str().unwrap();
    assert_eq!(judgement["record"]["output"], output);
    for part in [
        "<prompt>\nname a colour\n</prompt>",
        "<answer label=\"1\">",
        "<answer label=\"2\">",
    ] {
        assert!(output.contains(part), "{output}");
    }
    serve.close().await;
}
