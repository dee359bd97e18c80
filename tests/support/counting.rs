//! A fake provider for load tests: answers every request by a plan chosen per request, counts
//! the requests it is working on at once, and notes when each request arrived.
//!
//! [`super::FakeProvider`] answers from a fixed script; here the answer is computed, so a test
//! can fail a share of 1,000 requests at random and check the concurrency a server allows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::http::read_request;

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Plan {
    /// 200 with this JSON body after the delay.
    Ok(Duration, Value),
    /// This status with this JSON body and headers, at once.
    Fail(u16, Value, Vec<(&'static str, &'static str)>),
    /// The connection is reset (RST) without any answer.
    Reset,
}

/// Picks the plan for the `n`th request (from 0, in arrival order).
pub type Planner = Box<dyn Fn(usize) -> Plan + Send + Sync>;

#[derive(Default)]
struct Counters {
    received: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    arrivals: Mutex<Vec<(Instant, Value)>>,
}

/// The running fake; it stops when dropped.
pub struct CountingFake {
    url: String,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl Drop for CountingFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingFake {
    /// Starts the fake on 127.0.0.1 with an OS-chosen port.
    pub async fn start(planner: Planner) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let counters: Arc<Counters> = Arc::default();
        let task = tokio::spawn(accept(listener, Arc::clone(&counters), Arc::new(planner)));
        Self {
            url,
            counters,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests received so far.
    pub fn received(&self) -> usize {
        self.counters.received.load(Ordering::SeqCst)
    }

    /// The most requests it was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.counters.max_in_flight.load(Ordering::SeqCst)
    }

    /// When each request arrived, with its JSON body (null when not JSON).
    pub fn arrivals(&self) -> Vec<(Instant, Value)> {
        self.counters.arrivals.lock().unwrap().clone()
    }
}

async fn accept(listener: TcpListener, counters: Arc<Counters>, planner: Arc<Planner>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve(stream, Arc::clone(&counters), Arc::clone(&planner)));
        while connections.try_join_next().is_some() {}
    }
}

async fn serve(mut stream: TcpStream, counters: Arc<Counters>, planner: Arc<Planner>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let n = counters.received.fetch_add(1, Ordering::SeqCst);
        let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let body = request.json.clone().unwrap_or(Value::Null);
        counters
            .arrivals
            .lock()
            .unwrap()
            .push((Instant::now(), body));
        let plan = planner(n);
        let keep = answer(&mut stream, plan).await;
        counters.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !keep {
            return;
        }
    }
}

/// Writes the answer; false when the connection is gone.
async fn answer(stream: &mut TcpStream, plan: Plan) -> bool {
    let (status, body, headers) = match plan {
        Plan::Reset => {
            let _ = stream.set_zero_linger();
            return false;
        }
        Plan::Ok(delay, body) => {
            tokio::time::sleep(delay).await;
            (200, body, Vec::new())
        }
        Plan::Fail(status, body, headers) => (status, body, headers),
    };
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    stream.write_all(head.as_bytes()).await.is_ok()
}
