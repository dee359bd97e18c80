//! Catalog files for tests: `--catalog` is the user's way to say where a provider's list
//! prices apply, so a fake on 127.0.0.1 can be billed like the real endpoint.

use std::path::PathBuf;

/// Writes a catalog file that moves `provider`'s endpoint `endpoint` (its id in the built-in
/// catalog) to 127.0.0.1, with its list prices, and returns its path.
pub fn priced_at_loopback(provider: &str, endpoint: &str) -> String {
    let dir = std::env::temp_dir().join(format!("llm-mcp-test-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(format!("{provider}-{endpoint}.json"));
    let file = serde_json::json!({
        "format": 1,
        "provider": provider,
        "endpoints": [{"id": endpoint, "hosts": ["127.0.0.1"], "prices_apply": true}]
    });
    std::fs::write(&path, file.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}
