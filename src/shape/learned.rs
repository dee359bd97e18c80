//! What a model refused, learned from the provider's own 400s, for models the catalog does not
//! know (or knows wrongly): the request is sent again once without the parameter, and the
//! parameter stays off for that model for the life of the process, each time with a warning.
//!
//! The refusals recognised, one row per documented message:
//!
//! | provider says | parameter | reference |
//! |---|---|---|
//! | `Unsupported parameter: 'X' is not supported with this model.` | X | OpenAI `unsupported_parameter` (openai-python #2046; huggingface/smolagents #1671) |
//! | `Unsupported value: 'temperature' does not support 0.3 with this model. Only the default (1) value is supported.` | temperature | OpenAI `unsupported_value` (same threads) |
//! | `... Use 'max_completion_tokens' instead.` | the output limit moves to `max_completion_tokens` | OpenAI (charmbracelet/crush #3741) |
//! | `` `temperature` and `top_p` cannot both be specified for this model. Please use only one. `` | top_p | Anthropic (BerriAI/litellm #15097) |
//! | `Prefilling assistant messages is not supported for this model.` | prefill: cannot be left out, refused before sending next time | Anthropic (Sonnet 5.5 migration guide) |

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use crate::catalog::types::TokenLimitField;
use crate::completion::{CompletionRequest, Role, ToolChoice};
use crate::error::{ErrorKind, LlmError};

/// A request parameter a model can refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    /// `temperature`.
    Temperature,
    /// `top_p`.
    TopP,
    /// Stop sequences.
    Stop,
    /// The `max_tokens` field (the limit moves to `max_completion_tokens`).
    MaxTokens,
    /// A forced `tool_choice`.
    ToolChoice,
    /// The reasoning setting.
    Reasoning,
    /// A conversation ending in an assistant turn.
    Prefill,
}

impl Param {
    /// The parameter named by a provider's wire name.
    fn from_wire(name: &str) -> Option<Self> {
        Some(match name {
            "temperature" => Self::Temperature,
            "top_p" | "topP" => Self::TopP,
            "stop" | "stop_sequences" | "stopSequences" => Self::Stop,
            "max_tokens" => Self::MaxTokens,
            "tool_choice" => Self::ToolChoice,
            "reasoning_effort" | "reasoning" | "thinking" => Self::Reasoning,
            _ => return None,
        })
    }

    /// Whether `request` carries this parameter, so leaving it out changes the request.
    pub fn present(self, request: &CompletionRequest) -> bool {
        match self {
            Self::Temperature => request.sampling.temperature.is_some(),
            Self::TopP => request.sampling.top_p.is_some(),
            Self::Stop => !request.sampling.stop.is_empty(),
            Self::MaxTokens => {
                request.token_limit_field != Some(TokenLimitField::MaxCompletionTokens)
            }
            Self::ToolChoice => matches!(
                request.tool_choice,
                Some(ToolChoice::Required | ToolChoice::Tool(_))
            ),
            Self::Reasoning => request.reasoning.is_some(),
            Self::Prefill => request
                .messages
                .last()
                .is_some_and(|m| m.role == Role::Assistant && m.tool_calls.is_empty()),
        }
    }

    /// Leaves the parameter out of `request` (or converts it), returning the warning that says
    /// so, or the `[bad_request]` of a parameter that cannot be left out.
    pub fn strip(self, request: &mut CompletionRequest) -> Result<String, LlmError> {
        let model = request.model.clone();
        let learned = "(the provider refused it for this model earlier)";
        Ok(match self {
            Self::Temperature => {
                request.sampling.temperature = None;
                format!("temperature dropped: {model} does not accept it {learned}")
            }
            Self::TopP => {
                request.sampling.top_p = None;
                format!(
                    "top_p dropped: {model} does not accept it with the rest of the request {learned}"
                )
            }
            Self::Stop => {
                request.local_stop = std::mem::take(&mut request.sampling.stop);
                format!(
                    "stop applied by llm-mcp: {model} does not accept stop sequences {learned}, \
                     so the answer is cut at the first one"
                )
            }
            Self::MaxTokens => {
                request.token_limit_field = Some(TokenLimitField::MaxCompletionTokens);
                format!(
                    "the output limit sent as max_completion_tokens: {model} refuses max_tokens {learned}"
                )
            }
            Self::ToolChoice => {
                request.tool_choice = Some(ToolChoice::Auto);
                format!(
                    "tool_choice sent as auto: {model} does not accept a forced tool choice {learned}"
                )
            }
            Self::Reasoning => {
                request.reasoning = None;
                format!(
                    "reasoning dropped: {model} does not accept the reasoning setting {learned}"
                )
            }
            Self::Prefill => {
                return Err(LlmError::new(
                    ErrorKind::BadRequest,
                    format!(
                        "{model} does not accept an assistant prefill (a conversation that ends \
                         with an assistant turn); end the conversation with a user turn"
                    ),
                ));
            }
        })
    }
}

/// The parameter a provider's 400 message says the model refuses, if it says so in one of the
/// documented ways (the table in the module doc).
pub fn refused_parameter(message: &str) -> Option<Param> {
    if message.contains("Use 'max_completion_tokens' instead") {
        return Some(Param::MaxTokens);
    }
    if message.contains("cannot both be specified") && message.contains("top_p") {
        return Some(Param::TopP);
    }
    if message.contains("Prefilling assistant messages is not supported") {
        return Some(Param::Prefill);
    }
    for marker in ["Unsupported parameter: '", "Unsupported value: '"] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(name) = rest.split('\'').next()
        {
            return Param::from_wire(name);
        }
    }
    None
}

/// The parameters each model refused in this process, by model id.
#[derive(Debug, Default)]
pub struct Learned {
    refused: Mutex<BTreeMap<String, BTreeSet<Param>>>,
}

impl Learned {
    /// Records that `model` refused `param`.
    pub fn remember(&self, model: &str, param: Param) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: a process talks to a handful of models; past 1,000 ids forget the oldest map.
        if refused.len() >= 1000 && !refused.contains_key(model) {
            refused.clear();
        }
        refused.entry(model.to_string()).or_default().insert(param);
    }

    /// Leaves out of `request` what its model refused before, with a warning for each.
    pub fn apply(&self, request: &mut CompletionRequest) -> Result<Vec<String>, LlmError> {
        let params: Vec<Param> = {
            let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
            refused
                .get(&request.model)
                .map(|set| set.iter().copied().collect())
                .unwrap_or_default()
        };
        let mut warnings = Vec::new();
        for param in params {
            if param.present(request) {
                warnings.push(param.strip(request)?);
            }
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Message, Sampling};

    fn request() -> CompletionRequest {
        CompletionRequest {
            model: "gpt-9".into(),
            messages: vec![Message::user("hi")],
            sampling: Sampling {
                temperature: Some(0.3),
                top_p: Some(0.9),
                stop: vec!["END".into()],
                max_tokens: Some(10),
            },
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn documented_refusals_name_their_parameter() {
        let cases = [
            (
                "Unsupported parameter: 'stop' is not supported with this model.",
                Param::Stop,
            ),
            (
                "Unsupported parameter: 'top_p' is not supported with this model.",
                Param::TopP,
            ),
            (
                "Unsupported value: 'temperature' does not support 0.3 with this model. Only the default (1) value is supported.",
                Param::Temperature,
            ),
            (
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                Param::MaxTokens,
            ),
            (
                "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
                Param::TopP,
            ),
            (
                "Prefilling assistant messages is not supported for this model.",
                Param::Prefill,
            ),
            (
                "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                Param::Reasoning,
            ),
        ];
        for (message, param) in cases {
            assert_eq!(refused_parameter(message), Some(param), "{message}");
        }
        assert_eq!(refused_parameter("messages: field required"), None);
        assert_eq!(
            refused_parameter("Unsupported parameter: 'logit_bias' is not supported"),
            None
        );
    }

    #[test]
    fn a_learned_refusal_is_applied_to_later_calls_of_that_model_only() {
        let learned = Learned::default();
        learned.remember("gpt-9", Param::Temperature);
        learned.remember("gpt-9", Param::Stop);
        let mut asked = request();
        let warnings = learned.apply(&mut asked).unwrap();
        assert_eq!(asked.sampling.temperature, None);
        assert_eq!(asked.sampling.top_p, Some(0.9));
        assert!(asked.sampling.stop.is_empty());
        assert_eq!(asked.local_stop, vec!["END".to_string()]);
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("temperature"), "{warnings:?}");

        let mut other = CompletionRequest {
            model: "gpt-8".into(),
            ..request()
        };
        assert!(learned.apply(&mut other).unwrap().is_empty());
        assert_eq!(other.sampling.temperature, Some(0.3));
    }

    #[test]
    fn max_tokens_moves_to_max_completion_tokens_and_prefill_is_refused() {
        let mut asked = request();
        Param::MaxTokens.strip(&mut asked).unwrap();
        assert_eq!(
            asked.token_limit_field,
            Some(TokenLimitField::MaxCompletionTokens)
        );
        assert!(!Param::MaxTokens.present(&asked));
        let err = Param::Prefill.strip(&mut asked).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.contains("gpt-9"));
    }
}
