//! `llm-mcp presets`: every preset of `llm-mcp-openai --preset NAME`, with its endpoint, key
//! variable and default model.

use std::process::ExitCode;

use crate::providers::presets::PRESETS;

/// Arguments of `llm-mcp presets`.
#[derive(Debug, clap::Args)]
pub struct PresetsArgs {
    /// Print one JSON object per preset instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints the preset table on stdout.
#[allow(clippy::print_stdout)]
pub async fn run(args: PresetsArgs) -> ExitCode {
    if args.json {
        for preset in PRESETS {
            let p = &preset.profile;
            let row = serde_json::json!({
                "preset": p.backend,
                "base_url": p.base_url,
                "base_url_env": p.base_url_env,
                "key_env": p.key_env,
                "key_required": p.key_required,
                "default_model": (!p.default_model.is_empty()).then_some(p.default_model),
            });
            println!("{row}");
        }
        return ExitCode::SUCCESS;
    }
    let rows: Vec<[String; 4]> = PRESETS
        .iter()
        .map(|preset| {
            let p = &preset.profile;
            let base = if p.base_url.is_empty() {
                format!("(${})", p.base_url_env)
            } else {
                p.base_url.to_string()
            };
            let key = if p.key_required {
                p.key_env.to_string()
            } else {
                format!("{} (optional)", p.key_env)
            };
            let model = if p.default_model.is_empty() {
                "(--model required)".to_string()
            } else {
                p.default_model.to_string()
            };
            [p.backend.to_string(), base, key, model]
        })
        .collect();
    let header = ["PRESET", "BASE URL", "KEY VARIABLE", "DEFAULT MODEL"].map(String::from);
    let width = |i: usize| {
        rows.iter()
            .chain([&header])
            .map(|r| r[i].len())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for [name, base, key, model] in std::iter::once(&header).chain(&rows) {
        println!("{name:<w0$}  {base:<w1$}  {key:<w2$}  {model}");
    }
    ExitCode::SUCCESS
}
