//! The neutral `reasoning` request as the Messages API's thinking controls, per the model's
//! catalog entry (already shaped by [`crate::shape::adapt`] to what the model accepts).
//!
//! References: *Thinking* (<https://platform.claude.com/docs/build-with-claude/thinking>):
//! `thinking: {"type": "adaptive"}` lets the model decide how much to think, steered by
//! `output_config: {"effort": ...}`; `thinking: {"type": "enabled", "budget_tokens": N}` is the
//! fixed budget of older models, counted inside `max_tokens`, which must exceed it;
//! `thinking: {"type": "disabled"}` turns thinking off "on models that accept that value";
//! `display: "summarized"` returns the thinking text where the model's default is `"omitted"`.
//! *What's new in Claude Sonnet 5.5*
//! (<https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5>): adaptive
//! thinking is on by default, `"disabled"` returns 400, and "text between tool calls comes back
//! in `thinking` blocks", which stay silent "until it sets a `display` value that returns the
//! text".
//!
//! | catalog `reasoning` | request | wire |
//! |---|---|---|
//! | any | effort none, or budget 0 | `thinking: {type: disabled}` when the entry says `disable_thinking: true`; otherwise nothing (the model's own default) |
//! | `adaptive` | an effort | `thinking: {type: adaptive}` and `output_config.effort` |
//! | `adaptive`, on by default | tools offered, or `include` | `thinking: {type: adaptive, display: summarized}`, so text between tool calls and the reasoning come back |
//! | `adaptive`, off by default | `include` only | nothing: asking to see reasoning does not turn it on |
//! | `budget` | a budget | `thinking: {type: enabled, budget_tokens}`, `max_tokens` raised above it |
//! | `effort` | an effort | `output_config.effort` |
//! | not in the catalog | a budget / an effort | as asked: `enabled` with the budget / `adaptive` with the effort |
//! | `none`, or no `reasoning` | | nothing |

use serde_json::{Value, json};

use crate::catalog::types::Reasoning as Controls;
use crate::completion::{CompletionRequest, Effort, Reasoning};

/// The thinking fields of one request body.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Thinking {
    /// The `thinking` object, when one is sent.
    pub(super) thinking: Option<Value>,
    /// `output_config.effort`, when one is sent.
    pub(super) effort: Option<&'static str>,
    /// `max_tokens`, above any thinking budget.
    pub(super) max_tokens: u32,
}

/// The thinking fields for `request`, whose output limit is `max_tokens` before thinking.
pub(super) fn fields(request: &CompletionRequest, max_tokens: u32) -> Thinking {
    let info = request.model_info.as_deref();
    let asked = request.reasoning.clone().unwrap_or_default();
    let mut out = Thinking {
        max_tokens,
        ..Thinking::default()
    };
    if asked.effort == Some(Effort::None) || asked.budget_tokens == Some(0) {
        if info.is_some_and(|m| m.params.disable_thinking == Some(true)) {
            out.thinking = Some(json!({"type": "disabled"}));
        }
        return out;
    }
    let effort = asked.effort.map(Effort::as_str);
    match info.and_then(|m| m.reasoning.as_ref()) {
        Some(Controls::Adaptive { on_by_default, .. }) => {
            let on_by_default = *on_by_default == Some(true);
            let show = on_by_default && (asked.include || !request.tools.is_empty())
                || effort.is_some() && asked.include;
            if effort.is_some() || show {
                out.thinking = Some(adaptive(show));
            }
            out.effort = effort;
        }
        Some(Controls::Budget { .. }) => budget(&asked, info.and_then(|m| m.max_output), &mut out),
        Some(Controls::Effort { .. }) => out.effort = effort,
        Some(Controls::None | Controls::OllamaThink { .. }) => {}
        None if asked.budget_tokens.is_some() => {
            budget(&asked, None, &mut out);
            out.effort = effort;
        }
        None => {
            if effort.is_some() {
                out.thinking = Some(adaptive(false));
            }
            out.effort = effort;
        }
    }
    out
}

/// Makes the output limit and the thinking budget of `request` the ones [`fields`] will send,
/// so that the record can say when they differ from what the caller asked: a budget at or above
/// `max_tokens` raises `max_tokens` (it counts thinking and answer together), and a budget the
/// model's maximum output cannot hold above it is lowered.
/// `default_limit` is the output limit sent when the request names none.
pub(super) fn adjust(request: &mut CompletionRequest, default_limit: u32) -> Vec<String> {
    let asked_limit = request.sampling.max_tokens;
    let limit = asked_limit.unwrap_or(default_limit);
    let sent = fields(request, limit);
    let mut warnings = Vec::new();
    let Some(budget) = sent
        .thinking
        .as_ref()
        .and_then(|thinking| thinking.get("budget_tokens"))
        .and_then(Value::as_u64)
        .and_then(|budget| u32::try_from(budget).ok())
    else {
        return warnings;
    };
    if sent.max_tokens != limit {
        request.sampling.max_tokens = Some(sent.max_tokens);
        // A default limit the caller never named rises without a word.
        if let Some(asked) = asked_limit {
            warnings.push(format!(
                "max_tokens raised from {asked} to {}: on {} it counts the thinking budget of \
                 {budget} tokens as well",
                sent.max_tokens, request.model
            ));
        }
    }
    if let Some(reasoning) = &mut request.reasoning
        && let Some(asked) = reasoning.budget_tokens
        && asked != budget
    {
        reasoning.budget_tokens = Some(budget);
        warnings.push(format!(
            "budget_tokens lowered from {asked} to {budget}: it must stay below max_tokens, \
             at most {} on {}",
            sent.max_tokens, request.model
        ));
    }
    warnings
}

fn adaptive(show: bool) -> Value {
    if show {
        json!({"type": "adaptive", "display": "summarized"})
    } else {
        json!({"type": "adaptive"})
    }
}

/// `enabled` with the budget. `max_tokens` counts thinking and answer together and must exceed
/// the budget, so a limit at or below it becomes budget plus the limit asked (the answer keeps
/// the room the caller gave it), within the model's maximum output when the catalog knows it.
fn budget(asked: &Reasoning, max_output: Option<u64>, out: &mut Thinking) {
    let Some(mut budget) = asked.budget_tokens.filter(|b| *b > 0) else {
        return;
    };
    if out.max_tokens <= budget {
        let most = max_output.map_or(u32::MAX, |m| u32::try_from(m).unwrap_or(u32::MAX));
        out.max_tokens = budget.saturating_add(out.max_tokens).min(most);
        if out.max_tokens <= budget {
            budget = out.max_tokens.saturating_sub(1).max(1);
        }
    }
    out.thinking = Some(json!({"type": "enabled", "budget_tokens": budget}));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::types::ModelEntry;
    use crate::completion::{Message, ToolSpec};
    use std::sync::Arc;

    fn entry(json: &str) -> Arc<ModelEntry> {
        Arc::new(serde_json::from_str(json).unwrap())
    }

    /// Sonnet 5.5 as the built-in catalog describes it.
    fn sonnet_5_5() -> Arc<ModelEntry> {
        let catalog = crate::catalog::Catalog::builtin();
        let found = catalog
            .lookup("anthropic", Some("api.anthropic.com"), "claude-sonnet-5-5")
            .expect("the default model is catalogued");
        Arc::new(found.entry.clone())
    }

    fn request(model: Option<Arc<ModelEntry>>, reasoning: Option<Reasoning>) -> CompletionRequest {
        CompletionRequest {
            model: "m".into(),
            messages: vec![Message::user("hi")],
            reasoning,
            model_info: model,
            ..CompletionRequest::default()
        }
    }

    fn asked(effort: Option<Effort>, budget: Option<u32>, include: bool) -> Option<Reasoning> {
        Some(Reasoning {
            effort,
            budget_tokens: budget,
            include,
        })
    }

    fn with_tools(mut request: CompletionRequest) -> CompletionRequest {
        request.tools = vec![ToolSpec {
            name: "get_weather".into(),
            description: None,
            input_schema: json!({"type": "object"}),
        }];
        request
    }

    #[test]
    fn an_effort_on_an_adaptive_model_is_adaptive_thinking_with_output_config_effort() {
        let sent = fields(
            &request(Some(sonnet_5_5()), asked(Some(Effort::Medium), None, false)),
            4096,
        );
        assert_eq!(sent.thinking, Some(json!({"type": "adaptive"})));
        assert_eq!(sent.effort, Some("medium"));
        assert_eq!(sent.max_tokens, 4096);
    }

    #[test]
    fn sonnet_5_5_with_tools_asks_for_the_thinking_text_back() {
        // Nothing asked: the model's default, except that the text between tool calls is shown.
        let plain = fields(&request(Some(sonnet_5_5()), None), 4096);
        assert_eq!(
            plain,
            Thinking {
                max_tokens: 4096,
                ..Thinking::default()
            }
        );
        let tools = fields(&with_tools(request(Some(sonnet_5_5()), None)), 4096);
        assert_eq!(
            tools.thinking,
            Some(json!({"type": "adaptive", "display": "summarized"}))
        );
        assert_eq!(tools.effort, None);
        let include = fields(&request(Some(sonnet_5_5()), asked(None, None, true)), 4096);
        assert_eq!(
            include.thinking,
            Some(json!({"type": "adaptive", "display": "summarized"}))
        );
    }

    #[test]
    fn disabled_is_sent_only_where_the_catalog_says_the_model_takes_it() {
        // Sonnet 5.5 answers `disabled` with 400; its entry says so.
        let sonnet = fields(
            &request(Some(sonnet_5_5()), asked(Some(Effort::None), None, false)),
            4096,
        );
        assert_eq!(sonnet.thinking, None);
        assert_eq!(sonnet.effort, None);
        let can = entry(
            r#"{"id": "claude-sonnet-4-6", "params": {"disable_thinking": true},
                "reasoning": {"kind": "adaptive", "levels": ["low", "medium", "high"]}}"#,
        );
        let off = fields(
            &request(Some(can.clone()), asked(Some(Effort::None), None, true)),
            4096,
        );
        assert_eq!(off.thinking, Some(json!({"type": "disabled"})));
        let zero = fields(&request(Some(can), asked(None, Some(0), false)), 4096);
        assert_eq!(zero.thinking, Some(json!({"type": "disabled"})));
        // Unknown to the catalog: not sent, the model's own default stays.
        let unknown = fields(&request(None, asked(Some(Effort::None), None, false)), 4096);
        assert_eq!(unknown.thinking, None);
    }

    #[test]
    fn a_budget_is_enabled_thinking_below_max_tokens() {
        let older = entry(
            r#"{"id": "claude-sonnet-4-5", "max_output": 64000,
                "reasoning": {"kind": "budget", "min": 1024}}"#,
        );
        let roomy = fields(
            &request(Some(older.clone()), asked(None, Some(2048), false)),
            8192,
        );
        assert_eq!(
            roomy.thinking,
            Some(json!({"type": "enabled", "budget_tokens": 2048}))
        );
        assert_eq!(roomy.max_tokens, 8192);
        // max_tokens 1024 with a 4096 budget: the answer keeps its 1024.
        let tight = fields(
            &request(Some(older.clone()), asked(None, Some(4096), false)),
            1024,
        );
        assert_eq!(tight.max_tokens, 4096 + 1024);
        assert!(tight.max_tokens > 4096);
        // Never above the model's maximum output; the budget gives way instead.
        let huge = fields(
            &request(Some(older), asked(None, Some(64000), false)),
            16384,
        );
        assert_eq!(huge.max_tokens, 64000);
        assert_eq!(
            huge.thinking,
            Some(json!({"type": "enabled", "budget_tokens": 63999}))
        );
    }

    #[test]
    fn adjust_says_when_max_tokens_rises_or_the_budget_falls() {
        let older = entry(
            r#"{"id": "claude-sonnet-4-5", "max_output": 64000,
                "reasoning": {"kind": "budget", "min": 1024}}"#,
        );
        let mut tight = request(Some(older.clone()), asked(None, Some(4096), false));
        tight.sampling.max_tokens = Some(1024);
        let warnings = adjust(&mut tight, 4096);
        assert_eq!(tight.sampling.max_tokens, Some(4096 + 1024));
        assert_eq!(
            warnings,
            [
                "max_tokens raised from 1024 to 5120: on m it counts the thinking budget of 4096 \
              tokens as well"
            ]
        );
        // What was adjusted is sent as it is now: nothing changes a second time.
        assert!(adjust(&mut tight, 4096).is_empty());
        assert_eq!(fields(&tight, 5120).max_tokens, 5120);

        let mut huge = request(Some(older.clone()), asked(None, Some(64000), false));
        huge.sampling.max_tokens = Some(16384);
        let warnings = adjust(&mut huge, 4096);
        assert_eq!(huge.reasoning.as_ref().unwrap().budget_tokens, Some(63999));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[1].starts_with("budget_tokens lowered from 64000 to 63999"));

        // The default limit rises without a warning; a roomy one does not change at all.
        let mut default = request(Some(older.clone()), asked(None, Some(20000), false));
        assert!(adjust(&mut default, 4096).is_empty());
        assert_eq!(
            default.sampling.max_tokens,
            Some(20000 + 4096),
            "m's default 4096 kept for the answer"
        );
        let mut roomy = request(Some(older), asked(None, Some(2048), false));
        roomy.sampling.max_tokens = Some(8192);
        assert!(adjust(&mut roomy, 4096).is_empty());
        assert_eq!(roomy.sampling.max_tokens, Some(8192));
    }

    #[test]
    fn an_uncatalogued_model_gets_the_control_as_asked() {
        let budget = fields(&request(None, asked(None, Some(3000), false)), 16384);
        assert_eq!(
            budget.thinking,
            Some(json!({"type": "enabled", "budget_tokens": 3000}))
        );
        let effort = fields(
            &request(None, asked(Some(Effort::High), None, false)),
            16384,
        );
        assert_eq!(effort.thinking, Some(json!({"type": "adaptive"})));
        assert_eq!(effort.effort, Some("high"));
        assert_eq!(fields(&request(None, None), 100).thinking, None);
    }

    #[test]
    fn an_adaptive_model_off_by_default_is_not_turned_on_by_include_alone() {
        let off = entry(r#"{"id": "claude-opus-4-6", "reasoning": {"kind": "adaptive"}}"#);
        let sent = fields(&request(Some(off.clone()), asked(None, None, true)), 4096);
        assert_eq!(sent.thinking, None);
        let high = fields(
            &request(Some(off), asked(Some(Effort::High), None, true)),
            4096,
        );
        assert_eq!(
            high.thinking,
            Some(json!({"type": "adaptive", "display": "summarized"}))
        );
        assert_eq!(high.effort, Some("high"));
    }

    /// The request for built-in catalog model `id` with `reasoning`, shaped by the catalog as
    /// the server shapes it, then the thinking fields sent and the warnings.
    fn shaped(id: &str, reasoning: Option<Reasoning>) -> (Thinking, Vec<String>) {
        let catalog = crate::catalog::Catalog::builtin();
        let entry = Arc::new(
            catalog
                .lookup("anthropic", Some("api.anthropic.com"), id)
                .unwrap()
                .entry
                .clone(),
        );
        let mut req = request(Some(entry.clone()), reasoning);
        req.model = id.into();
        let warnings = crate::shape::adapt::adapt(&mut req, &entry).unwrap();
        (fields(&req, 4096), warnings)
    }

    #[test]
    fn through_the_catalog_each_effort_reaches_sonnet_5_5_as_a_level_it_has() {
        let (high, said) = shaped("claude-sonnet-5-5", asked(Some(Effort::High), None, false));
        assert_eq!(
            (high.thinking, high.effort),
            (Some(json!({"type": "adaptive"})), Some("high"))
        );
        assert!(said.is_empty(), "{said:?}");
        // It cannot turn thinking off: none is its lowest level, and the record says so.
        let (none, said) = shaped("claude-sonnet-5-5", asked(Some(Effort::None), None, false));
        assert_eq!(none.effort, Some("low"));
        assert_ne!(none.thinking, Some(json!({"type": "disabled"})));
        assert!(
            said[0].starts_with("effort none is not available"),
            "{said:?}"
        );
        // A budget it does not take becomes an effort.
        let (budget, said) = shaped("claude-sonnet-5-5", asked(None, Some(2000), false));
        assert_eq!(budget.effort, Some("medium"));
        assert_eq!(budget.thinking, Some(json!({"type": "adaptive"})));
        assert!(
            said[0].contains("budget_tokens 2000 sent as effort medium"),
            "{said:?}"
        );
    }

    #[test]
    fn through_the_catalog_none_turns_sonnet_4_6_thinking_off() {
        let (none, said) = shaped("claude-sonnet-4-6", asked(Some(Effort::None), None, false));
        assert_eq!(none.thinking, Some(json!({"type": "disabled"})));
        assert!(said.is_empty(), "{said:?}");
        let (max, said) = shaped("claude-sonnet-4-6", asked(Some(Effort::Max), None, false));
        assert_eq!(max.effort, Some("high"), "max is Opus 4.6's alone");
        assert!(said[0].contains("effort max sent as high"), "{said:?}");
    }
}
