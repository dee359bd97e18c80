//! Finding a model: by its id, an alias, or a dated snapshot of either, never by a looser
//! prefix; and finding the endpoint a host belongs to, which decides whether prices apply.

use super::Catalog;
use super::types::{Endpoint, ModelEntry, ModelPrice, ProviderCatalog, Status};

/// A model found in the catalog, with the endpoint the host matched (if any).
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The catalog provider name.
    pub provider: &'a str,
    /// The entry.
    pub entry: &'a ModelEntry,
    /// The provider endpoint the host belongs to that serves this model; `None` when the host
    /// is not one of the provider's (a local server echoing a provider's model name).
    pub endpoint: Option<&'a Endpoint>,
}

impl<'a> Found<'a> {
    /// The list price, only when the host is an endpoint whose bills are the list prices.
    pub fn price(&self) -> Option<&'a ModelPrice> {
        self.endpoint
            .filter(|e| e.prices_apply)
            .and(self.entry.price.as_ref())
    }
}

/// Whether `model` is `name` itself, a dated snapshot of it (`name` followed by `-` and a
/// date of eight digits, dashes allowed: `-20250929`, `-2025-08-07`), or, for an Ollama
/// family name without a tag, any tag of it (`qwen3:8b` is `qwen3`).
pub fn names_model(model: &str, name: &str) -> bool {
    let Some(rest) = model.strip_prefix(name) else {
        return false;
    };
    if let Some(tag) = rest.strip_prefix(':') {
        return !name.contains(':') && !tag.is_empty();
    }
    let Some(suffix) = rest.strip_prefix('-') else {
        return rest.is_empty();
    };
    let digits: String = suffix.chars().filter(|c| *c != '-').collect();
    !suffix.ends_with('-') && digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())
}

/// Whether `entry` answers to `model`: its id, an alias, or a dated snapshot of either.
pub fn entry_names(entry: &ModelEntry, model: &str) -> bool {
    std::iter::once(&entry.id)
        .chain(&entry.aliases)
        .any(|name| names_model(model, name))
}

/// The entry of `provider` that answers to `model`; an exact name wins over a snapshot.
pub fn find_model<'a>(provider: &'a ProviderCatalog, model: &str) -> Option<&'a ModelEntry> {
    let exact = provider
        .models
        .iter()
        .find(|m| m.id == model || m.aliases.iter().any(|a| a == model));
    exact.or_else(|| provider.models.iter().find(|m| entry_names(m, model)))
}

/// Whether `host` matches a host pattern: exact, `*.domain` (a subdomain, not the domain
/// itself), or `*` (any host). Case-insensitive, a trailing dot ignored.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == pattern,
    }
}

impl Catalog {
    /// The model `model` of provider `provider`, and the endpoint `host` is, if it is one of
    /// that provider's endpoints serving the model. `host` is the base URL's host
    /// (`url.host_str()`); `None` matches no endpoint.
    pub fn lookup<'a>(
        &'a self,
        provider: &str,
        host: Option<&str>,
        model: &str,
    ) -> Option<Found<'a>> {
        let catalog = self.provider(provider)?;
        let entry = find_model(catalog, model)?;
        let endpoint = host.and_then(|host| {
            catalog.endpoints.iter().find(|e| {
                (entry.endpoints.is_empty() || entry.endpoints.contains(&e.id))
                    && e.hosts.iter().any(|p| host_matches(p, host))
            })
        });
        Some(Found {
            provider: &catalog.provider,
            entry,
            endpoint,
        })
    }

    /// The provider whose endpoint `host` is, for OpenAI-compatible presets pointed at another
    /// provider (the Gemini and Mistral presets). Wildcard-only (`*`) endpoints never match.
    pub fn provider_for_host(&self, host: &str) -> Option<&str> {
        self.providers
            .iter()
            .find(|p| {
                p.endpoints
                    .iter()
                    .any(|e| e.hosts.iter().any(|h| h != "*" && host_matches(h, host)))
            })
            .map(|p| p.provider.as_str())
    }

    /// The pairs among `pairs` (`(alias, id)`, or `("default", id)` for a default model) whose
    /// model the catalog marks retired, with the replacement it names. A name the catalog
    /// does not know is not reported: unknown is not retired.
    pub fn retired_targets(&self, provider: &str, pairs: &[(&str, &str)]) -> Vec<RetiredTarget> {
        let Some(catalog) = self.provider(provider) else {
            return Vec::new();
        };
        pairs
            .iter()
            .filter_map(|&(alias, id)| {
                let entry = find_model(catalog, id)?;
                let life = entry.lifecycle.as_ref()?;
                (life.status == Status::Retired).then(|| RetiredTarget {
                    alias: alias.to_string(),
                    id: id.to_string(),
                    replacement: life.replacement.clone(),
                })
            })
            .collect()
    }
}

/// An alias or default that names a retired model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredTarget {
    /// The alias (or `default`).
    pub alias: String,
    /// The model it names.
    pub id: String,
    /// What the catalog says replaces it.
    pub replacement: Option<String>,
}
