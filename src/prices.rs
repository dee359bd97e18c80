//! Model prices, USD per million tokens, and the cost of one call.
//!
//! The prices live in the model catalog ([`crate::catalog`]), each with the page and the day it
//! comes from, and each belonging to a provider endpoint: [`PriceTable::for_endpoint`] holds
//! only the prices that bill at that host, so a local server that echoes `gpt-5.5` costs
//! `null`. `--price MODEL=IN/OUT` adds or overrides one. A model the table does not know costs
//! `null`, never a guess.

use crate::catalog::Catalog;
use crate::catalog::lookup::names_model;
use crate::catalog::types::LongPromptPrice;
use crate::completion::Usage;
use crate::config_error::ConfigError;

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
    /// Rates for a request whose prompt is longer than a threshold (Claude Haiku 5.5).
    pub long_prompt: Option<LongPromptPrice>,
}

impl Price {
    /// The rates that bill a request with `prompt` input tokens (cache reads and writes
    /// included).
    fn for_prompt(&self, prompt: u64) -> Price {
        match self.long_prompt {
            Some(long) if prompt > long.above_tokens => Price {
                input: long.input,
                output: long.output,
                cache_read: long.cache_read,
                cache_write: long.cache_write,
                long_prompt: None,
            },
            _ => *self,
        }
    }
}

impl From<&crate::catalog::types::ModelPrice> for Price {
    fn from(p: &crate::catalog::types::ModelPrice) -> Self {
        Price {
            input: p.input,
            output: p.output,
            cache_read: p.cache_read,
            cache_write: p.cache_write,
            long_prompt: p.long_prompt,
        }
    }
}

/// Prices by model name. A model's entry answers to its id, its aliases and their dated
/// snapshots (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`); any other name needs its own
/// entry, so `gpt-5.4-mini` is never billed as `gpt-5`.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    /// Names an entry answers to, and its price; `--price` entries first.
    entries: Vec<(Vec<String>, Price)>,
}

impl PriceTable {
    /// Every price of the built-in catalog, whatever the endpoint. Prefer
    /// [`PriceTable::for_endpoint`], which holds only the prices that bill where calls go.
    pub fn builtin() -> Self {
        let catalog = Catalog::builtin();
        let entries = catalog
            .models()
            .filter_map(|(_, m)| Some((names(m), Price::from(m.price.as_ref()?))))
            .collect();
        Self { entries }
    }

    /// The prices of `provider`'s models that apply at `host` (the base URL's host): empty
    /// for a host that is not one of the provider's priced endpoints.
    pub fn for_endpoint(catalog: &Catalog, provider: &str, host: Option<&str>) -> Self {
        let entries = catalog
            .provider(provider)
            .map(|p| {
                p.models
                    .iter()
                    .filter_map(|m| {
                        let found = catalog.lookup(provider, host, &m.id)?;
                        Some((names(m), Price::from(found.price()?)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { entries }
    }

    /// Adds a `MODEL=IN/OUT` flag; a later entry for the same model wins.
    pub fn add_flag(&mut self, flag: &str) -> Result<(), ConfigError> {
        let bad = || {
            ConfigError(format!(
                "--price {flag}: expected MODEL=IN/OUT, USD per million tokens"
            ))
        };
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
        self.entries
            .retain(|(names, _)| names.len() != 1 || names[0] != model);
        let price = Price {
            input,
            output,
            cache_read: None,
            cache_write: None,
            long_prompt: None,
        };
        self.entries.insert(0, (vec![model.to_string()], price));
        Ok(())
    }

    /// The price of `model`: an entry it names exactly, or one it is a dated snapshot of.
    pub fn lookup(&self, model: &str) -> Option<Price> {
        let exact = self
            .entries
            .iter()
            .find(|(names, _)| names.iter().any(|n| n == model));
        exact
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|(names, _)| names.iter().any(|n| names_model(model, n)))
            })
            .map(|(_, price)| *price)
    }

    /// The cost of a call in USD; `None` when the model's price or the usage is unknown.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let input = usage.input_tokens?;
        let price = self.lookup(model)?.for_prompt(input);
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

/// The names a catalog entry answers to.
fn names(entry: &crate::catalog::types::ModelEntry) -> Vec<String> {
    std::iter::once(&entry.id)
        .chain(&entry.aliases)
        .cloned()
        .collect()
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

    #[test]
    fn an_endpoint_the_catalog_does_not_price_costs_null_unless_the_user_sets_a_price() {
        let catalog = Catalog::builtin();
        let openai = PriceTable::for_endpoint(&catalog, "openai", Some("api.openai.com"));
        assert_eq!(openai.lookup("gpt-5.5").unwrap().input, 5.0);
        assert_eq!(openai.lookup("gpt-5-2025-08-07").unwrap().input, 1.25);
        assert!(openai.lookup("claude-sonnet-4-6").is_none());
        let usage = usage(1_000_000, 0, 0, 0);
        for host in [Some("127.0.0.1"), Some("myres.openai.azure.com"), None] {
            let mut local = PriceTable::for_endpoint(&catalog, "openai", host);
            assert_eq!(local.cost("gpt-5.5", &usage), None, "{host:?}");
            local.add_flag("gpt-5.5=0.5/1").unwrap();
            assert_eq!(local.cost("gpt-5.5", &usage), Some(0.5), "{host:?}");
        }
        let nobody = PriceTable::for_endpoint(&catalog, "llama.cpp", Some("127.0.0.1"));
        assert_eq!(nobody.cost("gpt-5.5", &usage), None);
        let mock = PriceTable::for_endpoint(&catalog, "mock", Some("127.0.0.1"));
        assert_eq!(mock.cost("mock-echo-1", &usage), Some(0.0));
    }

    #[test]
    fn a_long_prompt_bills_every_token_of_the_request_at_the_long_prompt_rates() {
        let table = PriceTable::builtin();
        // Haiku 5.5: $0.10/$0.50 up to 100k prompt tokens, $0.50/$2.50 above.
        let short = table
            .cost("claude-haiku-5-5", &usage(100_000, 1_000_000, 0, 0))
            .unwrap();
        assert!((short - (0.01 + 0.5)).abs() < 1e-9, "{short}");
        let long = table
            .cost("claude-haiku-5-5", &usage(100_001, 1_000_000, 50_000, 0))
            .unwrap();
        let expected = (50_001.0 * 0.5 + 50_000.0 * 0.05) / 1e6 + 2.5;
        assert!((long - expected).abs() < 1e-9, "{long}");
    }
}
