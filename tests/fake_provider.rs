//! The fake provider itself: scripts, request log, keep-alive and the disconnect signal, checked
//! with a plain HTTP client so the other tests can trust it.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Ending, FakeProvider, Reply};

#[tokio::test]
async fn serves_the_script_in_order_then_the_fallback_and_logs_requests() {
    let fake = FakeProvider::start().await;
    fake.push(
        "/v1/x",
        Reply::json(429, &json!({"n": 1})).header("retry-after", "1"),
    );
    fake.push("/v1/x", Reply::json(200, &json!({"n": 2})));
    fake.fallback("/v1/x", Reply::json(200, &json!({"n": "again"})));
    let client = reqwest::Client::new();
    let url = format!("{}/v1/x?a=b", fake.url());
    let mut seen = Vec::new();
    for i in 0..3 {
        let response = client
            .post(&url)
            .header("x-api-key", "k")
            .json(&json!({"i": i}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let body: serde_json::Value = response.json().await.unwrap();
        seen.push((status, retry, body["n"].clone()));
    }
    assert_eq!(seen[0], (429, Some("1".into()), json!(1)));
    assert_eq!(seen[1], (200, None, json!(2)));
    assert_eq!(seen[2], (200, None, json!("again")));
    let requests = fake.requests_to("/v1/x");
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].query.as_deref(), Some("a=b"));
    assert_eq!(requests[1].header("X-Api-Key"), Some("k"));
    assert_eq!(requests[2].body_json()["i"], json!(2));
    let unscripted = client
        .get(format!("{}/nope", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unscripted.status().as_u16(), 404);
}

#[tokio::test]
async fn a_client_that_gives_up_on_a_hanging_reply_is_seen_leaving() {
    let fake = FakeProvider::start().await;
    fake.push("/slow", Reply::hang());
    let client = reqwest::Client::new();
    let sent = client
        .get(format!("{}/slow", fake.url()))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    assert!(fake.wait_disconnects(1, Duration::from_secs(5)).await);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn delays_and_broken_bodies_happen_as_scripted() {
    let fake = FakeProvider::start().await;
    let body = json!({"text": "x".repeat(100)});
    fake.push(
        "/d",
        Reply::json(200, &body)
            .delay(Duration::from_millis(300))
            .pause_mid_body(Duration::from_millis(300)),
    );
    fake.push("/d", Reply::json(200, &body).ending(Ending::CloseMidBody));
    fake.push("/d", Reply::json(200, &body).ending(Ending::ResetMidBody));
    let client = reqwest::Client::new();
    let url = format!("{}/d", fake.url());
    let started = Instant::now();
    let whole: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(whole, body);
    assert!(started.elapsed() >= Duration::from_millis(600));
    for _ in 0..2 {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.bytes().await.is_err(),
            "a cut body must fail to read"
        );
    }
}

#[tokio::test]
async fn chunked_replies_arrive_piece_by_piece() {
    let fake = FakeProvider::start().await;
    let pieces = vec![
        (Duration::ZERO, "data: one\n\n".to_string()),
        (Duration::from_millis(50), "data: two\n\n".to_string()),
    ];
    fake.push("/s", Reply::chunked(200, "text/event-stream", pieces));
    let text = reqwest::get(format!("{}/s", fake.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "data: one\n\ndata: two\n\n");
}

#[tokio::test]
async fn computed_replies_follow_the_queue_reset_on_demand_and_count_what_is_in_flight() {
    let fake = FakeProvider::start().await;
    fake.push("/c", Reply::json(201, &json!({"queued": true})));
    fake.compute(|n, request| match n {
        1 => Reply::reset(),
        _ => Reply::json(200, &json!({"n": n, "path": request.path}))
            .delay(Duration::from_millis(300)),
    });
    let client = reqwest::Client::new();
    let url = format!("{}/c", fake.url());
    let queued = client.get(&url).send().await.unwrap();
    assert_eq!(queued.status().as_u16(), 201, "the queue comes first");
    assert!(client.get(&url).send().await.is_err(), "request 1 is reset");
    // Three at once, each held 300 ms: all three are in flight together.
    let calls = (0..3).map(|_| async {
        let response = client.get(&url).send().await.unwrap();
        response.json::<serde_json::Value>().await.unwrap()
    });
    let bodies = futures::future::join_all(calls).await;
    let mut numbers: Vec<u64> = bodies.iter().map(|b| b["n"].as_u64().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [2, 3, 4]);
    assert!(bodies.iter().all(|b| b["path"] == json!("/c")));
    assert_eq!(fake.received(), 5);
    assert_eq!(fake.max_in_flight(), 3);
    let times: Vec<Instant> = fake.requests().iter().map(|r| r.received_at).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "logged in arrival order"
    );
}
