//! `compare`'s judge: once the answers are in, a provider or tier ranks them (`rank`) or
//! merges them into one (`merge`), through the supervisor's own routed `complete`, so the
//! judge's record says who judged, with what model, at what cost, and who was tried.
//!
//! The judge sees the answers under neutral labels (`1`, `2`, ...) in the order the providers
//! were asked, never the providers' names, so a name cannot sway it. A ranking is asked for as
//! structured output (`response_format` with the labels as an enum), so the record's `json` is
//! checked before it is read; labels are mapped back to providers here. The judge is called
//! only when two answers or more arrived.

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use super::hub::Hub;
use super::tool_defs::{CompareEntry, JudgeArgs, JudgeMode, Judgement};
use crate::client::ToolErrorMeta;
use crate::completion::RoutedRecord;

const RANK_SYSTEM: &str = "You judge answers to a prompt. Rank every answer from best to worst \
for correctness, completeness and clarity. Reply with JSON: ranking (the answer labels, best \
first) and reason (one or two sentences).";

const MERGE_SYSTEM: &str = "You combine answers to a prompt. Write the single best answer to \
the prompt: keep what is correct in the answers, drop what is wrong, settle disagreements. \
Reply with that answer only, without mentioning the answers or their labels.";

/// The answers to judge: label, provider, text.
struct Answer<'a> {
    label: String,
    provider: &'a str,
    output: &'a str,
}

/// Asks the judge about `entries` (the answers to `prompt`, sent with `system`).
pub async fn judge(
    hub: &Hub,
    spec: &JudgeArgs,
    prompt: &str,
    system: Option<&str>,
    entries: &[CompareEntry],
    timeout_s: Option<f64>,
    ctx: &RequestContext<RoleServer>,
) -> Judgement {
    let answers: Vec<Answer> = (entries.iter())
        .filter_map(|e| Some((e.provider.as_str(), e.record.as_ref()?.output.as_str())))
        .enumerate()
        .map(|(n, (provider, output))| Answer {
            label: (n + 1).to_string(),
            provider,
            output,
        })
        .collect();
    if answers.len() < 2 {
        let message = format!(
            "{} answer(s) arrived; the judge needs two or more",
            answers.len()
        );
        return Judgement::failed(spec.mode, message, None);
    }
    let arguments = arguments(spec, prompt, system, &answers, timeout_s);
    let result = super::llm_tools::complete(hub, arguments, ctx).await;
    read(spec.mode, &answers, result)
}

/// The judge's `complete` arguments.
fn arguments(
    spec: &JudgeArgs,
    prompt: &str,
    system: Option<&str>,
    answers: &[Answer],
    timeout_s: Option<f64>,
) -> JsonObject {
    let mut text = String::new();
    if let Some(system) = system {
        text.push_str(&format!("<system>\n{system}\n</system>\n\n"));
    }
    text.push_str(&format!("<prompt>\n{prompt}\n</prompt>\n"));
    for answer in answers {
        text.push_str(&format!(
            "\n<answer label=\"{}\">\n{}\n</answer>\n",
            answer.label, answer.output
        ));
    }
    let mut arguments = JsonObject::new();
    arguments.insert("prompt".into(), json!(text));
    if let Some(provider) = &spec.provider {
        arguments.insert("provider".into(), json!(provider));
    }
    if let Some(tier) = &spec.tier {
        arguments.insert("tier".into(), json!(tier));
    }
    if let Some(timeout_s) = timeout_s {
        arguments.insert("timeout_s".into(), json!(timeout_s));
    }
    match spec.mode {
        JudgeMode::Merge => {
            arguments.insert("system".into(), json!(MERGE_SYSTEM));
        }
        JudgeMode::Rank => {
            let labels: Vec<&str> = answers.iter().map(|a| a.label.as_str()).collect();
            let schema = json!({
                "type": "object",
                "properties": {
                    "ranking": {"type": "array", "items": {"type": "string", "enum": labels}},
                    "reason": {"type": "string"}
                },
                "required": ["ranking", "reason"],
                "additionalProperties": false
            });
            arguments.insert("system".into(), json!(RANK_SYSTEM));
            arguments.insert(
                "response_format".into(),
                json!({"type": "json_schema", "name": "ranking", "schema": schema}),
            );
        }
    }
    arguments
}

/// The judgement in the judge's result.
fn read(mode: JudgeMode, answers: &[Answer], result: CallToolResult) -> Judgement {
    if let Some(meta) = ToolErrorMeta::read(&result) {
        let text = result.content.iter().find_map(|c| c.as_text());
        let message = text.map_or_else(|| "the judge failed".to_string(), |t| t.text.clone());
        return Judgement::failed(mode, message, meta.kind.map(|k| k.to_string()));
    }
    let record = match (result.structured_content).map(serde_json::from_value::<RoutedRecord>) {
        Some(Ok(record)) => record,
        _ => {
            let message = "the judge's answer is not an llm-mcp record".to_string();
            return Judgement::failed(mode, message, Some("invalid_response".into()));
        }
    };
    let mut judgement = Judgement::failed(mode, String::new(), None);
    judgement.error = None;
    match mode {
        JudgeMode::Merge => judgement.output = Some(record.record.output.clone()),
        JudgeMode::Rank => {
            let json = record.record.json.clone().unwrap_or(Value::Null);
            let mut ranking: Vec<String> = Vec::new();
            for label in json["ranking"].as_array().into_iter().flatten() {
                let found = answers
                    .iter()
                    .find(|a| Some(a.label.as_str()) == label.as_str());
                if let Some(answer) = found
                    && !ranking.iter().any(|p| p == answer.provider)
                {
                    ranking.push(answer.provider.to_string());
                }
            }
            if ranking.is_empty() {
                judgement.error = Some("the judge's ranking names none of the answers".into());
                judgement.kind = Some("invalid_response".into());
            } else {
                judgement.ranking = Some(ranking);
            }
            judgement.reason = json["reason"].as_str().map(str::to_string);
        }
    }
    judgement.record = Some(record);
    judgement
}

impl Judgement {
    /// A judgement without a verdict: why, and the error's kind when there was one.
    fn failed(mode: JudgeMode, error: String, kind: Option<String>) -> Self {
        Self {
            mode,
            ranking: None,
            reason: None,
            output: None,
            record: None,
            error: Some(error),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Vec<Answer<'static>> {
        vec![
            Answer {
                label: "1".into(),
                provider: "a",
                output: "four",
            },
            Answer {
                label: "2".into(),
                provider: "b",
                output: "4",
            },
        ]
    }

    #[test]
    fn the_judge_sees_labels_not_names_and_ranks_by_an_enum_of_them() {
        let spec = JudgeArgs {
            provider: Some("j".into()),
            tier: None,
            mode: JudgeMode::Rank,
        };
        let arguments = arguments(&spec, "2+2?", Some("be brief"), &answers(), Some(9.0));
        let prompt = arguments["prompt"].as_str().unwrap();
        assert!(
            prompt.contains("<answer label=\"2\">\n4\n</answer>"),
            "{prompt}"
        );
        assert!(
            prompt.starts_with("<system>\nbe brief\n</system>"),
            "{prompt}"
        );
        assert!(
            !prompt.contains("\"a\"") && !prompt.contains("\"b\""),
            "{prompt}"
        );
        assert_eq!(
            arguments["response_format"]["schema"]["properties"]["ranking"]["items"]["enum"],
            json!(["1", "2"])
        );
        assert_eq!(arguments["provider"], "j");
        assert_eq!(arguments["timeout_s"], 9.0);
    }

    fn record(json_answer: Value) -> CallToolResult {
        let record = json!({
            "output": json_answer.to_string(), "provider": "j", "model": "m", "usage": {},
            "finish_reason": "stop", "latency_ms": 1, "attempts": 1, "json": json_answer,
            "tool_calls": [], "message": {"role": "assistant", "content": ""}, "tried": ["j"]
        });
        CallToolResult::structured(record)
    }

    #[test]
    fn labels_map_back_to_providers_without_repeats_or_strangers() {
        let ranked = read(
            JudgeMode::Rank,
            &answers(),
            record(json!({"ranking": ["2", "9", "2", "1"], "reason": "exact"})),
        );
        assert_eq!(ranked.ranking, Some(vec!["b".to_string(), "a".to_string()]));
        assert_eq!(ranked.reason.as_deref(), Some("exact"));
        assert_eq!(ranked.record.unwrap().tried, ["j"]);
        let empty = read(JudgeMode::Rank, &answers(), record(json!({"ranking": []})));
        assert_eq!(empty.kind.as_deref(), Some("invalid_response"));
    }
}
