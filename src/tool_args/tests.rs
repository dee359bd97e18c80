use super::*;
use crate::config::CommonArgs;
use crate::mock::PROFILE;
use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

fn config(args: &[&str]) -> ServerConfig {
    let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap();
    cli.common.resolve(PROFILE, &|_| None).unwrap()
}

const ANTHROPIC_LIKE: Limits = Limits {
    temperature_max: 1.0,
};

fn complete(args: serde_json::Value) -> Result<CompletionRequest, LlmError> {
    let args: CompleteArgs = serde_json::from_value(args).unwrap();
    args.into_request(&config(&["--max-tokens", "50"]), &ANTHROPIC_LIKE)
}

fn chat(args: serde_json::Value) -> Result<CompletionRequest, LlmError> {
    let args: ChatArgs = serde_json::from_value(args).unwrap();
    args.into_request(&config(&[]), &ANTHROPIC_LIKE)
}

#[test]
fn type_errors_are_bad_requests_naming_the_field() {
    let checked = |value| {
        serde_json::from_value::<Checked<CompleteArgs>>(value)
            .unwrap()
            .0
    };
    let err = checked(json!({"prompt": "hi", "max_tokens": "ten"})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(
        err.message
            .starts_with("invalid arguments: max_tokens: invalid type"),
        "{err}"
    );
    let err = checked(json!({"max_tokens": 5})).unwrap_err();
    assert!(err.message.contains("missing field `prompt`"), "{err}");
    let chat =
        serde_json::from_value::<Checked<ChatArgs>>(json!({"messages": [{"role": "robot"}]}));
    let err = chat.unwrap().0.unwrap_err();
    assert!(
        err.message
            .starts_with("invalid arguments: messages[0].role: unknown variant"),
        "{err}"
    );
}

#[test]
fn complete_resolves_aliases_and_defaults() {
    let request = complete(json!({"prompt": "hi", "model": "echo", "unknown": 1})).unwrap();
    assert_eq!(request.model, "mock-echo-1");
    assert_eq!(request.sampling.max_tokens, Some(50));
    assert_eq!(request.messages, vec![Message::user("hi")]);
}

#[test]
fn out_of_range_values_are_bad_requests() {
    for args in [
        json!({"prompt": "  "}),
        json!({"prompt": "hi", "temperature": 1.5}),
        json!({"prompt": "hi", "temperature": -0.1}),
        json!({"prompt": "hi", "top_p": 2}),
        json!({"prompt": "hi", "max_tokens": 0}),
        json!({"prompt": "x".repeat(MAX_TEXT_BYTES + 1)}),
    ] {
        let err = complete(args.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest, "{args}");
    }
}

#[test]
fn timeout_is_capped_by_the_server() {
    let config = config(&["--timeout", "30"]);
    let options = |secs: f64| CallOptions {
        cache_key: None,
        timeout_s: Some(secs),
        ..CallOptions::default()
    };
    assert_eq!(
        options(5.0).timeout(&config).unwrap(),
        Duration::from_secs(5)
    );
    assert_eq!(
        options(99.0).timeout(&config).unwrap(),
        Duration::from_secs(30)
    );
    assert!(options(0.0).timeout(&config).is_err());
    assert!(options(-1.0).timeout(&config).is_err());
}

#[test]
fn chat_checks_roles_tools_and_choice() {
    let tool = json!({"name": "get", "input_schema": {"type": "object"}});
    assert!(chat(json!({"messages": []})).is_err());
    assert!(chat(json!({"messages": [{"role": "tool", "content": "x"}]})).is_err());
    let unknown_choice = json!({"messages": [{"role": "user", "content": "x"}], "tools": [tool], "tool_choice": "other"});
    assert!(chat(unknown_choice).is_err());
    let bad_schema = json!({"messages": [{"role": "user", "content": "x"}], "tools": [{"name": "t", "input_schema": "no"}]});
    assert!(chat(bad_schema).is_err());
    let ok = chat(json!({"messages": [{"role": "user", "content": "x"}], "tools": [tool], "tool_choice": "get"})).unwrap();
    assert_eq!(ok.tool_choice, Some(ToolChoice::Tool("get".into())));
    assert_eq!(ok.tools.len(), 1);
}

#[test]
fn tool_definitions_and_stops_count_in_the_input_limit() {
    let big = "d".repeat(MAX_TEXT_BYTES / 2 + 1);
    let tool =
        |name: &str| json!({"name": name, "description": big, "input_schema": {"type": "object"}});
    let err = chat(json!({
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [tool("a"), tool("b")],
    }))
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("tools, stop sequences"), "{err}");
    let stops: Vec<String> = (0..65).map(|n| format!("s{n}")).collect();
    let err = complete(json!({"prompt": "hi", "stop": stops})).unwrap_err();
    assert!(err.message.contains("65 stop sequences"), "{err}");
}
