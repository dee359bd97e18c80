//! A fake LLM provider: a small HTTP/1.1 server on 127.0.0.1:0 that answers from a script.
//!
//! Tests script replies per path ([`FakeProvider::push`] for one-shot replies in order,
//! [`FakeProvider::fallback`] for the reply once the queue is empty), or compute them from the
//! request ([`FakeProvider::compute`], for load tests that fail a share of 1,000 requests), then
//! read back what the binary sent ([`FakeProvider::requests`], each with its arrival time), how
//! many requests it had open at once ([`FakeProvider::max_in_flight`]), and whether it hung up
//! before its answer was written ([`FakeProvider::wait_disconnects`]). Connections are kept
//! alive, as real providers do, so a retry may arrive on the same connection as the first
//! attempt.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::http::{RecordedRequest, read_request};

/// How a reply ends once its head and (part of its) body are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The whole body is written and the connection stays open for the next request.
    Complete,
    /// Half the body is written, then the connection is closed cleanly (FIN).
    CloseMidBody,
    /// Half the body is written, then the connection is reset (RST).
    ResetMidBody,
    /// Half the body is written, then nothing more, ever.
    HangMidBody,
    /// Nothing at all is written: the request is read and never answered.
    HangBeforeHead,
    /// Nothing at all is written: the connection is reset (RST) at once.
    ResetBeforeHead,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    head_delay: Duration,
    mid_body_pause: Option<Duration>,
    /// When set, the body is sent with chunked encoding, each chunk after its delay.
    chunks: Option<Vec<(Duration, Vec<u8>)>>,
    ending: Ending,
}

impl Reply {
    /// A JSON reply with `status`.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::raw(status, "application/json", body.to_string().into_bytes())
    }

    /// A reply with any content type and body.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            head_delay: Duration::ZERO,
            mid_body_pause: None,
            chunks: None,
            ending: Ending::Complete,
        }
    }

    /// A reply that never comes: the fake reads the request and waits for the client to leave.
    pub fn hang() -> Self {
        Self::raw(200, "application/json", Vec::new()).ending(Ending::HangBeforeHead)
    }

    /// No answer: the connection is reset (RST) as soon as the request is read.
    pub fn reset() -> Self {
        Self::raw(200, "application/json", Vec::new()).ending(Ending::ResetBeforeHead)
    }

    /// A chunked (streaming) reply, e.g. server-sent events: each piece after its delay.
    pub fn chunked(status: u16, content_type: &str, pieces: Vec<(Duration, String)>) -> Self {
        let mut reply = Self::raw(status, content_type, Vec::new());
        reply.chunks = Some(
            pieces
                .into_iter()
                .map(|(d, s)| (d, s.into_bytes()))
                .collect(),
        );
        reply
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Waits `delay` before writing the status line and headers.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.head_delay = delay;
        self
    }

    /// Writes half the body, waits `pause`, then writes the rest.
    pub fn pause_mid_body(mut self, pause: Duration) -> Self {
        self.mid_body_pause = Some(pause);
        self
    }

    /// Sets how the reply ends (see [`Ending`]).
    pub fn ending(mut self, ending: Ending) -> Self {
        self.ending = ending;
        self
    }
}

/// Computes the reply to a request from its index (from 0, in arrival order, over all paths)
/// and the request itself.
pub type ReplyFn = dyn Fn(usize, &RecordedRequest) -> Reply + Send + Sync;

/// What the fake saw, shared between its tasks and the test.
#[derive(Default)]
struct State {
    queues: HashMap<String, VecDeque<Reply>>,
    computed: Option<Arc<ReplyFn>>,
    fallbacks: HashMap<String, Reply>,
    requests: Vec<RecordedRequest>,
}

/// The running fake; it stops when dropped.
pub struct FakeProvider {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    in_flight: Arc<InFlight>,
    received: watch::Receiver<usize>,
    disconnects: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counters the connection tasks bump.
#[derive(Clone)]
struct Signals {
    received: Arc<watch::Sender<usize>>,
    disconnects: Arc<watch::Sender<usize>>,
    in_flight: Arc<InFlight>,
}

/// Requests read and not yet answered (or given up on), now and at most.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl FakeProvider {
    /// Starts a fake on 127.0.0.1 with an OS-chosen port and nothing scripted.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let (received_tx, received) = watch::channel(0);
        let (disconnects_tx, disconnects) = watch::channel(0);
        let in_flight: Arc<InFlight> = Arc::default();
        let signals = Signals {
            received: Arc::new(received_tx),
            disconnects: Arc::new(disconnects_tx),
            in_flight: Arc::clone(&in_flight),
        };
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), signals));
        Self {
            addr,
            state,
            in_flight,
            received,
            disconnects,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues `reply` as the next answer to requests for `path` (query ignored).
    pub fn push(&self, path: &str, reply: Reply) {
        let mut state = self.state.lock().unwrap();
        state
            .queues
            .entry(path.into())
            .or_default()
            .push_back(reply);
    }

    /// Computes the answer to every request whose path has nothing queued, before any
    /// fallback: `reply(n, request)` for the `n`th request received (from 0, over all paths).
    pub fn compute(
        &self,
        reply: impl Fn(usize, &RecordedRequest) -> Reply + Send + Sync + 'static,
    ) {
        self.state.lock().unwrap().computed = Some(Arc::new(reply));
    }

    /// The answer for `path` whenever its queue is empty.
    pub fn fallback(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .fallbacks
            .insert(path.into(), reply);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests received for `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until at least `n` requests arrived; false on timeout.
    pub async fn wait_requests(&self, n: usize, timeout: Duration) -> bool {
        wait_count(self.received.clone(), n, timeout).await
    }

    /// Waits until clients hung up on at least `n` replies before they were fully written;
    /// false on timeout.
    pub async fn wait_disconnects(&self, n: usize, timeout: Duration) -> bool {
        wait_count(self.disconnects.clone(), n, timeout).await
    }

    /// How many requests were received so far.
    pub fn received(&self) -> usize {
        *self.received.borrow()
    }

    /// The most requests that were read and not yet answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.max.load(Ordering::SeqCst)
    }

    /// How many replies clients hung up on so far.
    pub fn disconnects(&self) -> usize {
        *self.disconnects.borrow()
    }
}

async fn wait_count(mut rx: watch::Receiver<usize>, n: usize, timeout: Duration) -> bool {
    tokio::time::timeout(timeout, rx.wait_for(|count| *count >= n))
        .await
        .is_ok_and(|r| r.is_ok())
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, signals: Signals) {
    // Dropping this set (when the fake is dropped) aborts every connection task.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(
            stream,
            Arc::clone(&state),
            signals.clone(),
        ));
        while connections.try_join_next().is_some() {}
    }
}

/// Serves requests on one connection until the client closes it or a reply ends it.
async fn serve_connection(mut stream: TcpStream, state: Arc<Mutex<State>>, signals: Signals) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let now = signals.in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
        signals.in_flight.max.fetch_max(now, Ordering::SeqCst);
        let reply = {
            let mut state = state.lock().unwrap();
            let reply = pick_reply(&mut state, &request);
            state.requests.push(request);
            reply
        };
        signals.received.send_modify(|n| *n += 1);
        let outcome = write_reply(&mut stream, &reply).await;
        signals.in_flight.now.fetch_sub(1, Ordering::SeqCst);
        match outcome {
            Outcome::KeepAlive => continue,
            Outcome::Closed => return,
            Outcome::ClientLeft => {
                signals.disconnects.send_modify(|n| *n += 1);
                return;
            }
        }
    }
}

fn pick_reply(state: &mut State, request: &RecordedRequest) -> Reply {
    let path = request.path.as_str();
    if let Some(reply) = state.queues.get_mut(path).and_then(VecDeque::pop_front) {
        return reply;
    }
    if let Some(compute) = &state.computed {
        return compute(state.requests.len(), request);
    }
    state.fallbacks.get(path).cloned().unwrap_or_else(|| {
        let body = serde_json::json!({"error": {"message": format!("fake provider: nothing scripted for {path}")}});
        Reply::json(404, &body)
    })
}

enum Outcome {
    KeepAlive,
    Closed,
    ClientLeft,
}

/// Sleeps `delay` unless the client hangs up first (then true).
async fn client_leaves_during(stream: &mut TcpStream, delay: Option<Duration>) -> bool {
    let mut scratch = [0u8; 1024];
    let sleep = async {
        match delay {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return false,
            read = stream.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return true,
                // A client does not send while it waits for an answer; ignore stray bytes.
                Ok(_) => {}
            },
        }
    }
}

fn head(reply: &Reply, length: Option<usize>) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    match length {
        Some(n) => text.push_str(&format!("content-length: {n}\r\n")),
        None => text.push_str("transfer-encoding: chunked\r\n"),
    }
    text.push_str("\r\n");
    text.into_bytes()
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> Outcome {
    match reply.ending {
        Ending::HangBeforeHead => {
            client_leaves_during(stream, None).await;
            return Outcome::ClientLeft;
        }
        Ending::ResetBeforeHead => {
            let _ = stream.set_zero_linger();
            return Outcome::Closed;
        }
        _ => {}
    }
    if !reply.head_delay.is_zero() && client_leaves_during(stream, Some(reply.head_delay)).await {
        return Outcome::ClientLeft;
    }
    if let Some(chunks) = &reply.chunks {
        return write_chunks(stream, reply, chunks).await;
    }
    let half = reply.body.len() / 2;
    let (first, rest) = reply.body.split_at(half);
    let mut out = head(reply, Some(reply.body.len()));
    out.extend_from_slice(first);
    if stream.write_all(&out).await.is_err() {
        return Outcome::ClientLeft;
    }
    match reply.ending {
        Ending::CloseMidBody => {
            let _ = stream.shutdown().await;
            return Outcome::Closed;
        }
        Ending::ResetMidBody => {
            let _ = stream.set_zero_linger();
            return Outcome::Closed;
        }
        Ending::HangMidBody => {
            client_leaves_during(stream, None).await;
            return Outcome::ClientLeft;
        }
        Ending::Complete | Ending::HangBeforeHead | Ending::ResetBeforeHead => {}
    }
    if let Some(pause) = reply.mid_body_pause
        && client_leaves_during(stream, Some(pause)).await
    {
        return Outcome::ClientLeft;
    }
    if stream.write_all(rest).await.is_err() {
        return Outcome::ClientLeft;
    }
    Outcome::KeepAlive
}

async fn write_chunks(
    stream: &mut TcpStream,
    reply: &Reply,
    chunks: &[(Duration, Vec<u8>)],
) -> Outcome {
    if stream.write_all(&head(reply, None)).await.is_err() {
        return Outcome::ClientLeft;
    }
    for (delay, piece) in chunks {
        if !delay.is_zero() && client_leaves_during(stream, Some(*delay)).await {
            return Outcome::ClientLeft;
        }
        let mut out = format!("{:x}\r\n", piece.len()).into_bytes();
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
        if stream.write_all(&out).await.is_err() {
            return Outcome::ClientLeft;
        }
    }
    match reply.ending {
        Ending::Complete => {
            if stream.write_all(b"0\r\n\r\n").await.is_err() {
                return Outcome::ClientLeft;
            }
            Outcome::KeepAlive
        }
        Ending::CloseMidBody => {
            let _ = stream.shutdown().await;
            Outcome::Closed
        }
        Ending::ResetMidBody | Ending::ResetBeforeHead => {
            let _ = stream.set_zero_linger();
            Outcome::Closed
        }
        Ending::HangMidBody | Ending::HangBeforeHead => {
            client_leaves_during(stream, None).await;
            Outcome::ClientLeft
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
