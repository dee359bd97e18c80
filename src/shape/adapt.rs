//! Requests shaped from the catalog: a parameter the model does not take is dropped,
//! converted or refused, whichever keeps the caller's meaning, and every change is a warning
//! in the record. A model the catalog does not know is sent as asked (the HTTP layer then
//! learns from the provider's own refusal; see [`crate::shape::learned`]).
//!
//! The table, one row per rule (the catalog entry cites the page each fact comes from):
//!
//! | the model does not take | the request has | what happens |
//! |---|---|---|
//! | `temperature` | a temperature | dropped, warned (reasoning models sample their own way) |
//! | `top_p` | a top_p | dropped, warned |
//! | both together | temperature and top_p | top_p dropped, warned (temperature is the usual knob) |
//! | `stop` | stop sequences | converted: the server cuts the answer at the first one, warned |
//! | forced tool choice | `required` or a tool name | converted: `auto`, only the named tool offered, and a system line asking for the call, warned |
//! | an input modality (`input`: image, pdf) | an image or document part | refused: `[bad_request]` naming the model's inputs |
//! | assistant prefill | a conversation ending in an assistant turn | refused: `[bad_request]` naming the model |
//! | more output than `max_output` | a larger max_tokens | clamped to `max_output`, warned |
//! | reasoning at all (`kind: none`) | an effort above none or a budget | dropped, warned |
//! | turning thinking off | effort none | the model's lowest level (or its default), warned |
//! | an effort level | an effort it lacks | the nearest level it has, warned |
//! | effort levels only | a budget | converted to the nearest effort, warned |
//! | a budget only | an effort | converted to a budget in the model's range, warned |
//! | a budget outside its range | budget_tokens | clamped into the range, warned |
//!
//! References: Claude Sonnet 5.5 migration guide (sampling parameters, forced tool choice,
//! assistant prefill, thinking budgets and disabling thinking return 400,
//! <https://platform.claude.com/docs/en/models/sonnet-5-5/migration-guide>); OpenAI reasoning
//! models reject `temperature`, `top_p` and `stop` (`unsupported_parameter`,
//! <https://platform.openai.com/docs/guides/reasoning>); each entry's `sources`.

use crate::catalog::types::{Modality, ModelEntry, Reasoning as Controls};
use crate::completion::{CompletionRequest, Effort, Reasoning, Role, ToolChoice};
use crate::content::AttachmentKind;
use crate::error::{ErrorKind, LlmError};

/// Shapes `request` for `model` (its catalog entry), returning the warnings that say how, or
/// the `[bad_request]` of a request the model cannot take in any form.
pub fn adapt(request: &mut CompletionRequest, model: &ModelEntry) -> Result<Vec<String>, LlmError> {
    let mut warnings = Vec::new();
    let id = request.model.clone();
    refuse_prefill(request, model, &id)?;
    refuse_modalities(request, model, &id)?;
    sampling(request, model, &id, &mut warnings);
    stop(request, model, &id, &mut warnings);
    tool_choice(request, model, &id, &mut warnings);
    max_tokens(request, model, &id, &mut warnings);
    reasoning(request, model, &id, &mut warnings);
    if model.token_limit_field.is_some() {
        request.token_limit_field = model.token_limit_field;
    }
    Ok(warnings)
}

fn refuse_prefill(
    request: &CompletionRequest,
    model: &ModelEntry,
    id: &str,
) -> Result<(), LlmError> {
    let prefill = request
        .messages
        .last()
        .is_some_and(|m| m.role == Role::Assistant && m.tool_calls.is_empty());
    if prefill && model.params.assistant_prefill == Some(false) {
        return Err(LlmError::new(
            ErrorKind::BadRequest,
            format!(
                "{id} does not accept an assistant prefill (a conversation that ends with an \
                 assistant turn); end the conversation with a user turn"
            ),
        ));
    }
    Ok(())
}

/// A part the model cannot take, by the catalog's `input` list (a model without one is sent
/// as asked).
fn refuse_modalities(
    request: &CompletionRequest,
    model: &ModelEntry,
    id: &str,
) -> Result<(), LlmError> {
    let Some(input) = &model.input else {
        return Ok(());
    };
    for attachment in request.attachments() {
        let (needed, what) = match attachment.kind {
            AttachmentKind::Image => (Modality::Image, "image"),
            AttachmentKind::Document => (Modality::Pdf, "PDF"),
        };
        if !input.contains(&needed) {
            let takes: Vec<&str> = input.iter().map(|m| m.as_str()).collect();
            return Err(LlmError::new(
                ErrorKind::BadRequest,
                format!(
                    "{id} does not take {what} input (its catalog input: {}); send it to a model that does",
                    takes.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn sampling(request: &mut CompletionRequest, model: &ModelEntry, id: &str, out: &mut Vec<String>) {
    let params = &model.params;
    let sampling = &mut request.sampling;
    if params.temperature == Some(false)
        && let Some(t) = sampling.temperature.take()
    {
        out.push(format!(
            "temperature {t} dropped: {id} does not accept temperature"
        ));
    }
    if params.top_p == Some(false)
        && let Some(p) = sampling.top_p.take()
    {
        out.push(format!("top_p {p} dropped: {id} does not accept top_p"));
    }
    if params.temperature_with_top_p == Some(false)
        && sampling.temperature.is_some()
        && let Some(p) = sampling.top_p.take()
    {
        out.push(format!(
            "top_p {p} dropped: {id} does not accept temperature and top_p together (temperature kept)"
        ));
    }
}

fn stop(request: &mut CompletionRequest, model: &ModelEntry, id: &str, out: &mut Vec<String>) {
    if model.params.stop == Some(false) && !request.sampling.stop.is_empty() {
        request.local_stop = std::mem::take(&mut request.sampling.stop);
        out.push(format!(
            "stop applied by llm-mcp: {id} does not accept stop sequences, so the answer is cut \
             at the first one (the model may have written past it)"
        ));
    }
}

fn tool_choice(
    request: &mut CompletionRequest,
    model: &ModelEntry,
    id: &str,
    out: &mut Vec<String>,
) {
    if model.params.forced_tool_choice != Some(false) || request.tools.is_empty() {
        return;
    }
    let instruction = match request.tool_choice.clone() {
        Some(ToolChoice::Required) => {
            "You must answer by calling one of the provided tools.".to_string()
        }
        Some(ToolChoice::Tool(name)) => {
            request.tools.retain(|t| t.name == name);
            format!("You must answer by calling the tool {name}.")
        }
        _ => return,
    };
    request.tool_choice = Some(ToolChoice::Auto);
    request.system = Some(match request.system.take() {
        Some(system) => format!("{system}\n\n{instruction}"),
        None => instruction,
    });
    out.push(format!(
        "tool_choice sent as auto: {id} does not accept a forced tool choice; the system prompt \
         asks for the call instead"
    ));
}

fn max_tokens(
    request: &mut CompletionRequest,
    model: &ModelEntry,
    id: &str,
    out: &mut Vec<String>,
) {
    let (Some(asked), Some(most)) = (request.sampling.max_tokens, model.max_output) else {
        return;
    };
    let most = u32::try_from(most).unwrap_or(u32::MAX);
    if asked > most {
        request.sampling.max_tokens = Some(most);
        out.push(format!(
            "max_tokens {asked} lowered to {most}, the most {id} writes"
        ));
    }
}

fn reasoning(request: &mut CompletionRequest, model: &ModelEntry, id: &str, out: &mut Vec<String>) {
    let (Some(asked), Some(controls)) = (request.reasoning.clone(), model.reasoning.as_ref())
    else {
        return;
    };
    let shaped = match controls {
        Controls::None => {
            if asked.effort.is_some_and(|e| e != Effort::None) || asked.budget_tokens.is_some() {
                out.push(format!("reasoning dropped: {id} does not reason"));
            }
            Reasoning {
                effort: None,
                budget_tokens: None,
                include: asked.include,
            }
        }
        Controls::Effort { levels, default } => {
            effort_only(asked, levels, default.as_deref(), model, id, out)
        }
        Controls::Adaptive {
            levels, default, ..
        } => {
            if levels.is_empty() {
                adaptive_without_levels(asked, model, id, out)
            } else {
                effort_only(asked, levels, default.as_deref(), model, id, out)
            }
        }
        Controls::OllamaThink { levels } => {
            if levels.is_empty() {
                // A boolean: any effort above none thinks, none does not; budgets do not exist.
                if asked.budget_tokens.is_some() {
                    out.push(format!(
                        "budget_tokens dropped: {id} takes think on or off, not a budget"
                    ));
                }
                Reasoning {
                    effort: asked.effort.or(asked
                        .budget_tokens
                        .map(|b| if b == 0 { Effort::None } else { Effort::Medium })),
                    budget_tokens: None,
                    include: asked.include,
                }
            } else {
                effort_only(asked, levels, None, model, id, out)
            }
        }
        Controls::Budget { min, max } => budget_only(asked, *min, *max, model, id, out),
    };
    request.reasoning = Some(shaped);
}

/// The rank of a provider's level name on the neutral scale (`xhigh` sits between high and
/// max); unknown names rank as medium.
fn rank(level: &str) -> u32 {
    match level {
        "none" => 0,
        "minimal" => 10,
        "low" => 20,
        "medium" => 30,
        "high" => 40,
        "xhigh" => 45,
        "max" => 50,
        _ => 30,
    }
}

/// The level of `levels` nearest to `wanted` (ties go to the lower one), as a neutral effort.
fn nearest(wanted: Effort, levels: &[String]) -> Option<Effort> {
    let target = rank(wanted.as_str());
    levels
        .iter()
        .filter_map(|l| Effort::parse(l))
        .min_by_key(|e| (rank(e.as_str()).abs_diff(target), rank(e.as_str())))
}

/// The effort a budget stands for: up to 1k tokens low, up to 8k medium, more high.
fn effort_for_budget(budget: u32) -> Effort {
    match budget {
        0 => Effort::None,
        1..=1024 => Effort::Low,
        1025..=8192 => Effort::Medium,
        _ => Effort::High,
    }
}

fn effort_only(
    asked: Reasoning,
    levels: &[String],
    default: Option<&str>,
    model: &ModelEntry,
    id: &str,
    out: &mut Vec<String>,
) -> Reasoning {
    let mut wanted = asked.effort;
    if let Some(budget) = asked.budget_tokens {
        let effort = effort_for_budget(budget);
        out.push(format!(
            "budget_tokens {budget} sent as effort {}: {id} takes effort levels, not a budget",
            effort.as_str()
        ));
        wanted = wanted.or(Some(effort));
    }
    let effort = wanted.and_then(|wanted| {
        if levels.iter().any(|l| l == wanted.as_str()) {
            return Some(wanted);
        }
        // A model that turns thinking off takes none as that, not as its nearest level.
        if wanted == Effort::None && model.params.disable_thinking == Some(true) {
            return Some(wanted);
        }
        if wanted == Effort::None {
            let fallback = default
                .and_then(Effort::parse)
                .or_else(|| nearest(Effort::Minimal, levels));
            out.push(format!(
                "effort none is not available: {id} cannot turn reasoning off; sent {}",
                fallback.map_or("its default", Effort::as_str)
            ));
            return fallback;
        }
        let chosen = nearest(wanted, levels);
        if let Some(chosen) = chosen {
            out.push(format!(
                "effort {} sent as {}: the nearest level {id} has",
                wanted.as_str(),
                chosen.as_str()
            ));
        }
        chosen
    });
    Reasoning {
        effort,
        budget_tokens: None,
        include: asked.include,
    }
}

fn adaptive_without_levels(
    asked: Reasoning,
    model: &ModelEntry,
    id: &str,
    out: &mut Vec<String>,
) -> Reasoning {
    if asked.budget_tokens.is_some() {
        out.push(format!(
            "budget_tokens dropped: {id} thinks adaptively and does not take a budget"
        ));
    }
    let mut effort = asked.effort;
    if effort == Some(Effort::None) && model.params.disable_thinking == Some(false) {
        out.push(format!(
            "effort none is not available: {id} cannot turn thinking off; it thinks adaptively"
        ));
        effort = None;
    } else if effort.is_some_and(|e| e != Effort::None) {
        out.push(format!(
            "effort dropped: {id} thinks adaptively and takes no effort level"
        ));
        effort = None;
    }
    Reasoning {
        effort,
        budget_tokens: None,
        include: asked.include,
    }
}

fn budget_only(
    asked: Reasoning,
    min: Option<u64>,
    max: Option<u64>,
    model: &ModelEntry,
    id: &str,
    out: &mut Vec<String>,
) -> Reasoning {
    let clamp = |budget: u64| {
        let low = min.unwrap_or(0);
        let high = max.unwrap_or(u64::from(u32::MAX));
        budget.clamp(low, high.max(low))
    };
    let budget = match (asked.budget_tokens, asked.effort) {
        (Some(budget), _) => {
            let clamped = clamp(u64::from(budget));
            if clamped != u64::from(budget) {
                out.push(format!(
                    "budget_tokens {budget} set to {clamped}: {id} takes budgets from {} to {}",
                    min.unwrap_or(0),
                    max.map_or("any".to_string(), |m| m.to_string())
                ));
            }
            Some(clamped)
        }
        (None, Some(Effort::None))
            if model.params.disable_thinking != Some(false) && min.unwrap_or(0) == 0 =>
        {
            Some(0)
        }
        (None, Some(effort)) => {
            let wanted = match effort {
                Effort::None | Effort::Minimal => 512,
                Effort::Low => 1024,
                Effort::Medium => 8192,
                Effort::High => 16384,
                Effort::Max => max.unwrap_or(32768),
            };
            let budget = clamp(wanted);
            out.push(format!(
                "effort {} sent as a thinking budget of {budget} tokens: {id} takes a budget",
                effort.as_str()
            ));
            Some(budget)
        }
        (None, None) => None,
    };
    Reasoning {
        effort: None,
        budget_tokens: budget.map(|b| u32::try_from(b).unwrap_or(u32::MAX)),
        include: asked.include,
    }
}

#[cfg(test)]
mod tests;
