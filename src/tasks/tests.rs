use std::time::Duration;

use rmcp::model::{TaskPayload, TaskStatus};

use super::disk::{DiskStore, valid_id};
use super::manager::Tasks;
use super::record::{TaskRecord, now_ms};
use super::store::Store;

fn store(name: &str) -> DiskStore {
    let dir = std::env::temp_dir().join(format!("llm-mcp-task-unit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    DiskStore::open(dir).unwrap()
}

const ID: &str = "00112233445566778899aabbccddeeff";

#[test]
fn ids_are_32_lowercase_hex_digits_and_nothing_else() {
    assert!(valid_id(ID));
    for bad in [
        "",
        "../x",
        "00112233445566778899AABBCCDDEEFF",
        &format!("{ID}0"),
    ] {
        assert!(!valid_id(bad), "{bad}");
    }
}

#[test]
fn retention_counts_from_the_end_not_the_start() {
    let mut record = TaskRecord::working(ID.into());
    record.created_ms -= 3_600_000;
    assert!(
        !record.expired(now_ms(), Duration::from_secs(1)),
        "a working task never expires"
    );
    record.finish(TaskStatus::Completed, Some(Default::default()), None);
    assert!(!record.expired(now_ms(), Duration::from_secs(60)));
    assert!(record.expired(now_ms() + 61_000, Duration::from_secs(60)));
    let wire = record.detailed(Duration::from_secs(60), Duration::from_millis(500));
    assert!(
        wire.task.ttl_ms.unwrap() >= 3_600_000 + 60_000,
        "{:?}",
        wire.task.ttl_ms
    );
}

#[tokio::test]
async fn a_working_task_nobody_refreshes_is_reported_failed() {
    let store = store("abandoned");
    let mut record = TaskRecord::working(ID.into());
    record.updated_ms -= 60_000;
    store.put(&record).await.unwrap();
    let tasks = Tasks::new(Store::Disk(store.clone()), Duration::from_secs(60));
    let got = tasks.get(ID).await.unwrap();
    let TaskPayload::Failed { error } = &got.task.payload else {
        panic!("{got:?}");
    };
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("stopped before it finished")
    );
    // And it stays failed: the verdict is stored.
    let stored = store.get(ID).await.unwrap().unwrap();
    assert_eq!(stored.status, TaskStatus::Failed);
    // A recently refreshed one is still working.
    let fresh = "ffeeddccbbaa99887766554433221100";
    store.put(&TaskRecord::working(fresh.into())).await.unwrap();
    assert_eq!(
        tasks.get(fresh).await.unwrap().task.status(),
        TaskStatus::Working
    );
}

#[tokio::test]
async fn a_cancellation_for_a_task_of_another_process_is_left_for_its_runner() {
    let store = store("remote-cancel");
    store.put(&TaskRecord::working(ID.into())).await.unwrap();
    let tasks = Tasks::new(Store::Disk(store.clone()), Duration::from_secs(60));
    assert!(!store.cancel_requested(ID).await);
    tasks.cancel(ID).await.unwrap();
    assert!(store.cancel_requested(ID).await);
}
