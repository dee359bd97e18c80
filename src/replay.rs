//! Provider state on replay: an assistant turn's opaque state (thinking blocks, thought
//! signatures, reasoning items) is valid only for the wire format and model that made it.
//! Anthropic says so of thinking blocks ("thinking blocks ... must come back with it" to the
//! same model, <https://platform.claude.com/docs/build-with-claude/thinking-tool-workflows>),
//! and Gemini's signatures are the model's own. So a conversation replayed to another model or
//! provider (after a fallback or a tier change) is sent without it, with a warning, instead of
//! failing the call.

use crate::completion::{CompletionRequest, Role};

/// Leaves out of `request` the provider state that `format` cannot replay to the request's
/// model, returning one warning when anything was left out.
pub fn keep_own_state(request: &mut CompletionRequest, format: &str) -> Option<String> {
    let model = request.model.clone();
    let mut dropped = 0usize;
    for message in request
        .messages
        .iter_mut()
        .filter(|m| m.role == Role::Assistant)
    {
        let foreign = message
            .provider_state
            .as_ref()
            .is_some_and(|state| state.format != format || !same_model(&state.model, &model));
        if foreign {
            message.provider_state = None;
            dropped += 1;
        }
    }
    (dropped > 0).then(|| {
        format!(
            "provider state of {dropped} assistant turn(s) left out: it was made by another \
             model or provider and {model} cannot read it (the turns' text and tool calls were sent)"
        )
    })
}

/// Whether a state made by `made_by` (as the provider named the model in its answer) can go to
/// `model` (as the request names it): the same id, or `model` asked for a dated snapshot's
/// undated name (`claude-sonnet-4-5` answered as `claude-sonnet-4-5-20250929`).
fn same_model(made_by: &str, model: &str) -> bool {
    made_by == model || crate::catalog::lookup::names_model(made_by, model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Message, ProviderState};
    use serde_json::json;

    fn turn(format: &str, model: &str) -> Message {
        Message {
            role: Role::Assistant,
            content: "thinking done".into(),
            provider_state: Some(ProviderState {
                format: format.into(),
                model: model.into(),
                parts: vec![json!({"type": "thinking", "thinking": "", "signature": "sig"})],
            }),
            ..Message::default()
        }
    }

    fn request(model: &str, messages: Vec<Message>) -> CompletionRequest {
        CompletionRequest {
            model: model.into(),
            messages,
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn state_goes_back_to_the_model_that_made_it_and_its_snapshots() {
        let mut same = request(
            "claude-sonnet-4-5",
            vec![
                Message::user("a"),
                turn("anthropic", "claude-sonnet-4-5-20250929"),
            ],
        );
        assert_eq!(keep_own_state(&mut same, "anthropic"), None);
        assert!(same.messages[1].provider_state.is_some());
    }

    #[test]
    fn state_of_another_model_or_format_is_left_out_with_a_warning() {
        let mut other_model = request(
            "claude-haiku-5-5",
            vec![Message::user("a"), turn("anthropic", "claude-sonnet-5-5")],
        );
        let warning = keep_own_state(&mut other_model, "anthropic").unwrap();
        assert!(warning.contains("claude-haiku-5-5"), "{warning}");
        assert!(other_model.messages[1].provider_state.is_none());
        assert_eq!(other_model.messages[1].content, "thinking done");

        let mut other_format = request(
            "gemini-3-pro",
            vec![turn("anthropic", "gemini-3-pro"), Message::user("b")],
        );
        assert!(keep_own_state(&mut other_format, "gemini").is_some());
        assert!(other_format.messages[0].provider_state.is_none());
    }
}
