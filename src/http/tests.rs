//! The backend against fake endpoints on 127.0.0.1.

use super::*;
use crate::http::retry::retry_after;
use crate::providers::openai::{OpenAi, PROFILE};
use clap::Parser;
use reqwest::header::{HeaderMap, HeaderValue};

#[test]
fn retry_after_reads_milliseconds_first_then_seconds() {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("2"));
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
    headers.insert("retry-after-ms", HeaderValue::from_static("150"));
    assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
    // A date long past asks for no wait (the dated form is read by `retry`'s own tests).
    let mut dated = HeaderMap::new();
    dated.insert(
        "retry-after",
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry_after(&dated), Some(Duration::ZERO));
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: crate::config::CommonArgs,
}

#[tokio::test]
async fn clients_build_for_https_and_for_plain_http_endpoints() {
    for base in ["https://api.openai.com/v1", "http://127.0.0.1:9/v1"] {
        let cli = Cli::parse_from(["x", "--base-url", base]);
        let config = cli.common.resolve(PROFILE, &|_| None).unwrap();
        let backend = HttpBackend::new(OpenAi::new(config.base_url.clone()), &config);
        assert!(backend.is_ok(), "{base}");
    }
}

/// Issue 12: a 401 to a request that carried no key says none was sent, not that a key
/// was rejected; with a key it names the variable whose key was rejected.
#[tokio::test]
async fn a_401_names_a_rejected_key_only_when_one_was_sent() {
    use crate::config::Profile;
    use crate::test_server::{config, serve};
    let keyless = Profile {
        key_required: false,
        ..PROFILE
    };
    let body = r#"{"error": {"message": "Missing bearer authentication in header", "type": "invalid_request_error", "param": null, "code": null}}"#;
    for key in [None, Some("sk-test-key")] {
        let (base, server) = serve("401 Unauthorized", "application/json", body.into()).await;
        let config = config(keyless, &format!("{base}/v1"), key);
        let backend = HttpBackend::new(OpenAi::new(config.base_url.clone()), &config).unwrap();
        let request = crate::completion::CompletionRequest {
            model: "gpt-5.5".into(),
            system: None,
            messages: vec![crate::completion::Message::user("Hi")],
            tools: Vec::new(),
            tool_choice: None,
            sampling: Default::default(),
            ..Default::default()
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let err = backend.complete(request, deadline).await.unwrap_err();
        let head = server.await.unwrap().head.to_ascii_lowercase();
        assert_eq!(err.kind, ErrorKind::Auth);
        assert_eq!(err.status, Some(401));
        let text = err.render("openai");
        assert!(text.contains("Missing bearer authentication"), "{text}");
        if key.is_some() {
            assert!(head.contains("authorization: bearer"));
            assert!(
                text.contains("the key in OPENAI_API_KEY was rejected"),
                "{text}"
            );
        } else {
            assert!(!head.contains("authorization"));
            assert!(!text.contains("rejected"), "{text}");
            assert!(text.contains("none was sent: set OPENAI_API_KEY"), "{text}");
        }
    }
}
