//! One test per row of the adaptation table, on catalog entries written as the data files
//! write them.

use super::*;
use crate::completion::{Message, Sampling, ToolSpec};

fn entry(json: &str) -> ModelEntry {
    serde_json::from_str(json).unwrap()
}

/// Sonnet 5.5 as the Anthropic catalog file describes it.
fn sonnet() -> ModelEntry {
    entry(
        r#"{"id": "claude-sonnet-5-5", "max_output": 64000, "token_limit_field": "max_tokens",
            "params": {"temperature": false, "top_p": false, "temperature_with_top_p": false,
                       "forced_tool_choice": false, "assistant_prefill": false,
                       "disable_thinking": false},
            "reasoning": {"kind": "adaptive", "on_by_default": true}}"#,
    )
}

/// A GPT-6-like reasoning model with effort levels and no stop.
fn reasoner() -> ModelEntry {
    entry(
        r#"{"id": "gpt-6-astra", "token_limit_field": "max_completion_tokens",
            "params": {"temperature": false, "top_p": false, "stop": false},
            "reasoning": {"kind": "effort", "levels": ["low", "medium", "high", "xhigh", "max"]}}"#,
    )
}

fn request(model: &str) -> CompletionRequest {
    CompletionRequest {
        model: model.into(),
        messages: vec![Message::user("hi")],
        ..CompletionRequest::default()
    }
}

fn tool(name: &str) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: None,
        input_schema: serde_json::json!({"type": "object"}),
    }
}

#[test]
fn sampling_the_model_refuses_is_dropped_with_a_warning_each() {
    let mut asked = CompletionRequest {
        sampling: Sampling {
            temperature: Some(0.2),
            top_p: Some(0.9),
            ..Sampling::default()
        },
        ..request("claude-sonnet-5-5")
    };
    let warnings = adapt(&mut asked, &sonnet()).unwrap();
    assert_eq!(asked.sampling.temperature, None);
    assert_eq!(asked.sampling.top_p, None);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("temperature 0.2 dropped: claude-sonnet-5-5"));
}

#[test]
fn temperature_and_top_p_together_keep_temperature() {
    let model =
        entry(r#"{"id": "claude-sonnet-4-5", "params": {"temperature_with_top_p": false}}"#);
    let mut asked = CompletionRequest {
        sampling: Sampling {
            temperature: Some(0.2),
            top_p: Some(0.9),
            ..Sampling::default()
        },
        ..request("claude-sonnet-4-5")
    };
    let warnings = adapt(&mut asked, &model).unwrap();
    assert_eq!(asked.sampling.temperature, Some(0.2));
    assert_eq!(asked.sampling.top_p, None);
    assert!(warnings[0].contains("together"), "{warnings:?}");
    // One of the two alone goes as asked.
    let mut alone = CompletionRequest {
        sampling: Sampling {
            top_p: Some(0.9),
            ..Sampling::default()
        },
        ..request("claude-sonnet-4-5")
    };
    assert!(adapt(&mut alone, &model).unwrap().is_empty());
    assert_eq!(alone.sampling.top_p, Some(0.9));
}

#[test]
fn stop_on_a_model_without_it_is_applied_locally() {
    let mut asked = CompletionRequest {
        sampling: Sampling {
            stop: vec!["END".into()],
            ..Sampling::default()
        },
        ..request("gpt-6-astra")
    };
    let warnings = adapt(&mut asked, &reasoner()).unwrap();
    assert!(asked.sampling.stop.is_empty());
    assert_eq!(asked.local_stop, vec!["END".to_string()]);
    assert!(
        warnings[0].starts_with("stop applied by llm-mcp"),
        "{warnings:?}"
    );
}

#[test]
fn a_forced_tool_choice_becomes_auto_with_the_named_tool_alone_and_an_instruction() {
    let mut asked = CompletionRequest {
        tools: vec![tool("lookup"), tool("other")],
        tool_choice: Some(ToolChoice::Tool("lookup".into())),
        system: Some("Be brief.".into()),
        ..request("claude-sonnet-5-5")
    };
    let warnings = adapt(&mut asked, &sonnet()).unwrap();
    assert_eq!(asked.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(asked.tools.len(), 1);
    assert_eq!(asked.tools[0].name, "lookup");
    assert_eq!(
        asked.system.as_deref(),
        Some("Be brief.\n\nYou must answer by calling the tool lookup.")
    );
    assert!(warnings[0].starts_with("tool_choice sent as auto"));

    let mut required = CompletionRequest {
        tools: vec![tool("lookup"), tool("other")],
        tool_choice: Some(ToolChoice::Required),
        ..request("claude-sonnet-5-5")
    };
    adapt(&mut required, &sonnet()).unwrap();
    assert_eq!(required.tools.len(), 2);
    assert!(
        required
            .system
            .unwrap()
            .contains("one of the provided tools")
    );
}

#[test]
fn an_assistant_prefill_is_refused_naming_the_model() {
    let mut asked = request("claude-sonnet-5-5");
    asked.messages.push(Message {
        role: Role::Assistant,
        content: "The answer is".into(),
        ..Message::default()
    });
    let err = adapt(&mut asked, &sonnet()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("claude-sonnet-5-5"), "{}", err.message);
    assert!(err.message.contains("prefill"));
}

#[test]
fn max_tokens_above_the_models_output_is_lowered() {
    let mut asked = CompletionRequest {
        sampling: Sampling {
            max_tokens: Some(100_000),
            ..Sampling::default()
        },
        ..request("claude-sonnet-5-5")
    };
    let warnings = adapt(&mut asked, &sonnet()).unwrap();
    assert_eq!(asked.sampling.max_tokens, Some(64_000));
    assert!(warnings[0].contains("64000"));
    assert_eq!(
        asked.token_limit_field,
        Some(crate::catalog::types::TokenLimitField::MaxTokens)
    );
}

fn with_reasoning(model: &str, effort: Option<Effort>, budget: Option<u32>) -> CompletionRequest {
    CompletionRequest {
        reasoning: Some(Reasoning {
            effort,
            budget_tokens: budget,
            include: true,
        }),
        ..request(model)
    }
}

#[test]
fn reasoning_on_a_model_that_does_not_reason_is_dropped() {
    let model = entry(r#"{"id": "llama3.2", "reasoning": {"kind": "none"}}"#);
    let mut asked = with_reasoning("llama3.2", Some(Effort::High), None);
    let warnings = adapt(&mut asked, &model).unwrap();
    assert_eq!(asked.reasoning.as_ref().unwrap().effort, None);
    assert!(asked.reasoning.unwrap().include);
    assert!(warnings[0].contains("does not reason"));
}

#[test]
fn effort_none_on_a_model_that_always_reasons_is_its_lowest_level() {
    let mut asked = with_reasoning("gpt-6-astra", Some(Effort::None), None);
    let warnings = adapt(&mut asked, &reasoner()).unwrap();
    assert_eq!(asked.reasoning.unwrap().effort, Some(Effort::Low));
    assert!(
        warnings[0].starts_with("effort none is not available"),
        "{warnings:?}"
    );
}

#[test]
fn a_missing_effort_level_becomes_the_nearest_one() {
    let mut asked = with_reasoning("gpt-6-astra", Some(Effort::Minimal), None);
    let warnings = adapt(&mut asked, &reasoner()).unwrap();
    assert_eq!(asked.reasoning.unwrap().effort, Some(Effort::Low));
    assert!(
        warnings[0].contains("effort minimal sent as low"),
        "{warnings:?}"
    );
    // A level the model has goes as asked, without a warning.
    let mut exact = with_reasoning("gpt-6-astra", Some(Effort::Max), None);
    assert!(adapt(&mut exact, &reasoner()).unwrap().is_empty());
    assert_eq!(exact.reasoning.unwrap().effort, Some(Effort::Max));
}

#[test]
fn a_budget_on_an_effort_model_becomes_an_effort() {
    let mut asked = with_reasoning("gpt-6-astra", None, Some(6000));
    let warnings = adapt(&mut asked, &reasoner()).unwrap();
    let reasoning = asked.reasoning.unwrap();
    assert_eq!(reasoning.effort, Some(Effort::Medium));
    assert_eq!(reasoning.budget_tokens, None);
    assert!(warnings[0].contains("budget_tokens 6000 sent as effort medium"));
}

#[test]
fn an_effort_on_a_budget_model_becomes_a_budget_in_range() {
    let model = entry(
        r#"{"id": "gemini-2.5-flash", "reasoning": {"kind": "budget", "min": 0, "max": 24576}}"#,
    );
    let mut asked = with_reasoning("gemini-2.5-flash", Some(Effort::High), None);
    let warnings = adapt(&mut asked, &model).unwrap();
    assert_eq!(asked.reasoning.unwrap().budget_tokens, Some(16384));
    assert!(warnings[0].contains("thinking budget of 16384"));
    let mut none = with_reasoning("gemini-2.5-flash", Some(Effort::None), None);
    adapt(&mut none, &model).unwrap();
    assert_eq!(none.reasoning.unwrap().budget_tokens, Some(0));
}

#[test]
fn a_budget_outside_the_range_is_clamped() {
    let model = entry(
        r#"{"id": "gemini-2.5-pro", "reasoning": {"kind": "budget", "min": 128, "max": 32768}}"#,
    );
    let mut asked = with_reasoning("gemini-2.5-pro", None, Some(50));
    let warnings = adapt(&mut asked, &model).unwrap();
    assert_eq!(asked.reasoning.unwrap().budget_tokens, Some(128));
    assert!(warnings[0].contains("from 128 to 32768"), "{warnings:?}");
}

#[test]
fn adaptive_thinking_without_levels_takes_no_budget_and_cannot_be_turned_off() {
    let mut asked = with_reasoning("claude-sonnet-5-5", Some(Effort::None), Some(2000));
    let warnings = adapt(&mut asked, &sonnet()).unwrap();
    let reasoning = asked.reasoning.unwrap();
    assert_eq!((reasoning.effort, reasoning.budget_tokens), (None, None));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[1].contains("cannot turn thinking off"));
}

#[test]
fn a_request_the_model_takes_as_it_is_goes_unchanged() {
    let mut asked = CompletionRequest {
        sampling: Sampling {
            max_tokens: Some(100),
            ..Sampling::default()
        },
        ..with_reasoning("gpt-6-astra", Some(Effort::High), None)
    };
    let before = asked.clone();
    assert!(adapt(&mut asked, &reasoner()).unwrap().is_empty());
    assert_eq!(
        CompletionRequest {
            token_limit_field: None,
            ..asked
        },
        before
    );
}

fn with_part(model: &str, part: serde_json::Value) -> CompletionRequest {
    let message: Message = serde_json::from_value(serde_json::json!({
        "role": "user", "content": [part, {"type": "text", "text": "What is it?"}]
    }))
    .unwrap();
    CompletionRequest {
        messages: vec![message],
        ..request(model)
    }
}

#[test]
fn a_part_the_model_cannot_take_is_refused_naming_its_inputs() {
    let vision = entry(r#"{"id": "v", "input": ["text", "image"]}"#);
    let image = serde_json::json!({"type": "image", "url": "https://example.com/a.png"});
    let pdf = serde_json::json!({"type": "document", "url": "https://example.com/a.pdf"});
    assert!(adapt(&mut with_part("v", image.clone()), &vision).is_ok());
    let err = adapt(&mut with_part("v", pdf.clone()), &vision).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(
        err.message
            .contains("v does not take PDF input (its catalog input: text, image)"),
        "{err}"
    );
    let text_only = entry(r#"{"id": "t", "input": ["text"]}"#);
    let err = adapt(&mut with_part("t", image.clone()), &text_only).unwrap_err();
    assert!(err.message.contains("does not take image input"), "{err}");
    // A model whose inputs the catalog does not list is sent as asked.
    assert!(adapt(&mut with_part("u", pdf), &entry(r#"{"id": "u"}"#)).is_ok());
}
