//! Reading, rendering and safely rewriting a client's JSON configuration file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Refusal;

/// The file's text, or `None` when it does not exist yet.
pub(super) fn read(path: &Path) -> Result<Option<String>, Refusal> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Refusal::Io(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

/// The file's top-level object (empty for a missing or blank file). Anything that is not a
/// JSON object is refused, so a file we cannot understand is never overwritten.
pub(super) fn parse(path: &Path, text: Option<&str>) -> Result<Map<String, Value>, Refusal> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(_) => Err(Refusal::Usage(format!(
            "{} does not hold a JSON object; the file was left unchanged",
            path.display()
        ))),
        Err(err) => Err(Refusal::Usage(format!(
            "{} is not valid JSON ({err}; comments and trailing commas are not JSON); the \
             file was left unchanged",
            path.display()
        ))),
    }
}

/// `doc` pretty-printed with the indentation the original file used (two spaces when it had
/// none), and a final newline, so the change shows as the entry and little else.
pub(super) fn render(doc: &Value, original: Option<&str>) -> String {
    let indent = original
        .and_then(|text| {
            text.lines()
                .skip(1)
                .map(|line| &line[..line.len() - line.trim_start().len()])
                .find(|lead| !lead.is_empty())
        })
        .filter(|lead| lead.chars().all(|c| c == ' ' || c == '\t'))
        .unwrap_or("  ");
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(doc, &mut serializer).expect("a JSON value always serializes");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

/// Writes `text` to `path`: the old file is first copied to a backup that never replaces an
/// earlier one (`FILE.bak`, then `FILE.bak.1`, ...), and the new text goes through a
/// temporary file renamed over the old, so a crash leaves one or the other whole. Returns the
/// backup's path, if there was a file to back up.
pub(super) fn write_with_backup(
    path: &Path,
    original: Option<&str>,
    text: &str,
) -> Result<Option<PathBuf>, Refusal> {
    let io = |what: &str, p: &Path, err: std::io::Error| {
        Refusal::Io(format!("cannot {what} {}: {err}", p.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    }
    let backup = match original {
        Some(_) => {
            let backup = free_backup_name(path);
            std::fs::copy(path, &backup).map_err(|e| io("back up to", &backup, e))?;
            Some(backup)
        }
        None => None,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".llm-mcp-{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, text).map_err(|e| io("write", &tmp, e))?;
    // Keep the old file's permissions: ~/.claude.json, for one, is private to its owner.
    if original.is_some()
        && let Ok(meta) = std::fs::metadata(path)
    {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    if let Err(err) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("replace", path, err));
    }
    Ok(backup)
}

/// `FILE.bak`, or the first `FILE.bak.N` that does not exist yet.
fn free_backup_name(path: &Path) -> PathBuf {
    let with_suffix = |suffix: String| {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        path.with_file_name(name)
    };
    let first = with_suffix(".bak".into());
    if !first.exists() {
        return first;
    }
    (1..)
        .map(|n| with_suffix(format!(".bak.{n}")))
        .find(|candidate| !candidate.exists())
        .expect("some backup name is free")
}
