use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rmcp::model::{ClientRequest, JsonRpcMessage};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader, ReadBuf};

use super::outbox::QUEUE_BYTES;
use super::*;

const INIT: &str = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}";

/// The methods of the messages `input` yields, and every line written back.
async fn run(input: impl AsyncRead + Send + Unpin + 'static) -> (Vec<String>, Vec<Value>) {
    let (write, read) = tokio::io::duplex(1 << 20);
    let mut transport = Stdio::new(input, write);
    let mut methods = Vec::new();
    while let Some(message) = transport.receive().await {
        let message = serde_json::to_value(&message).unwrap();
        methods.push(message["method"].as_str().unwrap_or("response").to_string());
    }
    transport.close().await.unwrap();
    drop(transport);
    let mut replies = Vec::new();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        replies.push(serde_json::from_str(&line).unwrap());
    }
    (methods, replies)
}

#[tokio::test]
async fn notifications_and_responses_before_initialize_are_dropped() {
    let input = [
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}",
        INIT,
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
    ]
    .join("\n")
        + "\n";
    let (methods, replies) = run(Box::pin(std::io::Cursor::new(input.into_bytes()))).await;
    assert_eq!(
        methods,
        ["tools/list", "initialize", "notifications/initialized"]
    );
    assert!(replies.is_empty(), "{replies:?}");
}

#[tokio::test]
async fn a_stateless_request_starts_the_session() {
    let input = concat!(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}\n",
    );
    let (methods, _) = run(input.as_bytes()).await;
    assert_eq!(methods, ["tools/list", "notifications/cancelled"]);
}

/// Input that arrives one byte per read, so lines are judged across many reads.
struct Trickle(&'static [u8]);

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some((first, rest)) = self.0.split_first() {
            buf.put_slice(&[*first]);
            self.0 = rest;
        }
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn lines_split_across_reads_are_judged_whole() {
    let input = concat!(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
    );
    let (methods, _) = run(Trickle(input.as_bytes())).await;
    assert_eq!(methods, ["ping"]);
}

/// Every reply, by the id it carries (`None` when it carries none), and its error code.
fn codes(replies: &[Value]) -> Vec<(Option<Value>, i64)> {
    replies
        .iter()
        .map(|r| (r.get("id").cloned(), r["error"]["code"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn lines_rmcp_would_drop_are_answered_with_the_error_json_rpc_names() {
    let deep = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":\"deep\",\"method\":\"ping\",\"params\":{{\"x\":{}{}}}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let input = [
        INIT.to_string(),
        "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"ping\"}]".into(),
        "[]".into(),
        deep,
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\",\"params\":{\"x\":NaN}}".into(),
        "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{\"x\":1e999},\"id\":7.5}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\",\"params\":7}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}".into(),
        "not json".into(),
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/unknown\",\"params\":7}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":10,\"resulx\":{}}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":NaN}".into(),
        String::new(),
    ]
    .join("\n")
        + "\n";
    let (methods, replies) = run(Box::pin(std::io::Cursor::new(input.into_bytes()))).await;
    assert_eq!(methods, ["initialize", "ping"], "{replies:?}");
    assert_eq!(
        codes(&replies),
        [
            (Some(json!(5)), -32600),
            (Some(json!("b")), -32600),
            (None, -32600),
            (Some(json!("deep")), -32700),
            (Some(json!(6)), -32700),
            (Some(json!(7.5)), -32700),
            (Some(json!(8)), -32600),
            (Some(json!(9)), -32600),
            (None, -32700),
            (None, -32600),
            (None, -32700),
        ]
    );
    assert!(
        replies[7]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in flight")
    );
}

#[tokio::test]
async fn a_line_over_the_bound_is_answered_with_its_id_and_the_next_line_is_read() {
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":\"huge\",\"method\":\"ping\",\"params\":{{\"pad\":\"{}\"}}}}\n",
        "x".repeat(MAX_LINE)
    );
    let input = format!("{INIT}\n{huge}{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}}\n");
    let (methods, replies) = run(Box::pin(std::io::Cursor::new(input.into_bytes()))).await;
    assert_eq!(methods, ["initialize", "ping"]);
    assert_eq!(codes(&replies), [(Some(json!("huge")), -32600)]);
    assert!(
        replies[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16 MiB")
    );
}

#[test]
fn a_long_junk_line_before_initialize_is_judged_in_linear_time() {
    // Quadratic screening took seconds for 15 MiB; linear takes milliseconds. The bound is
    // loose for slow machines and debug builds, and far below the quadratic cost.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut input = vec![b'a'; 15 * 1024 * 1024];
    input.push(b'\n');
    let started = std::time::Instant::now();
    let (methods, replies) = runtime.block_on(async {
        let trickle = Chunks(input, 0);
        run(trickle).await
    });
    assert!(methods.is_empty());
    assert_eq!(codes(&replies), [(None, -32700)]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// Input in 8 KiB reads, as a pipe delivers it.
struct Chunks(Vec<u8>, usize);

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let at = self.1;
        let n = (self.0.len() - at).min(8192).min(buf.remaining());
        buf.put_slice(&self.0[at..at + n]);
        self.1 += n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn no_request_is_read_while_the_output_queue_is_full_and_stdin_eof_ends_the_session() {
    // A writer nobody reads: the queue fills and stays full.
    let (write, _unread) = tokio::io::duplex(1024);
    let (mut client, input) = tokio::io::duplex(1 << 16);
    let mut transport = Stdio::new(input, write);
    let ended = transport.ended();
    use tokio::io::AsyncWriteExt;
    client
        .write_all(format!("{INIT}\n").as_bytes())
        .await
        .unwrap();
    let Some(JsonRpcMessage::Request(init)) = transport.receive().await else {
        panic!("initialize")
    };
    assert!(matches!(init.request, ClientRequest::InitializeRequest(_)));
    // Answers of 1 MiB each: the first few are queued at once, then senders wait for room.
    for _ in 0..(QUEUE_BYTES / (1 << 20)) {
        let token = rmcp::model::ProgressToken(rmcp::model::NumberOrString::Number(1));
        let param = rmcp::model::ProgressNotificationParam::new(token, 1.0)
            .with_message("x".repeat(1 << 20));
        let note = rmcp::model::ServerNotification::ProgressNotification(
            rmcp::model::Notification::new(param),
        );
        let send = transport.send(JsonRpcMessage::notification(note));
        let _ = tokio::time::timeout(Duration::from_millis(50), send).await;
    }
    assert!(transport.outbox.full(), "{}", transport.outbox.waiting());
    client
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n")
        .await
        .unwrap();
    let held = tokio::time::timeout(Duration::from_millis(300), transport.receive()).await;
    assert!(held.is_err(), "a request was read while the queue was full");
    assert!(!ended.is_cancelled());
    drop(client);
    // Still full: EOF is seen only once there is room, as the pipe gives it in order.
    drop(_unread);
    let after = tokio::time::timeout(Duration::from_secs(5), async {
        while transport.receive().await.is_some() {}
    })
    .await;
    assert!(after.is_ok(), "the session did not end");
    assert!(ended.is_cancelled());
}

/// Panics in every `tools/list`.
struct Panicky;

impl rmcp::ServerHandler for Panicky {
    async fn list_tools(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: rmcp::service::RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListToolsResult, rmcp::ErrorData> {
        panic!("a handler that panics, on purpose");
    }
}

#[tokio::test]
async fn a_panicking_handler_is_answered_with_an_error_and_frees_its_slot() {
    use rmcp::ServiceExt;
    use tokio::io::AsyncWriteExt;
    let (mut client_in, server_in) = tokio::io::duplex(1 << 20);
    let (server_out, client_out) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        let running = Panicky.serve(Stdio::new(server_in, server_out)).await?;
        let _ = running.waiting().await;
        Ok::<(), rmcp::service::ServerInitializeError>(())
    });
    // More panicking requests than there are slots: had the panics kept theirs, reading
    // would stop at MAX_IN_FLIGHT and the rest would never be answered.
    let panics = MAX_IN_FLIGHT + 4;
    let mut input =
        format!("{INIT}\n{{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}}\n");
    for id in 0..panics {
        input += &format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"tools/list\"}}\n",
            100 + id
        );
    }
    input += "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
    client_in.write_all(input.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(client_out).lines();
    let mut errors = std::collections::BTreeSet::new();
    let mut pinged = false;
    let read_all = async {
        while errors.len() < panics || !pinged {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the server answers on");
            let reply: Value = serde_json::from_str(&line).unwrap();
            let id = reply["id"].as_u64().unwrap();
            if id >= 100 {
                assert_eq!(reply["error"]["code"], -32603, "{reply}");
                assert!(errors.insert(id), "answered twice: {reply}");
            } else if id == 2 {
                pinged = reply.get("result").is_some();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read_all)
        .await
        .expect("every request is answered");
    drop(client_in);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
}
