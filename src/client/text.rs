//! Words for messages: durations, command lines, a result's text, a failed handshake. A leaf:
//! it needs nothing else from the client, so every other client module may use it.

use rmcp::model::CallToolResult;

/// Seconds for messages: `30 s`, `0.5 s`.
pub(crate) fn seconds(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// A command line for messages: the program and its arguments (never its environment, which
/// may hold keys).
pub fn command_line(command: &tokio::process::Command) -> String {
    let std = command.as_std();
    std::iter::once(std.get_program())
        .chain(std.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why the handshake failed, in words: a server that exits early shows up as a broken pipe or
/// a closed connection, which says less than "it exited".
pub(crate) fn handshake_reason(err: rmcp::service::ClientInitializeError) -> String {
    use rmcp::service::ClientInitializeError as E;
    match err {
        E::ConnectionClosed(_) | E::TransportError { .. } => {
            "it exited or closed its stdout before answering initialize".into()
        }
        E::JsonRpcError(data) => format!("initialize was refused: {}", data.message),
        other => other.to_string(),
    }
}

/// The text blocks of a result, joined by newlines.
pub(crate) fn result_text(result: &CallToolResult) -> String {
    let texts: Vec<&str> = result
        .content
        .iter()
        .filter_map(|block| block.as_text())
        .map(|text| text.text.as_str())
        .collect();
    texts.join("\n")
}
