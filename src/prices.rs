//! Model prices, USD per million tokens, and the cost of one call.
//!
//! The built-in table holds the list prices of well-known models from the providers' pricing
//! pages (linked below); prices change, so `--price MODEL=IN/OUT` adds or overrides one. A model
//! the table does not know costs `null`, never a guess.

use crate::completion::Usage;

/// Prices of one model, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Uncached input.
    pub input: f64,
    /// Output, reasoning included.
    pub output: f64,
    /// Input read from the prompt cache; `None` bills it as input.
    pub cache_read: Option<f64>,
    /// Input written to the prompt cache; `None` bills it as input.
    pub cache_write: Option<f64>,
}

const fn price(
    input: f64,
    output: f64,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
) -> Price {
    Price {
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// Built-in list prices by model id: input, output, cache read, cache write.
const BUILTIN: &[(&str, Price)] = &[
    // https://platform.claude.com/docs/en/about-claude/pricing: cache reads cost 0.1x input,
    // 5-minute cache writes 1.25x.
    ("claude-fable-5-1", price(10.0, 50.0, Some(1.0), Some(12.5))),
    ("claude-opus-5", price(5.0, 25.0, Some(0.5), Some(6.25))),
    ("claude-sonnet-5", price(2.0, 10.0, Some(0.2), Some(2.5))),
    ("claude-sonnet-5-5", price(2.0, 10.0, Some(0.2), Some(2.5))),
    ("claude-opus-4-6", price(5.0, 25.0, Some(0.5), Some(6.25))),
    ("claude-opus-4-5", price(5.0, 25.0, Some(0.5), Some(6.25))),
    ("claude-opus-4-1", price(15.0, 75.0, Some(1.5), Some(18.75))),
    ("claude-opus-4", price(15.0, 75.0, Some(1.5), Some(18.75))),
    ("claude-sonnet-4-6", price(3.0, 15.0, Some(0.3), Some(3.75))),
    ("claude-sonnet-4-5", price(3.0, 15.0, Some(0.3), Some(3.75))),
    ("claude-sonnet-4", price(3.0, 15.0, Some(0.3), Some(3.75))),
    ("claude-haiku-4-5", price(1.0, 5.0, Some(0.1), Some(1.25))),
    ("claude-3-5-haiku", price(0.8, 4.0, Some(0.08), Some(1.0))),
    // https://openai.com/api/pricing: cached input is discounted, writes cost nothing extra.
    ("gpt-5.5", price(5.0, 30.0, Some(0.5), None)),
    ("gpt-5", price(1.25, 10.0, Some(0.125), None)),
    ("gpt-5-mini", price(0.25, 2.0, Some(0.025), None)),
    ("gpt-5-nano", price(0.05, 0.4, Some(0.005), None)),
    ("gpt-4.1", price(2.0, 8.0, Some(0.5), None)),
    ("gpt-4.1-mini", price(0.4, 1.6, Some(0.1), None)),
    ("gpt-4.1-nano", price(0.1, 0.4, Some(0.025), None)),
    ("gpt-4o", price(2.5, 10.0, Some(1.25), None)),
    ("gpt-4o-mini", price(0.15, 0.6, Some(0.075), None)),
    ("o3", price(2.0, 8.0, Some(0.5), None)),
    ("o4-mini", price(1.1, 4.4, Some(0.275), None)),
    // https://ai.google.dev/gemini-api/docs/pricing: the prices of prompts up to 200k tokens
    // (longer prompts cost more on the Pro models; set --price for those workloads).
    ("gemini-3-pro-preview", price(2.0, 12.0, Some(0.2), None)),
    ("gemini-3-flash-preview", price(0.5, 3.0, Some(0.05), None)),
    ("gemini-2.5-pro", price(1.25, 10.0, Some(0.125), None)),
    ("gemini-2.5-flash", price(0.3, 2.5, Some(0.03), None)),
    ("gemini-2.5-flash-lite", price(0.1, 0.4, Some(0.01), None)),
    ("gemini-2.0-flash", price(0.1, 0.4, Some(0.025), None)),
    ("gemini-2.0-flash-lite", price(0.075, 0.3, None, None)),
    // https://mistral.ai/pricing: the `-latest` names follow the current model of each line.
    ("mistral-large", price(0.5, 1.5, None, None)),
    ("mistral-medium", price(0.4, 2.0, None, None)),
    ("mistral-small", price(0.1, 0.3, None, None)),
    ("magistral-medium", price(2.0, 5.0, None, None)),
    ("magistral-small", price(0.5, 1.5, None, None)),
    ("codestral", price(0.3, 0.9, None, None)),
    ("ministral-8b", price(0.1, 0.1, None, None)),
    ("ministral-3b", price(0.04, 0.04, None, None)),
    // The offline mock is free.
    ("mock-echo-1", price(0.0, 0.0, None, None)),
];

/// Prices by model id. A dated snapshot (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`)
/// or a `-latest` name costs what its model costs; any other name needs its own entry, so
/// `gpt-5.4-mini` is never billed as `gpt-5`.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    entries: Vec<(String, Price)>,
}

/// Whether `model` is `id` itself, a dated snapshot of it, or its `-latest` name.
fn names_model(model: &str, id: &str) -> bool {
    let Some(rest) = model.strip_prefix(id) else {
        return false;
    };
    let Some(suffix) = rest.strip_prefix('-') else {
        return rest.is_empty();
    };
    let digits: String = suffix.chars().filter(|c| *c != '-').collect();
    suffix == "latest" || (digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()))
}

impl PriceTable {
    /// The built-in table.
    pub fn builtin() -> Self {
        let entries = BUILTIN
            .iter()
            .map(|&(model, price)| (model.to_string(), price))
            .collect();
        Self { entries }
    }

    /// Adds a `MODEL=IN/OUT` flag; a later entry for the same model wins.
    pub fn add_flag(&mut self, flag: &str) -> Result<(), String> {
        let bad = || format!("--price {flag}: expected MODEL=IN/OUT, USD per million tokens");
        let (model, prices) = flag.split_once('=').ok_or_else(bad)?;
        let (input, output) = prices.split_once('/').ok_or_else(bad)?;
        let parse = |text: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
        };
        let (Some(input), Some(output)) = (parse(input), parse(output)) else {
            return Err(bad());
        };
        if model.is_empty() {
            return Err(bad());
        }
        self.entries.retain(|(m, _)| m != model);
        self.entries
            .insert(0, (model.to_string(), price(input, output, None, None)));
        Ok(())
    }

    /// The price of `model`: its own entry, or that of the model it is a snapshot of.
    pub fn lookup(&self, model: &str) -> Option<Price> {
        self.entries
            .iter()
            .find(|(id, _)| names_model(model, id))
            .map(|(_, price)| *price)
    }

    /// The cost of a call in USD; `None` when the model's price or the usage is unknown.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let price = self.lookup(model)?;
        let input = usage.input_tokens?;
        let output = usage.output_tokens.unwrap_or(0);
        let read = usage.cache_read_tokens.unwrap_or(0);
        let write = usage.cache_write_tokens.unwrap_or(0);
        let uncached = input.saturating_sub(read).saturating_sub(write);
        let micro = uncached as f64 * price.input
            + read as f64 * price.cache_read.unwrap_or(price.input)
            + write as f64 * price.cache_write.unwrap_or(price.input)
            + output as f64 * price.output;
        Some(micro / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, read: u64, write: u64) -> Usage {
        Usage {
            input_tokens: Some(input),
            output_tokens: Some(output),
            cache_read_tokens: Some(read),
            cache_write_tokens: Some(write),
            reasoning_tokens: None,
        }
    }

    #[test]
    fn snapshots_cost_what_their_model_costs_and_nothing_else_is_guessed() {
        let table = PriceTable::builtin();
        assert_eq!(table.lookup("gpt-5-mini-2025-08-07").unwrap().input, 0.25);
        assert_eq!(table.lookup("gpt-4o-2024-08-06").unwrap().input, 2.5);
        assert_eq!(
            table.lookup("claude-sonnet-4-5-20250929").unwrap().input,
            3.0
        );
        assert_eq!(table.lookup("claude-sonnet-4-5").unwrap().input, 3.0);
        assert_eq!(table.lookup("gpt-5").unwrap().input, 1.25);
        assert!(table.lookup("gpt-5.4-mini").is_none());
        assert!(table.lookup("gpt-5-turbo-preview").is_none());
        assert!(table.lookup("llama3.2").is_none());
        assert_eq!(table.lookup("mistral-small-latest").unwrap().output, 0.3);
        assert_eq!(table.lookup("gemini-2.5-flash").unwrap().input, 0.3);
        assert!(table.lookup("gemini-2.5-flash-preview-09-2025").is_none());
    }

    #[test]
    fn cache_reads_and_writes_are_billed_at_their_own_price() {
        let table = PriceTable::builtin();
        // 1M uncached at $3, 1M cache reads at $0.30, 1M writes at $3.75, 1M output at $15.
        let cost = table
            .cost(
                "claude-sonnet-4-6",
                &usage(3_000_000, 1_000_000, 1_000_000, 1_000_000),
            )
            .unwrap();
        assert!((cost - (3.0 + 0.3 + 3.75 + 15.0)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn user_prices_override_and_unknown_usage_costs_nothing_known() {
        let mut table = PriceTable::builtin();
        table.add_flag("gpt-5=2/20").unwrap();
        assert_eq!(table.cost("gpt-5", &usage(1_000_000, 0, 0, 0)), Some(2.0));
        assert_eq!(table.cost("gpt-5", &Usage::default()), None);
        assert!(table.add_flag("x=1").is_err());
        assert!(table.add_flag("x=a/b").is_err());
        assert!(table.add_flag("=1/2").is_err());
    }
}
