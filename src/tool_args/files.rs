//! `path` parts read into inline data, under the directories the operator allowed
//! (`--allow-files`), before anything is sent.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::completion::{Message, Role};
use crate::content::{
    Attachment, AttachmentKind, MAX_ATTACHMENTS, MAX_FILE_BYTES, MAX_TOTAL_BYTES, PDF, Source, bad,
    check_media_type,
};
use crate::error::LlmError;

/// Reads every `path` part of `messages` into inline data, or refuses the call: a path must
/// be absolute and, once symlinks are resolved, inside one of `allowed` (canonical
/// directories); a file outside is never opened. Also bounds the number of attachments and
/// keeps them to user turns.
pub fn resolve_paths(messages: &mut [Message], allowed: &[PathBuf]) -> Result<(), LlmError> {
    let count: usize = messages.iter().map(|m| m.attachments.len()).sum();
    if count > MAX_ATTACHMENTS {
        return Err(bad(format!(
            "{count} images and documents; the limit is {MAX_ATTACHMENTS} per call"
        )));
    }
    for (i, message) in messages.iter_mut().enumerate() {
        if message.role != Role::User && !message.attachments.is_empty() {
            return Err(bad(format!(
                "messages[{i}]: images and documents are taken in user turns only"
            )));
        }
        for attachment in &mut message.attachments {
            if let Source::Path { path, media_type } = &attachment.source {
                attachment.source =
                    read_file(attachment.kind, path, media_type.as_deref(), allowed)?;
            }
        }
    }
    let total: usize = messages
        .iter()
        .flat_map(|m| &m.attachments)
        .map(Attachment::data_bytes)
        .sum();
    if total > MAX_TOTAL_BYTES {
        return Err(bad(format!(
            "the images and documents hold {total} bytes; the limit is {} MB per call",
            MAX_TOTAL_BYTES >> 20
        )));
    }
    Ok(())
}

fn read_file(
    kind: AttachmentKind,
    path: &Path,
    media_type: Option<&str>,
    allowed: &[PathBuf],
) -> Result<Source, LlmError> {
    let shown = path.display();
    if allowed.is_empty() {
        return Err(bad(format!(
            "path {shown}: this server reads no files (the operator did not pass --allow-files DIR)"
        )));
    }
    if !path.is_absolute() {
        return Err(bad(format!("path {shown}: expected an absolute path")));
    }
    // Canonical, so `..` and symlinks cannot lead out of an allowed directory.
    let canonical = path
        .canonicalize()
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if !allowed.iter().any(|dir| canonical.starts_with(dir)) {
        return Err(bad(format!(
            "path {shown} is outside the directories this server may read (--allow-files)"
        )));
    }
    let media_type = match media_type {
        Some(m) => m.to_string(),
        None => guess_media_type(kind, &canonical).ok_or_else(|| {
            bad(format!(
                "path {shown}: give a media_type (the extension does not say)"
            ))
        })?,
    };
    check_media_type(kind, &media_type).map_err(bad)?;
    let file = std::fs::File::open(&canonical).map_err(|e| bad(format!("path {shown}: {e}")))?;
    // A directory on the way may have been swapped for a symlink since it was resolved:
    // what counts is where the open file is.
    if !opened_inside(&file, &canonical, allowed) {
        return Err(bad(format!(
            "path {shown} is outside the directories this server may read (--allow-files)"
        )));
    }
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(bad(format!("path {shown}: not a file")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("path {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(bad(format!(
            "path {shown} is over {} MB, the most this server reads",
            MAX_FILE_BYTES >> 20
        )));
    }
    if kind == AttachmentKind::Document && !bytes.starts_with(b"%PDF-") {
        return Err(bad(format!("path {shown}: not a PDF file")));
    }
    Ok(Source::Data {
        media_type,
        data: base64::engine::general_purpose::STANDARD.encode(&bytes),
    })
}

fn guess_media_type(kind: AttachmentKind, path: &Path) -> Option<String> {
    if kind == AttachmentKind::Document {
        return Some(PDF.into());
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let media_type = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    };
    Some(media_type.into())
}

/// Whether `file`, opened at `canonical`, is the file inside `allowed` that the path named.
/// On Linux the kernel says where the descriptor points (`/proc/self/fd`); elsewhere the path
/// is resolved again and must still be inside and name the same file (device and inode).
fn opened_inside(file: &std::fs::File, canonical: &Path, allowed: &[PathBuf]) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(actual) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return allowed.iter().any(|dir| actual.starts_with(dir));
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let again = canonical.canonicalize();
        let (Ok(opened), Ok(again)) = (file.metadata(), again) else {
            return false;
        };
        let Ok(named) = std::fs::metadata(&again) else {
            return false;
        };
        allowed.iter().any(|dir| again.starts_with(dir))
            && (opened.dev(), opened.ino()) == (named.dev(), named.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        canonical
            .canonicalize()
            .is_ok_and(|again| allowed.iter().any(|dir| again.starts_with(dir)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::allowed_dirs;
    use crate::error::ErrorKind;
    use serde_json::{Value, json};

    fn message(value: Value) -> Result<Message, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    fn path_message(path: &Path, kind: &str) -> Message {
        message(json!({"role": "user", "content": [{"type": kind, "path": path}, {"type": "text", "text": "?"}]}))
            .unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("llm-mcp-content-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_path_under_an_allowed_directory_is_read_as_data() {
        let dir = temp_dir("allowed");
        std::fs::write(dir.join("a.png"), b"foobar").unwrap();
        let allowed = allowed_dirs(std::slice::from_ref(&dir)).unwrap();
        let mut messages = vec![path_message(&dir.join("a.png"), "image")];
        resolve_paths(&mut messages, &allowed).unwrap();
        assert_eq!(
            messages[0].attachments[0].source,
            Source::Data {
                media_type: "image/png".into(),
                data: "Zm9vYmFy".into()
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn paths_outside_the_allowed_directories_are_refused_symlinks_included() {
        let dir = temp_dir("jail");
        let outside = temp_dir("outside");
        std::fs::write(outside.join("secret.png"), b"secret").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.png"), dir.join("link.png")).unwrap();
        let allowed = allowed_dirs(std::slice::from_ref(&dir)).unwrap();
        for path in [
            outside.join("secret.png"),
            dir.join("link.png"),
            dir.join("..")
                .join(outside.file_name().unwrap())
                .join("secret.png"),
        ] {
            let mut messages = vec![path_message(&path, "image")];
            let err = resolve_paths(&mut messages, &allowed).unwrap_err();
            assert_eq!(err.kind, ErrorKind::BadRequest);
            assert!(err.message.contains("outside the directories"), "{err}");
        }
        let mut none = vec![path_message(&outside.join("secret.png"), "image")];
        let err = resolve_paths(&mut none, &[]).unwrap_err();
        assert!(err.message.contains("--allow-files"), "{err}");
        let mut relative = vec![path_message(Path::new("a.png"), "image")];
        assert!(
            resolve_paths(&mut relative, &allowed)
                .unwrap_err()
                .message
                .contains("absolute")
        );
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn a_document_path_must_hold_a_pdf_and_attachments_stay_in_user_turns() {
        let dir = temp_dir("pdf");
        std::fs::write(dir.join("fake.pdf"), b"<html>").unwrap();
        let allowed = allowed_dirs(std::slice::from_ref(&dir)).unwrap();
        let mut messages = vec![path_message(&dir.join("fake.pdf"), "document")];
        let err = resolve_paths(&mut messages, &allowed).unwrap_err();
        assert!(err.message.contains("not a PDF"), "{err}");
        let mut assistant = path_message(&dir.join("fake.pdf"), "document");
        assistant.role = Role::Assistant;
        let err = resolve_paths(&mut [assistant], &allowed).unwrap_err();
        assert!(err.message.contains("user turns only"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_open_file_counts_where_it_is_not_where_its_path_was() {
        let root = std::env::temp_dir().join(format!("llm-mcp-opened-{}", std::process::id()));
        let (inside, outside) = (root.join("allowed"), root.join("other"));
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(inside.join("a.png"), b"in").unwrap();
        std::fs::write(outside.join("a.png"), b"out").unwrap();
        let allowed = allowed_dirs(std::slice::from_ref(&inside)).unwrap();
        let named = allowed[0].join("a.png");
        let good = std::fs::File::open(&named).unwrap();
        assert!(opened_inside(&good, &named, &allowed));
        // As if `allowed` had been swapped for a link to `other` between resolving and opening.
        let swapped = std::fs::File::open(outside.join("a.png")).unwrap();
        assert!(!opened_inside(&swapped, &named, &allowed));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
