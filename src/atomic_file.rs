//! Files replaced whole: a new file beside the old one, flushed, then renamed over it, so a
//! crash leaves the old contents or the new ones, never half of either. Used by the key vault
//! and the task store.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary names are unique per process and per write, so two writes of one path in one
/// process (a task's heartbeat and its end) never share a temporary file.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A failed write: which step (`writing TEMP`, `replacing PATH`, `creating DIR`) and why.
#[derive(Debug)]
pub struct WriteError {
    /// The file and operation.
    pub what: String,
    /// The underlying error.
    pub source: std::io::Error,
}

/// Writes `bytes` to a new file beside `path` (mode 0600; its directory created 0700 when
/// missing), flushes it and renames it over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|source| WriteError {
        what: format!("creating {}", dir.display()),
        source,
    })?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{file_name}.{}.{serial}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(WriteError {
            what: format!("writing {}", temp.display()),
            source,
        });
    }
    if let Err(source) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(WriteError {
            what: format!("replacing {}", path.display()),
            source,
        });
    }
    // The rename is durable once the directory is flushed (not possible on Windows).
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    Ok(())
}

/// Creates `dir` and its parents, readable by this user only (on Unix).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
