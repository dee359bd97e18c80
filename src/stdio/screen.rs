//! The screen on a server's input before the session starts.
//!
//! rmcp 3.9 ends the session when a notification or a response arrives before the session has
//! started ("expect initialized request"), which would turn a client's early
//! `notifications/initialized` into a dead server. The reader drops those until a request
//! starts the session (a well-formed `initialize`, or any request of the stateless 2026-07-28
//! lifecycle, which carries its protocol version in `_meta`); from then on lines pass
//! straight through. Each line is judged once, as a whole.

/// What to do with a line read before the session started.
#[derive(Debug, PartialEq, Eq)]
pub enum Judged {
    /// It starts the session: pass it and every line after it.
    Starts,
    /// A notification or a response: drop it (rmcp would end the session).
    Drop,
    /// A request rmcp answers or garbage the reader answers: pass it.
    Pass,
}

/// Judges one whole line (parsed once).
pub fn judge(line: &[u8]) -> Judged {
    let Ok(serde_json::Value::Object(message)) = serde_json::from_slice(line.trim_ascii()) else {
        return Judged::Pass;
    };
    let request =
        message.contains_key("method") && message.get("id").is_some_and(|id| !id.is_null());
    if !request {
        return Judged::Drop;
    }
    if starts_session(&message) {
        Judged::Starts
    } else {
        Judged::Pass
    }
}

/// A request that starts the session: a well-formed `initialize` (rmcp stays before the
/// handshake after one it cannot read), or a request carrying the stateless lifecycle's
/// protocol version.
fn starts_session(message: &serde_json::Map<String, serde_json::Value>) -> bool {
    let params = message.get("params");
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(params?, |value, key| value.get(*key))
            .cloned()
    };
    let initialize = message.get("method").and_then(|m| m.as_str()) == Some("initialize")
        && field(&["protocolVersion"]).is_some_and(|v| v.is_string())
        && field(&["capabilities"]).is_some_and(|v| v.is_object())
        && field(&["clientInfo", "name"]).is_some_and(|v| v.is_string())
        && field(&["clientInfo", "version"]).is_some_and(|v| v.is_string());
    initialize || field(&["_meta", "io.modelcontextprotocol/protocolVersion"]).is_some()
}
