//! Answers for lines that are not one readable JSON-RPC message, which rmcp drops without a
//! word (so the client waits for ever): a parse error (-32700: not JSON, `NaN`, `1e999`,
//! nesting deeper than serde_json's 128 levels), an invalid request (-32600: a batch, a
//! message of the wrong shape, a line over the bound, an id already in flight). The id goes
//! back whenever one can be read, even from a line that does not parse.

use serde_json::{Value, json};

/// JSON-RPC 2.0's "Parse error".
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC 2.0's "Invalid Request".
pub const INVALID_REQUEST: i64 = -32600;

/// JSON-RPC 2.0's "Internal error".
pub const INTERNAL_ERROR: i64 = -32603;

/// An error response line (newline included); `id` omitted when it could not be read, as MCP
/// specifies.
pub fn error_line(id: Option<&Value>, code: i64, message: &str) -> Vec<u8> {
    let mut reply = json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}});
    if let Some(id) = id {
        reply["id"] = id.clone();
    }
    let mut line = reply.to_string().into_bytes();
    line.push(b'\n');
    line
}

/// An id a JSON-RPC client could have meant: a string or a number.
fn usable_id(id: &Value) -> Option<&Value> {
    (id.is_string() || id.is_number()).then_some(id)
}

/// The id of a parsed request, if it has a usable one. A message without a method is a
/// response (or nothing): an error must not look like the answer to a request of that id.
pub fn id_of(message: &Value) -> Option<&Value> {
    message.get("method")?;
    message.get("id").and_then(usable_id)
}

/// The error replies to a line serde_json could not read as a message: one per request of a
/// batch (there is no batch support in MCP since 2025-06-18), one for anything else.
pub fn replies(line: &[u8]) -> Vec<Vec<u8>> {
    let text = line.trim_ascii();
    if text.is_empty() {
        return Vec::new();
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Array(items)) => {
            let message = "Invalid Request: batches are not supported; send one message a line";
            let mut replies: Vec<_> = items
                .iter()
                .filter_map(id_of)
                .map(|id| error_line(Some(id), INVALID_REQUEST, message))
                .collect();
            if replies.is_empty() {
                replies.push(error_line(None, INVALID_REQUEST, message));
            }
            replies
        }
        Ok(message) => {
            let text = "Invalid Request: not a JSON-RPC 2.0 message MCP knows";
            vec![error_line(id_of(&message), INVALID_REQUEST, text)]
        }
        Err(err) => {
            let id = scan_id(text);
            let text = format!("Parse error: {err}");
            vec![error_line(id.as_ref(), PARSE_ERROR, &text)]
        }
    }
}

/// The reply to a line over the bound, which was not read.
pub fn oversized(prefix: &[u8], max: usize) -> Vec<u8> {
    let id = scan_id(prefix.trim_ascii_start());
    let text = format!(
        "Invalid Request: a message over {} MiB (the line bound) was not read",
        max / (1024 * 1024)
    );
    error_line(id.as_ref(), INVALID_REQUEST, &text)
}

/// The reply to a request whose id is already used by one in flight.
pub fn id_in_use(id: &Value) -> Vec<u8> {
    let text = format!("Invalid Request: id {id} is already used by a request in flight");
    error_line(Some(id), INVALID_REQUEST, &text)
}

/// The reply to a request whose handler panicked (JSON-RPC's "Internal error").
pub fn handler_panicked(id: &Value) -> Vec<u8> {
    let text = "Internal error: the server failed while handling this request (a panic, logged on its stderr)";
    error_line(Some(id), INTERNAL_ERROR, text)
}

/// The top-level `"id"` of a JSON object that may not parse (a `NaN` elsewhere, nesting too
/// deep, cut short), when it also has a `"method"` (it is a request): a single linear scan
/// over its keys, skipping values without parsing them.
pub fn scan_id(text: &[u8]) -> Option<Value> {
    let mut id = None;
    let mut method = false;
    scan_keys(text, |key, value| match key {
        "id" => id = serde_json::from_slice::<Value>(value).ok(),
        "method" => method = true,
        _ => {}
    });
    id.filter(|id| method && usable_id(id).is_some())
}

/// The top-level `"id"` of a response that may not parse (cut short at the line bound), when
/// it has no `"method"` (it is not a request or a notification).
pub fn scan_response_id(text: &[u8]) -> Option<Value> {
    let mut id = None;
    let mut method = false;
    scan_keys(text.trim_ascii_start(), |key, value| match key {
        "id" => id = serde_json::from_slice::<Value>(value).ok(),
        "method" => method = true,
        _ => {}
    });
    id.filter(|id| !method && usable_id(id).is_some())
}

/// Calls `each` with every top-level key and the text of its value, as far as they can be
/// read.
fn scan_keys(text: &[u8], mut each: impl FnMut(&str, &[u8])) {
    let mut at = skip_ws(text, 0);
    if text.get(at) != Some(&b'{') {
        return;
    }
    at += 1;
    let mut step = || -> Option<()> {
        at = skip_ws(text, at);
        let key_end = string_end(text, at)?;
        let key: String = serde_json::from_slice(&text[at..key_end]).ok()?;
        at = skip_ws(text, key_end);
        if text.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(text, at + 1);
        let value_end = value_end(text, at)?;
        each(&key, &text[at..value_end]);
        at = skip_ws(text, value_end);
        match text.get(at) {
            Some(b',') => {
                at += 1;
                Some(())
            }
            _ => None,
        }
    };
    while step().is_some() {}
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end (exclusive) of the string starting at `at`.
fn string_end(text: &[u8], at: usize) -> Option<usize> {
    if text.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end (exclusive) of the value starting at `at`: strings and brackets are matched
/// (without recursion, so any depth is fine).
fn value_end(text: &[u8], at: usize) -> Option<usize> {
    match text.get(at)? {
        b'"' => string_end(text, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = string_end(text, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        // A number or a word (`true`, `NaN`, `Infinity`, `1e999`): anything else is not a
        // value a client meant, and the scan stops.
        _ => {
            let token = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
            let end = text[at..]
                .iter()
                .position(|b| !token(b))
                .map_or(text.len(), |n| at + n);
            (end > at).then_some(end)
        }
    }
}
