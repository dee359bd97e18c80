//! Reading one catalog file: JSON through serde (the path of a bad field in the error), then
//! the checks serde cannot make (format version, dates, prices, references inside the file).

use std::collections::BTreeSet;

use super::types::{FORMAT, ModelPrice, ProviderCatalog};

/// A catalog file that cannot be used; the message names the file and the path in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog {file}: {path}: {message}")]
pub struct CatalogError {
    /// The file (`builtin:NAME.json` for an embedded one).
    pub file: String,
    /// Where in the file (`models[3].price.as_of`), `.` for the whole file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl CatalogError {
    fn new(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses and checks one file's text; `file` names it in errors.
pub fn parse_file(file: &str, text: &str) -> Result<ProviderCatalog, CatalogError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let catalog: ProviderCatalog = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        CatalogError::new(file, path, err.into_inner().to_string())
    })?;
    de.end()
        .map_err(|err| CatalogError::new(file, ".", err.to_string()))?;
    check(file, &catalog)?;
    Ok(catalog)
}

/// Whether `text` is a `YYYY-MM-DD` date with a plausible month and day.
pub(crate) fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else {
        return false;
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    matches!(
        (num(y, 4), num(m, 2), num(d, 2)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

fn check_rate(file: &str, path: String, value: Option<f64>) -> Result<(), CatalogError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(CatalogError::new(
            file,
            path,
            format!("price {v} is not a non-negative number of USD per million tokens"),
        )),
        _ => Ok(()),
    }
}

fn check_price(file: &str, at: &str, price: &ModelPrice) -> Result<(), CatalogError> {
    check_rate(file, format!("{at}.input"), Some(price.input))?;
    check_rate(file, format!("{at}.output"), Some(price.output))?;
    check_rate(file, format!("{at}.cache_read"), price.cache_read)?;
    check_rate(file, format!("{at}.cache_write"), price.cache_write)?;
    if let Some(long) = &price.long_prompt {
        let at = format!("{at}.long_prompt");
        check_rate(file, format!("{at}.input"), Some(long.input))?;
        check_rate(file, format!("{at}.output"), Some(long.output))?;
        check_rate(file, format!("{at}.cache_read"), long.cache_read)?;
        check_rate(file, format!("{at}.cache_write"), long.cache_write)?;
    }
    if !is_date(&price.as_of) {
        return Err(CatalogError::new(
            file,
            format!("{at}.as_of"),
            format!("expected a YYYY-MM-DD date, got {:?}", price.as_of),
        ));
    }
    if price.source.trim().is_empty() {
        return Err(CatalogError::new(
            file,
            format!("{at}.source"),
            "a price needs the page it comes from",
        ));
    }
    Ok(())
}

/// The checks serde cannot make. Lifecycle replacements are checked on the merged catalog,
/// since a user file may name a built-in model.
fn check(file: &str, catalog: &ProviderCatalog) -> Result<(), CatalogError> {
    if catalog.format != FORMAT {
        return Err(CatalogError::new(
            file,
            "format",
            format!(
                "this build reads format {FORMAT}, the file says {}",
                catalog.format
            ),
        ));
    }
    if catalog.provider.trim().is_empty() {
        return Err(CatalogError::new(file, "provider", "must not be empty"));
    }
    let mut endpoint_ids = BTreeSet::new();
    for (i, endpoint) in catalog.endpoints.iter().enumerate() {
        if !endpoint_ids.insert(endpoint.id.as_str()) {
            return Err(CatalogError::new(
                file,
                format!("endpoints[{i}].id"),
                format!("endpoint {:?} is listed twice", endpoint.id),
            ));
        }
        if let Some(j) = endpoint.hosts.iter().position(|h| h.trim().is_empty()) {
            return Err(CatalogError::new(
                file,
                format!("endpoints[{i}].hosts[{j}]"),
                "a host must not be empty",
            ));
        }
    }
    let mut names = BTreeSet::new();
    for (i, model) in catalog.models.iter().enumerate() {
        let at = format!("models[{i}]");
        if model.id.trim().is_empty() {
            return Err(CatalogError::new(
                file,
                format!("{at}.id"),
                "must not be empty",
            ));
        }
        for name in std::iter::once(&model.id).chain(&model.aliases) {
            if !names.insert(name.as_str()) {
                return Err(CatalogError::new(
                    file,
                    at.clone(),
                    format!("the name {name:?} belongs to two entries"),
                ));
            }
        }
        for (j, endpoint) in model.endpoints.iter().enumerate() {
            if !endpoint_ids.contains(endpoint.as_str()) {
                return Err(CatalogError::new(
                    file,
                    format!("{at}.endpoints[{j}]"),
                    format!("no endpoint {endpoint:?} in this file"),
                ));
            }
        }
        if let Some(price) = &model.price {
            check_price(file, &format!("{at}.price"), price)?;
        }
        let Some(life) = &model.lifecycle else {
            continue;
        };
        for (field, date) in [
            ("deprecated_on", &life.deprecated_on),
            ("retires_on", &life.retires_on),
        ] {
            if let Some(date) = date.as_deref().filter(|d| !is_date(d)) {
                return Err(CatalogError::new(
                    file,
                    format!("{at}.lifecycle.{field}"),
                    format!("expected a YYYY-MM-DD date, got {date:?}"),
                ));
            }
        }
    }
    Ok(())
}
