//! The task store on disk: one JSON file per task in one directory (`ID.json`), each
//! replaced whole on every change ([`crate::atomic_file`]), and an empty `ID.cancel` file
//! when a process other than the runner asks for a cancellation.

use std::path::{Path, PathBuf};

use super::record::TaskRecord;

/// A stored task file larger than this is refused as corrupt (results are bounded by the
/// calls' own output limits, far below it).
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// A directory of task files.
#[derive(Debug, Clone)]
pub(crate) struct DiskStore {
    dir: PathBuf,
}

/// Whether `id` is one this store could have made: 32 lowercase hex digits, so an id from a
/// client never names a path outside the directory.
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl DiskStore {
    /// The store in `dir`, created (0700) now when missing.
    pub fn open(dir: PathBuf) -> Result<Self, String> {
        crate::atomic_file::create_private_dir(&dir)
            .map_err(|err| format!("cannot create the task directory {}: {err}", dir.display()))?;
        Ok(Self { dir })
    }

    /// The store in `dir`, created (0700) by the first task, so a server no client asks for
    /// tasks leaves nothing behind.
    pub fn lazy(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: &str, extension: &str) -> PathBuf {
        self.dir.join(format!("{id}.{extension}"))
    }

    /// Writes `record` whole.
    pub async fn put(&self, record: &TaskRecord) -> Result<(), String> {
        let bytes = serde_json::to_vec(record).map_err(|err| err.to_string())?;
        let path = self.file(&record.id, "json");
        tokio::task::spawn_blocking(move || crate::atomic_file::write_private(&path, &bytes))
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| format!("{}: {}", err.what, err.source))
    }

    /// The task `id`, or `None` when there is none.
    pub async fn get(&self, id: &str) -> Result<Option<TaskRecord>, String> {
        if !valid_id(id) {
            return Ok(None);
        }
        read(&self.file(id, "json")).await
    }

    /// Drops the task `id` and its cancellation request.
    pub async fn remove(&self, id: &str) {
        let _ = tokio::fs::remove_file(self.file(id, "json")).await;
        let _ = tokio::fs::remove_file(self.file(id, "cancel")).await;
    }

    /// Asks the runner of `id`, whichever process it is, to cancel it.
    pub async fn request_cancel(&self, id: &str) -> Result<(), String> {
        let path = self.file(id, "cancel");
        tokio::task::spawn_blocking(move || crate::atomic_file::write_private(&path, b""))
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| format!("{}: {}", err.what, err.source))
    }

    /// Forgets a cancellation request for `id` (its task has ended).
    pub async fn clear_cancel(&self, id: &str) {
        let _ = tokio::fs::remove_file(self.file(id, "cancel")).await;
    }

    /// Whether a cancellation of `id` was asked for.
    pub async fn cancel_requested(&self, id: &str) -> bool {
        tokio::fs::try_exists(self.file(id, "cancel"))
            .await
            .unwrap_or(false)
    }

    /// The ids of the stored tasks.
    pub async fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(&self.dir).await else {
            return ids;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if valid_id(id) {
                ids.push(id.to_string());
            }
        }
        ids
    }
}

async fn read(path: &Path) -> Result<Option<TaskRecord>, String> {
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.len() > MAX_RECORD_BYTES => {
            return Err(format!(
                "{} is larger than {MAX_RECORD_BYTES} bytes",
                path.display()
            ));
        }
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("reading {}: {err}", path.display())),
    }
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("reading {}: {err}", path.display())),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|err| format!("{} is not a task record: {err}", path.display()))
}
