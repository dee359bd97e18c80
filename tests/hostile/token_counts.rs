//! Token counts are the provider's word: `prompt_tokens: u64::MAX` used to wrap `tokens_used`
//! to 4 (a panic in a debug build) and corrupt the `status` totals. The sums saturate.

use serde_json::json;

use crate::support::FakeProvider;
use crate::support::Reply;
use crate::support::backends::OPENAI;
use crate::support::openai_api::{self, Usage};

#[tokio::test]
async fn absurd_token_counts_saturate_in_the_record_and_the_totals() {
    let fake = FakeProvider::start().await;
    let mut server = OPENAI.start(&fake, &[]).await;
    let usage = Usage {
        prompt: u64::MAX,
        completion: 5,
        cached: 0,
        reasoning: 0,
    };
    let message = json!({"role": "assistant", "content": "hi", "refusal": null});
    let body = openai_api::completion(OPENAI.model, message, "stop", usage);
    for _ in 0..2 {
        fake.push(OPENAI.path, Reply::json(200, &body));
        let result = server.call("complete", json!({"prompt": "hi"})).await;
        assert_eq!(
            result.record()["tokens_used"],
            json!(u64::MAX),
            "{}",
            result.0
        );
    }
    let status = server.call("status", json!({})).await;
    assert_eq!(
        status.structured()["tokens"],
        json!(u64::MAX),
        "{}",
        status.0
    );
    assert_eq!(status.structured()["calls"], json!(2), "{}", status.0);
}
