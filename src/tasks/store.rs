//! Where the tasks are kept: a directory (the default), or Redis (`--redis`), shared by
//! replicas. Both answer the same operations; [`super::manager::Tasks`] does not know which.

use super::disk::DiskStore;
use super::record::TaskRecord;
use super::redis::RedisStore;

/// The store of one server's tasks.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// One file per task in a directory.
    Disk(DiskStore),
    /// Keys in Redis, shared by every replica.
    Redis(RedisStore),
}

impl Store {
    /// Where the tasks are, for messages.
    pub fn location(&self) -> String {
        match self {
            Self::Disk(disk) => disk.dir().display().to_string(),
            Self::Redis(redis) => redis.location(),
        }
    }

    /// Writes `record` whole.
    pub async fn put(&self, record: &TaskRecord) -> Result<(), String> {
        match self {
            Self::Disk(disk) => disk.put(record).await,
            Self::Redis(redis) => redis.put(record).await,
        }
    }

    /// The task `id` (already checked to be a valid id), or `None` when there is none.
    pub async fn get(&self, id: &str) -> Result<Option<TaskRecord>, String> {
        match self {
            Self::Disk(disk) => disk.get(id).await,
            Self::Redis(redis) => redis.get(id).await,
        }
    }

    /// Drops the task `id` and its cancellation request.
    pub async fn remove(&self, id: &str) {
        match self {
            Self::Disk(disk) => disk.remove(id).await,
            Self::Redis(redis) => redis.remove(id).await,
        }
    }

    /// Asks the runner of `id`, whichever process it is, to cancel it.
    pub async fn request_cancel(&self, id: &str) -> Result<(), String> {
        match self {
            Self::Disk(disk) => disk.request_cancel(id).await,
            Self::Redis(redis) => redis.request_cancel(id).await,
        }
    }

    /// Forgets a cancellation request for `id`.
    pub async fn clear_cancel(&self, id: &str) {
        match self {
            Self::Disk(disk) => disk.clear_cancel(id).await,
            Self::Redis(redis) => redis.clear_cancel(id).await,
        }
    }

    /// Whether a cancellation of `id` was asked for.
    pub async fn cancel_requested(&self, id: &str) -> bool {
        match self {
            Self::Disk(disk) => disk.cancel_requested(id).await,
            Self::Redis(redis) => redis.cancel_requested(id).await,
        }
    }

    /// The ids of the stored tasks (a store that cannot be read is an error, never "none").
    pub async fn ids(&self) -> Result<Vec<String>, String> {
        match self {
            Self::Disk(disk) => Ok(disk.ids().await),
            Self::Redis(redis) => redis.ids().await,
        }
    }
}
