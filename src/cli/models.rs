//! `llm-mcp models`: the model catalog as a table, or as the JSON of the merged catalog.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::catalog::Catalog;
use crate::catalog::types::ModelEntry;

/// Arguments of `llm-mcp models`.
#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    /// Only this catalog provider (anthropic, openai, gemini, mistral, ollama, mock).
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// Print the merged catalog as JSON, in the `--catalog` file format.
    #[arg(long)]
    json: bool,
    /// A catalog file that extends or overrides the built-in one; repeatable, later wins.
    #[arg(long, value_name = "FILE")]
    catalog: Vec<PathBuf>,
}

/// Prints the catalog on stdout; exits 2 on a bad catalog file or an unknown provider.
/// A closed stdout (`llm-mcp models | head`) ends the output quietly.
#[allow(clippy::print_stderr)]
pub async fn run(args: ModelsArgs) -> ExitCode {
    let catalog = match Catalog::with_files(&args.catalog) {
        Ok(catalog) => catalog,
        Err(err) => {
            eprintln!("llm-mcp models: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(name) = &args.provider
        && catalog.provider(name).is_none()
    {
        let known: Vec<&str> = catalog
            .providers()
            .iter()
            .map(|p| p.provider.as_str())
            .collect();
        eprintln!(
            "llm-mcp models: no provider {name:?} in the catalog (known: {})",
            known.join(", ")
        );
        return ExitCode::from(2);
    }
    let mut text = if args.json {
        let json = catalog.to_json(args.provider.as_deref());
        serde_json::to_string_pretty(&json).unwrap_or_default()
    } else {
        table(&catalog, args.provider.as_deref()).join("\n")
    };
    text.push('\n');
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("llm-mcp models: cannot write the catalog: {err}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}

/// The table's lines: a header, then one line per model.
pub fn table(catalog: &Catalog, provider: Option<&str>) -> Vec<String> {
    let header = [
        "PROVIDER",
        "ID",
        "ALIASES",
        "CONTEXT",
        "MAX OUT",
        "REASONING",
        "TOOLS API",
        "PRICE IN/OUT",
        "LIFECYCLE",
    ]
    .map(String::from);
    let rows: Vec<[String; 9]> = catalog
        .models()
        .filter(|(p, _)| provider.is_none_or(|name| *p == name))
        .map(|(p, m)| row(p, m))
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    std::iter::once(&header)
        .chain(&rows)
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// One model's cells; `-` where the catalog does not know.
fn row(provider: &str, m: &ModelEntry) -> [String; 9] {
    let unknown = || "-".to_string();
    let tokens = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(unknown);
    let mut id = m.id.clone();
    if !m.confirmed {
        id.push_str(" (unconfirmed)");
    }
    let lifecycle = m
        .lifecycle
        .as_ref()
        .map(|l| {
            let mut text = l.status.name().to_string();
            if let Some(r) = &l.replacement {
                text.push_str(&format!(" -> {r}"));
            }
            text
        })
        .unwrap_or_else(unknown);
    [
        provider.to_string(),
        id,
        if m.aliases.is_empty() {
            unknown()
        } else {
            m.aliases.join(",")
        },
        tokens(m.context_window),
        tokens(m.max_output),
        m.reasoning
            .as_ref()
            .map(|r| r.label())
            .unwrap_or_else(unknown),
        m.tools_api
            .map(|t| t.name().to_string())
            .unwrap_or_else(unknown),
        m.price
            .as_ref()
            .map(|p| format!("{}/{}", p.input, p.output))
            .unwrap_or_else(unknown),
        lifecycle,
    ]
}
