//! The model catalog: what is known about each provider's models (limits, accepted parameters,
//! reasoning controls, tool API, modalities, prices and lifecycle), as data.
//!
//! The built-in catalog is one JSON file per provider in `src/catalog/data/`, embedded at
//! build time; every fact cites the page it comes from. Users extend or override it with
//! `--catalog FILE` in the same format ([`types`]): an entry with the same provider and id
//! replaces the built-in one, any other is added. Lookups ([`lookup`]) take the provider, the
//! endpoint host and the model name, because a price belongs to an endpoint: OpenAI's list
//! prices bill `api.openai.com`, not a llama.cpp server on 127.0.0.1 that echoes `gpt-5.5`.

pub mod lookup;
mod parse;
pub mod types;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

pub use parse::CatalogError;
use types::{ModelEntry, ProviderCatalog};

/// The embedded files, by name.
const BUILTIN_FILES: &[(&str, &str)] = &[
    ("anthropic.json", include_str!("data/anthropic.json")),
    ("openai.json", include_str!("data/openai.json")),
    ("gemini.json", include_str!("data/gemini.json")),
    ("mistral.json", include_str!("data/mistral.json")),
    ("ollama.json", include_str!("data/ollama.json")),
    ("mock.json", include_str!("data/mock.json")),
];

/// The merged catalog: built-in files, then user files in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    providers: Vec<ProviderCatalog>,
}

impl Catalog {
    /// The built-in catalog. Its files are checked by the unit tests, so failing to read one
    /// is a bug in this build, not a user error.
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Self::from_texts(
                    BUILTIN_FILES
                        .iter()
                        .map(|(name, text)| (format!("builtin:{name}"), *text)),
                )
                .unwrap_or_else(|err| panic!("the built-in catalog is broken: {err}"))
            })
            .clone()
    }

    /// The built-in catalog extended and overridden by `files`, later files winning.
    pub fn with_files(files: &[PathBuf]) -> Result<Self, CatalogError> {
        let mut catalog = Self::builtin();
        for path in files {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|err| CatalogError {
                file: name.clone(),
                path: ".".into(),
                message: format!("cannot read it: {err}"),
            })?;
            catalog.merge_text(&name, &text)?;
        }
        Ok(catalog)
    }

    /// Parses `(name, text)` files in order into one catalog.
    fn from_texts<'a>(
        files: impl IntoIterator<Item = (String, &'a str)>,
    ) -> Result<Self, CatalogError> {
        let mut catalog = Self {
            providers: Vec::new(),
        };
        for (name, text) in files {
            catalog.merge_text(&name, text)?;
        }
        Ok(catalog)
    }

    /// Merges one file's text: same provider and id replaces, anything else is added.
    pub fn merge_text(&mut self, file: &str, text: &str) -> Result<(), CatalogError> {
        let incoming = parse::parse_file(file, text)?;
        let mut merged = self.clone();
        match merged
            .providers
            .iter_mut()
            .find(|p| p.provider == incoming.provider)
        {
            None => merged.providers.push(incoming),
            Some(existing) => {
                for endpoint in incoming.endpoints {
                    match existing.endpoints.iter_mut().find(|e| e.id == endpoint.id) {
                        Some(slot) => *slot = endpoint,
                        None => existing.endpoints.push(endpoint),
                    }
                }
                for model in incoming.models {
                    match existing.models.iter_mut().find(|m| m.id == model.id) {
                        Some(slot) => *slot = model,
                        None => existing.models.push(model),
                    }
                }
            }
        }
        merged.check_merged(file)?;
        *self = merged;
        Ok(())
    }

    /// The checks across files: one entry per name, endpoint references and replacements
    /// that exist.
    fn check_merged(&self, file: &str) -> Result<(), CatalogError> {
        let error = |path: String, message: String| CatalogError {
            file: file.to_string(),
            path,
            message,
        };
        for provider in &self.providers {
            let mut names = BTreeSet::new();
            for model in &provider.models {
                for name in std::iter::once(&model.id).chain(&model.aliases) {
                    if !names.insert(name.as_str()) {
                        return Err(error(
                            format!("{}/{}", provider.provider, model.id),
                            format!(
                                "the name {name:?} belongs to two entries of {}",
                                provider.provider
                            ),
                        ));
                    }
                }
                for endpoint in &model.endpoints {
                    if !provider.endpoints.iter().any(|e| &e.id == endpoint) {
                        return Err(error(
                            format!("{}/{}", provider.provider, model.id),
                            format!("no endpoint {endpoint:?} in provider {}", provider.provider),
                        ));
                    }
                }
                if let Some(replacement) = model
                    .lifecycle
                    .as_ref()
                    .and_then(|l| l.replacement.as_ref())
                    && lookup::find_model(provider, replacement).is_none()
                {
                    return Err(error(
                        format!("{}/{}.lifecycle.replacement", provider.provider, model.id),
                        format!("no model {replacement:?} in provider {}", provider.provider),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every provider's catalog, in file order.
    pub fn providers(&self) -> &[ProviderCatalog] {
        &self.providers
    }

    /// One provider's catalog.
    pub fn provider(&self, name: &str) -> Option<&ProviderCatalog> {
        self.providers.iter().find(|p| p.provider == name)
    }

    /// Every model with its provider name.
    pub fn models(&self) -> impl Iterator<Item = (&str, &ModelEntry)> {
        self.providers
            .iter()
            .flat_map(|p| p.models.iter().map(move |m| (p.provider.as_str(), m)))
    }

    /// The merged catalog as one JSON document: `{"format": 1, "providers": [...]}`, each
    /// provider in the file format, so any part of it can be saved as a `--catalog` file.
    pub fn to_json(&self, provider: Option<&str>) -> serde_json::Value {
        let providers: Vec<&ProviderCatalog> = self
            .providers
            .iter()
            .filter(|p| provider.is_none_or(|name| p.provider == name))
            .collect();
        serde_json::json!({ "format": types::FORMAT, "providers": providers })
    }
}
