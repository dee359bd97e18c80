//! Requests shaped for today's models (issue 10), through the real binary against the fake
//! Chat Completions API: what the catalog says a model refuses never reaches the provider,
//! what an uncatalogued model refuses is learned from its 400, and the record says each time.

use serde_json::{Value, json};

use crate::support::backends::OPENAI as BACKEND;
use crate::support::openai_api::{self as api, Usage};
use crate::support::{FakeProvider, Reply};

fn ok(model: &str, text: &str) -> Reply {
    let usage = Usage {
        prompt: 10,
        completion: 5,
        cached: 0,
        reasoning: 0,
    };
    Reply::json(200, &api::text(model, text, usage))
}

/// The JSON bodies of the completion requests the fake received.
fn bodies(fake: &FakeProvider) -> Vec<Value> {
    BACKEND
        .calls(fake)
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

fn warnings(record: &Value) -> Vec<String> {
    record["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_catalogued_model_that_takes_no_temperature_is_sent_none_and_the_record_says_so() {
    let fake = FakeProvider::start().await;
    fake.push(api::CHAT, ok("gpt-6-astra", "fine"));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"prompt": "hi", "model": "gpt-6-astra", "temperature": 0.3, "top_p": 0.5});
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], "fine");
    let sent = bodies(&fake);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].get("temperature").is_none(), "{}", sent[0]);
    assert!(sent[0].get("top_p").is_none(), "{}", sent[0]);
    let said = warnings(&record);
    assert!(
        said.iter().any(|w| w.contains("temperature 0.3 dropped")),
        "{said:?}"
    );
    assert!(said.iter().any(|w| w.contains("top_p")), "{said:?}");
}

#[tokio::test]
async fn an_uncatalogued_model_that_refuses_a_parameter_is_asked_again_without_it_and_then_never() {
    let fake = FakeProvider::start().await;
    // OpenAI's refusal, as its reasoning models send it.
    let refusal = api::error(
        "Unsupported parameter: 'temperature' is not supported with this model.",
        "invalid_request_error",
        Some("unsupported_parameter"),
    );
    fake.push(api::CHAT, Reply::json(400, &refusal));
    fake.push(api::CHAT, ok("house-model-7", "first"));
    fake.push(api::CHAT, ok("house-model-7", "second"));
    let mut server = BACKEND.start(&fake, &[]).await;
    let args = json!({"prompt": "hi", "model": "house-model-7", "temperature": 0.3});
    let first = server.call("complete", args.clone()).await.record().clone();
    assert_eq!(first["output"], "first");
    let said = warnings(&first);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("temperature") && said[0].contains("refused"),
        "{said:?}"
    );
    let second = server.call("complete", args).await.record().clone();
    assert_eq!(second["output"], "second");
    assert_eq!(warnings(&second).len(), 1, "remembered, and still said");
    let sent = bodies(&fake);
    assert_eq!(sent.len(), 3, "one retry, then straight without it");
    assert_eq!(sent[0]["temperature"], json!(0.3));
    assert!(sent[1].get("temperature").is_none(), "{}", sent[1]);
    assert!(sent[2].get("temperature").is_none(), "{}", sent[2]);
}

#[tokio::test]
async fn a_refusal_of_something_the_request_did_not_send_is_not_retried() {
    let fake = FakeProvider::start().await;
    let refusal = api::error(
        "Unsupported parameter: 'temperature' is not supported with this model.",
        "invalid_request_error",
        Some("unsupported_parameter"),
    );
    fake.push(api::CHAT, Reply::json(400, &refusal));
    let mut server = BACKEND.start(&fake, &[]).await;
    let result = server
        .call(
            "complete",
            json!({"prompt": "hi", "model": "house-model-7"}),
        )
        .await;
    assert!(result.is_error());
    assert!(
        result.text().starts_with("[bad_request]"),
        "{}",
        result.text()
    );
    assert_eq!(bodies(&fake).len(), 1);
}

#[tokio::test]
async fn stop_for_a_model_without_it_is_applied_to_the_output_by_the_server() {
    let fake = FakeProvider::start().await;
    // A user's catalog entry: the house model refuses `stop`.
    let dir = std::env::temp_dir().join(format!("llm-mcp-adapt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("house.json");
    let catalog = json!({"format": 1, "provider": "openai", "models": [
        {"id": "house-stopless", "params": {"stop": false}, "sources": ["test"]}
    ]});
    std::fs::write(&file, catalog.to_string()).unwrap();
    fake.push(api::CHAT, ok("house-stopless", "alpha END beta"));
    let file = file.to_string_lossy().into_owned();
    let mut server = BACKEND.start(&fake, &["--catalog", &file]).await;
    let args = json!({"prompt": "hi", "model": "house-stopless", "stop": ["END"]});
    let record = server.call("complete", args).await.record().clone();
    assert_eq!(record["output"], "alpha ");
    assert_eq!(record["finish_reason"], "stop");
    assert_eq!(record["message"]["content"], "alpha ");
    let sent = bodies(&fake);
    assert!(sent[0].get("stop").is_none(), "{}", sent[0]);
    assert!(
        warnings(&record).iter().any(|w| w.contains("stop")),
        "{record}"
    );
}

#[tokio::test]
async fn a_bad_catalog_file_stops_the_server_with_a_message_naming_it() {
    let dir = std::env::temp_dir().join(format!("llm-mcp-adapt-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("typo.json");
    std::fs::write(
        &file,
        r#"{"format": 1, "provider": "openai", "modles": []}"#,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_llm-mcp-openai"))
        .args(["--catalog", &file.to_string_lossy()])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("typo.json") && stderr.contains("modles"),
        "{stderr}"
    );
}
