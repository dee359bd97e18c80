//! Automatic prompt caching on the Messages API
//! (<https://platform.claude.com/docs/en/build-with-claude/prompt-caching>): `cache_control:
//! {type: "ephemeral"}` breakpoints on the system prompt, the last tool definition and the
//! last block of the latest turn, so a repeated prefix is read from the cache (billed at the
//! cache-read rate) instead of processed again. Three of the four breakpoints a request may
//! carry are used.
//!
//! A prefix shorter than the model's minimum cacheable length caches nothing (and is not an
//! error), so the breakpoints are only placed when the prefix is over it: the catalog's
//! `min_cache_tokens`, or [`UNKNOWN_MIN_TOKENS`], the largest minimum the page lists, for a
//! model it does not know. Tokens are estimated as bytes / 4, which undercounts rather than
//! overcounts for prose.

use serde_json::{Map, Value, json};

use crate::completion::CompletionRequest;

/// The minimum assumed for a model without a catalog `min_cache_tokens`: the largest on the
/// prompt-caching page (4096, Opus 4.5 and 4.6, Haiku 4.5).
pub(super) const UNKNOWN_MIN_TOKENS: u64 = 4096;

/// The breakpoint marker.
fn ephemeral() -> Value {
    json!({"type": "ephemeral"})
}

/// The estimated tokens of the cacheable prefix: system, tools and turns as sent.
fn estimated_tokens(body: &Map<String, Value>) -> u64 {
    let bytes: usize = ["system", "tools", "messages"]
        .iter()
        .filter_map(|field| body.get(*field))
        .map(|value| value.to_string().len())
        .sum();
    bytes as u64 / 4
}

/// Places the breakpoints in `body` when caching is on and the prefix is long enough.
pub(super) fn apply(body: &mut Map<String, Value>, request: &CompletionRequest) {
    if request.cache_key.is_none() {
        return;
    }
    let minimum = request
        .model_info
        .as_ref()
        .and_then(|entry| entry.min_cache_tokens)
        .unwrap_or(UNKNOWN_MIN_TOKENS);
    if estimated_tokens(body) < minimum {
        return;
    }
    if let Some(Value::String(system)) = body.get("system") {
        let block = json!([{"type": "text", "text": system, "cache_control": ephemeral()}]);
        body.insert("system".into(), block);
    }
    if let Some(Value::Object(tool)) = body
        .get_mut("tools")
        .and_then(Value::as_array_mut)
        .and_then(|tools| tools.last_mut())
    {
        tool.insert("cache_control".into(), ephemeral());
    }
    if let Some(Value::Object(turn)) = body
        .get_mut("messages")
        .and_then(Value::as_array_mut)
        .and_then(|turns| turns.last_mut())
    {
        mark_last_block(turn);
    }
}

/// Marks the last content block of `turn`, turning string content into one text block.
fn mark_last_block(turn: &mut Map<String, Value>) {
    match turn.get_mut("content") {
        Some(Value::String(text)) if !text.is_empty() => {
            let block = json!([{"type": "text", "text": text, "cache_control": ephemeral()}]);
            turn.insert("content".into(), block);
        }
        Some(Value::Array(blocks)) => {
            // Thinking blocks cannot carry a breakpoint; the last other block can.
            if let Some(Value::Object(block)) = blocks.iter_mut().rev().find(|block| {
                !matches!(
                    block["type"].as_str(),
                    Some("thinking" | "redacted_thinking")
                )
            }) {
                block.insert("cache_control".into(), ephemeral());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::types::ModelEntry;
    use crate::completion::{Message, ToolSpec};

    fn request(system: &str, min: Option<u64>) -> CompletionRequest {
        let mut entry: ModelEntry = serde_json::from_value(json!({"id": "m"})).unwrap();
        entry.min_cache_tokens = min;
        let tool = |name: &str| ToolSpec {
            name: name.into(),
            description: None,
            input_schema: json!({"type": "object"}),
        };
        CompletionRequest {
            model: "m".into(),
            system: Some(system.into()),
            messages: vec![Message::user("Summarize it.")],
            tools: vec![tool("a"), tool("b")],
            model_info: Some(Arc::new(entry)),
            cache_key: Some("claude".into()),
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn a_long_prefix_gets_breakpoints_on_system_last_tool_and_latest_turn() {
        let system = "rules ".repeat(1000); // 6000 bytes: about 1500 tokens
        let body = super::super::request::body(&request(&system, Some(1024)));
        assert_eq!(
            body["system"],
            json!([{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(body["tools"][0].get("cache_control"), None);
        assert_eq!(
            body["tools"][1]["cache_control"],
            json!({"type": "ephemeral"})
        );
        assert_eq!(
            body["messages"][0]["content"],
            json!([{"type": "text", "text": "Summarize it.",
                    "cache_control": {"type": "ephemeral"}}])
        );
    }

    #[test]
    fn a_short_prefix_or_caching_off_gets_none() {
        let system = "rules ".repeat(1000);
        // Under the model's minimum, and under the unknown-model minimum.
        for min in [Some(2048), None] {
            let body = super::super::request::body(&request(&system, min));
            assert_eq!(body["system"], json!(system), "{min:?}");
            assert!(!body.to_string().contains("cache_control"), "{min:?}");
        }
        let mut off = request(&"rules ".repeat(5000), Some(1024));
        off.cache_key = None;
        let body = super::super::request::body(&off);
        assert!(!body.to_string().contains("cache_control"));
    }

    #[test]
    fn thinking_blocks_are_never_marked() {
        let mut turn = json!({"role": "assistant", "content": [
            {"type": "text", "text": "ok"},
            {"type": "thinking", "thinking": "...", "signature": "s"}]});
        mark_last_block(turn.as_object_mut().unwrap());
        assert_eq!(
            turn["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
        assert_eq!(turn["content"][1].get("cache_control"), None);
    }
}
