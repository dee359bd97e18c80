use std::sync::{Arc, Mutex};

use super::*;

/// What a waiter was told: the answer line, "timeout N s" or "gone".
type Told = Arc<Mutex<Vec<String>>>;

struct Record(Told);

impl Waiter for Record {
    fn done(self: Box<Self>, outcome: Outcome<'_>) {
        let told = match outcome {
            Outcome::Plain(plain) => {
                format!("plain {}", String::from_utf8_lossy(&plain.with_id("1")))
            }
            Outcome::Answered(line) => String::from_utf8_lossy(line).into_owned(),
            Outcome::TimedOut(timeout) => format!("timeout {} s", timeout.as_secs()),
            Outcome::Gone => "gone".into(),
        };
        self.0.lock().unwrap().push(told);
    }
}

fn bypass(capacity: usize) -> (Bypass, mpsc::Receiver<Vec<u8>>, Told) {
    let (lines, queue) = mpsc::channel(capacity);
    (Bypass::new(lines), queue, Told::default())
}

fn sent(queue: &mut mpsc::Receiver<Vec<u8>>) -> String {
    String::from_utf8(queue.try_recv().expect("a line was sent")).unwrap()
}

#[tokio::test]
async fn an_answer_with_its_id_reaches_its_waiter_once_and_others_go_to_rmcp() {
    let (bypass, mut queue, told) = bypass(8);
    let line = |id: &str| format!("{{\"id\":{id}}}\n").into_bytes();
    let waiter = Box::new(Record(told.clone()));
    bypass.send(line, Duration::from_secs(60), waiter).unwrap();
    assert_eq!(sent(&mut queue), "{\"id\":\"bypass-0\"}\n");

    // rmcp's own lines (numeric ids, requests of the server's, ids spelled otherwise).
    assert!(!bypass.claim(br#"{"jsonrpc":"2.0","id":0,"result":{}}"#));
    assert!(!bypass.claim(br#"{"jsonrpc":"2.0","id":"bypass-0","method":"ping"}"#));
    assert!(!bypass.claim(br#"{"jsonrpc":"2.0","id":"bypass-00","result":{}}"#));
    assert!(!bypass.claim(b"not json"));
    assert!(told.lock().unwrap().is_empty());

    let answer = br#"{"jsonrpc":"2.0","id":"bypass\u002d0","result":{"content":[]}}"#;
    assert!(bypass.claim(answer));
    // A second answer to the same call is taken and dropped.
    assert!(bypass.claim(answer));
    // An answer that is not plain reaches its waiter as the line it is.
    let waiter = Box::new(Record(told.clone()));
    bypass.send(line, Duration::from_secs(60), waiter).unwrap();
    assert_eq!(sent(&mut queue), "{\"id\":\"bypass-1\"}\n");
    let other = br#"{"jsonrpc":"2.0","id":"bypass-1","result":{"tools":[]}}"#;
    assert!(bypass.claim(other));
    let told = told.lock().unwrap();
    assert_eq!(
        *told,
        [
            "plain {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}\n",
            std::str::from_utf8(other).unwrap(),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_past_its_timeout_is_told_and_the_server_is_told_to_cancel() {
    let (bypass, mut queue, told) = bypass(8);
    let line = |id: &str| id.as_bytes().to_vec();
    let long = Box::new(Record(told.clone()));
    bypass.send(line, Duration::from_secs(600), long).unwrap();
    // A shorter call sent later comes due first: the timer is woken for it.
    let short = Box::new(Record(told.clone()));
    bypass.send(line, Duration::from_secs(5), short).unwrap();
    assert_eq!(sent(&mut queue), "\"bypass-0\"");
    assert_eq!(sent(&mut queue), "\"bypass-1\"");

    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(*told.lock().unwrap(), ["timeout 5 s"]);
    let cancel: serde_json::Value = serde_json::from_str(&sent(&mut queue)).unwrap();
    assert_eq!(cancel["method"], "notifications/cancelled");
    assert_eq!(cancel["params"]["requestId"], "bypass-1");
    // Its late answer is dropped; the other call still waits.
    assert!(bypass.claim(br#"{"id":"bypass-1","result":{}}"#));
    assert_eq!(told.lock().unwrap().len(), 1);

    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(*told.lock().unwrap(), ["timeout 5 s", "timeout 600 s"]);
}

#[tokio::test]
async fn gone_tells_every_waiter_and_takes_no_more_calls() {
    let (bypass, _queue, told) = bypass(8);
    let line = |id: &str| id.as_bytes().to_vec();
    for _ in 0..3 {
        let waiter = Box::new(Record(told.clone()));
        bypass.send(line, Duration::from_secs(60), waiter).unwrap();
    }
    bypass.gone();
    assert_eq!(*told.lock().unwrap(), ["gone", "gone", "gone"]);
    let waiter = Box::new(Record(told.clone()));
    assert!(bypass.send(line, Duration::from_secs(60), waiter).is_none());
}

#[tokio::test]
async fn a_full_stdin_queue_declines_and_a_cancelled_call_is_never_told() {
    let (bypass, mut queue, told) = bypass(1);
    let line = |id: &str| id.as_bytes().to_vec();
    let first = Box::new(Record(told.clone()));
    let ticket = bypass.send(line, Duration::from_secs(60), first).unwrap();
    let second = Box::new(Record(told.clone()));
    assert!(bypass.send(line, Duration::from_secs(60), second).is_none());

    assert_eq!(sent(&mut queue), "\"bypass-0\"");
    ticket.cancel("cancelled by the client");
    let cancel: serde_json::Value = serde_json::from_str(&sent(&mut queue)).unwrap();
    assert_eq!(cancel["params"]["requestId"], "bypass-0");
    assert!(bypass.claim(br#"{"id":"bypass-0","result":{}}"#));
    assert!(told.lock().unwrap().is_empty());
}
