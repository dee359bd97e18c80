//! Reasoning controls and thought signatures.

use super::*;

fn reasoning(effort: Option<Effort>, budget: Option<u32>, include: bool) -> Option<Reasoning> {
    Some(Reasoning {
        effort,
        budget_tokens: budget,
        include,
    })
}

fn thinking(req: &CompletionRequest) -> Value {
    generate_body(req)["generationConfig"]["thinkingConfig"].clone()
}

// https://ai.google.dev/gemini-api/docs/thinking: thinkingLevel for Gemini 3, thinkingBudget
// for 2.5 (0 turns thinking off), includeThoughts for thought summaries.
#[test]
fn reasoning_is_a_thinking_level_a_budget_or_off() {
    let mut req = request(vec![Message::user("hi")]);
    req.model = "gemini-flash-latest".into();
    req.reasoning = reasoning(Some(Effort::Low), None, true);
    assert_eq!(
        thinking(&req),
        json!({"thinkingLevel": "LOW", "includeThoughts": true})
    );
    req.reasoning = reasoning(Some(Effort::Max), None, false);
    assert_eq!(thinking(&req), json!({"thinkingLevel": "HIGH"}));
    req.reasoning = reasoning(Some(Effort::Minimal), None, false);
    assert_eq!(thinking(&req), json!({"thinkingLevel": "MINIMAL"}));
    req.reasoning = reasoning(None, Some(2048), false);
    assert_eq!(thinking(&req), json!({"thinkingBudget": 2048}));
    req.reasoning = reasoning(Some(Effort::None), None, false);
    assert_eq!(thinking(&req), json!({"thinkingBudget": 0}));
    req.reasoning = reasoning(None, None, false);
    assert!(generate_body(&req).get("generationConfig").is_none());
    // A model the catalog says does not reason gets no thinking config, even for include.
    let mut plain = (*Catalog::builtin()
        .lookup("gemini", None, "gemini-3-flash-preview")
        .unwrap()
        .entry)
        .clone();
    plain.reasoning = Some(Controls::None);
    req.model_info = Some(Arc::new(plain));
    req.reasoning = reasoning(None, None, true);
    assert!(generate_body(&req).get("generationConfig").is_none());
}

/// The request after the server's catalog adaptation for `model`, and its warnings.
fn adapted(model: &str, asked: Option<Reasoning>) -> (CompletionRequest, Vec<String>) {
    let entry = Catalog::builtin()
        .lookup("gemini", None, model)
        .unwrap()
        .entry
        .clone();
    let mut req = request(vec![Message::user("hi")]);
    req.model = model.into();
    req.reasoning = asked;
    let warnings = crate::shape::adapt::adapt(&mut req, &entry).unwrap();
    req.model_info = Some(Arc::new(entry));
    (req, warnings)
}

#[test]
fn the_catalog_turns_an_effort_into_a_budget_for_2_5_and_a_budget_into_a_level_for_3() {
    let (req, warnings) = adapted(
        "gemini-2.5-flash",
        reasoning(Some(Effort::Medium), None, true),
    );
    assert_eq!(
        thinking(&req),
        json!({"thinkingBudget": 8192, "includeThoughts": true})
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let (req, _) = adapted(
        "gemini-2.5-flash",
        reasoning(Some(Effort::None), None, false),
    );
    assert_eq!(thinking(&req), json!({"thinkingBudget": 0}));
    // 2.5 Pro cannot turn thinking off: its smallest budget is 128.
    let (req, _) = adapted("gemini-2.5-pro", reasoning(None, Some(16), false));
    assert_eq!(thinking(&req), json!({"thinkingBudget": 128}));
    let (req, warnings) = adapted(
        "gemini-3-flash-preview",
        reasoning(None, Some(20000), false),
    );
    assert_eq!(thinking(&req), json!({"thinkingLevel": "HIGH"}));
    assert!(warnings[0].contains("budget_tokens 20000"), "{warnings:?}");
    let (req, _) = adapted(
        "gemini-3-pro-preview",
        reasoning(Some(Effort::Medium), None, false),
    );
    assert_eq!(thinking(&req), json!({"thinkingLevel": "LOW"}));
}

// The shapes of https://ai.google.dev/gemini-api/docs/thought-signatures: a thought summary,
// then parallel calls whose first part alone carries the signature.
const SIGNED_CALLS: &[u8] = br#"{
  "candidates": [{
    "content": {"role": "model", "parts": [
      {"text": "**Checking both cities** I need the weather in Paris and London.", "thought": true},
      {"functionCall": {"name": "get_current_temperature", "args": {"location": "Paris"}},
       "thoughtSignature": "CiQB0e2Kb5qU5Xo2i9pC"},
      {"functionCall": {"name": "get_current_temperature", "args": {"location": "London"}}}
    ]},
    "finishReason": "STOP", "index": 0
  }],
  "usageMetadata": {"promptTokenCount": 71, "candidatesTokenCount": 30, "thoughtsTokenCount": 112,
    "totalTokenCount": 213},
  "modelVersion": "gemini-3.8-flash"
}"#;

#[test]
fn thoughts_are_reasoning_and_signed_parts_are_kept_as_sent() {
    let done = parse_generate(SIGNED_CALLS).unwrap();
    assert_eq!(done.output, "");
    assert_eq!(
        done.reasoning.as_deref(),
        Some("**Checking both cities** I need the weather in Paris and London.")
    );
    assert_eq!(done.usage.reasoning_tokens, Some(112));
    assert_eq!(done.usage.output_tokens, Some(142));
    assert_eq!(done.tool_calls.len(), 2);
    let state = done.provider_state.clone().unwrap();
    assert_eq!(state.format, "gemini");
    assert_eq!(state.model, "gemini-3.8-flash");
    // The unsigned summary is left out; the calls are exactly as sent.
    assert_eq!(
        state.parts,
        vec![
            json!({"functionCall": {"name": "get_current_temperature", "args": {"location": "Paris"}},
                   "thoughtSignature": "CiQB0e2Kb5qU5Xo2i9pC"}),
            json!({"functionCall": {"name": "get_current_temperature", "args": {"location": "London"}}}),
        ]
    );
    // Replayed, the turn is exactly those parts: no dummy on the model's own calls.
    let turn = model_turn(&done.message());
    assert_eq!(turn, json!({"role": "model", "parts": state.parts}));
    assert!(!turn.to_string().contains(SKIP_SIGNATURE));
    // An answer without any signature (Gemini 2.x) carries no state.
    let unsigned =
        br#"{"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]}"#;
    assert_eq!(parse_generate(unsigned).unwrap().provider_state, None);
}

#[test]
fn calls_without_a_signature_of_their_own_get_the_documented_dummy() {
    let done = parse_generate(SIGNED_CALLS).unwrap();
    let mut foreign = done.message();
    foreign.provider_state.as_mut().unwrap().format = "anthropic".into();
    let turn = model_turn(&foreign);
    assert_eq!(turn["parts"].as_array().unwrap().len(), 2);
    for part in turn["parts"].as_array().unwrap() {
        assert_eq!(part["thoughtSignature"], json!(SKIP_SIGNATURE), "{turn}");
    }
    foreign.provider_state = None;
    assert_eq!(model_turn(&foreign), turn);
}

#[test]
fn a_signed_text_answer_streamed_ends_as_the_whole_one() {
    let whole = br#"{"candidates": [{"content": {"role": "model", "parts": [
        {"text": "It is 18 C in Paris.", "thoughtSignature": "EoYBCoMBAb4+9vs"}]},
        "finishReason": "STOP"}], "modelVersion": "gemini-3.8-flash"}"#;
    let whole = parse_generate(whole).unwrap();
    let chunk = |parts: Value, finish: Option<&str>| {
        let mut candidate = json!({"content": {"role": "model", "parts": parts}});
        if let Some(reason) = finish {
            candidate["finishReason"] = json!(reason);
        }
        json!({"candidates": [candidate], "modelVersion": "gemini-3.8-flash"}).to_string()
    };
    // Streamed, the signature comes on a last part with empty text.
    let mut state = StreamState::default();
    for data in [
        chunk(json!([{"text": "It is 18 C "}]), None),
        chunk(json!([{"text": "in Paris."}]), None),
        chunk(
            json!([{"text": "", "thoughtSignature": "EoYBCoMBAb4+9vs"}]),
            Some("STOP"),
        ),
    ] {
        provider()
            .stream_event(&mut state, "message", &data)
            .unwrap();
    }
    provider().stream_end(&mut state);
    assert_eq!(state.finish("gemini-3.8-flash").unwrap(), whole);
    assert_eq!(
        whole.provider_state.unwrap().parts,
        vec![json!({"text": "It is 18 C in Paris.", "thoughtSignature": "EoYBCoMBAb4+9vs"})]
    );
}

#[test]
fn an_empty_answer_that_did_not_stop_is_an_error_of_its_kind() {
    // The chunk pydantic-ai#3095 quotes: a MALFORMED_FUNCTION_CALL with no content.
    let malformed = br#"{"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}],
        "usageMetadata": {"promptTokenCount": 2595, "totalTokenCount": 2595}}"#;
    let err = parse_generate(malformed).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
    assert_eq!(err.code.as_deref(), Some("MALFORMED_FUNCTION_CALL"));
    assert!(err.retryable);
    assert!(err.message.contains("not valid"), "{}", err.message);
    for (reason, kind) in [
        ("UNEXPECTED_TOOL_CALL", ErrorKind::Upstream),
        ("OTHER", ErrorKind::Upstream),
        ("MISSING_THOUGHT_SIGNATURE", ErrorKind::BadRequest),
        ("LANGUAGE", ErrorKind::BadRequest),
        ("IMAGE_PROHIBITED_CONTENT", ErrorKind::ContentFilter),
        ("IMAGE_RECITATION", ErrorKind::ContentFilter),
        ("IMAGE_OTHER", ErrorKind::ContentFilter),
    ] {
        let body = json!({"candidates": [{"finishReason": reason}]}).to_string();
        let err = parse_generate(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind, kind, "{reason}");
        assert_eq!(err.code.as_deref(), Some(reason));
    }
    // Text before the malformed call is kept: the caller gets what there is.
    let partial = br#"{"candidates": [{"content": {"parts": [{"text": "Let me look."}]},
        "finishReason": "MALFORMED_FUNCTION_CALL"}]}"#;
    let done = parse_generate(partial).unwrap();
    assert_eq!(done.output, "Let me look.");
    assert_eq!(done.finish_reason, FinishReason::Other);
    // A stream that ends that way fails the same way.
    let mut state = StreamState::default();
    let err = provider()
        .stream_event(
            &mut state,
            "message",
            std::str::from_utf8(malformed).unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Upstream);
}
