//! A client's `tools/call` line read straight into rmcp's message.
//!
//! rmcp reads a request as a buffered JSON-RPC shape and then as `ClientRequest`, a union it
//! tries variant by variant: a `tools/call` fails the method of each kind listed before it,
//! each failure building an error message of its own, and then has its `params` buffered
//! once more for `_meta` (callgrind: a quarter of the supervisor's instructions per
//! passthrough call). A line that is exactly a `tools/call` request (`jsonrpc`, `id`,
//! `method`, `params` and nothing else) is read here into the message rmcp would make, its
//! `_meta` moved into the request's extensions as rmcp moves it; any other line, or one this
//! refuses, takes rmcp's own way, so what comes out is the same either way (the tests hold
//! the two paths to that).

use rmcp::RoleServer;
use rmcp::model::{
    CallToolRequest, CallToolRequestMethod, CallToolRequestParams, ClientRequest, Extensions,
    JsonRpcMessage, JsonRpcRequest, JsonRpcVersion2_0, RequestId,
};
use rmcp::service::RxJsonRpcMessage;
use serde::Deserialize;

/// `line` (without its newline) as rmcp would read it.
pub fn read(line: &[u8]) -> serde_json::Result<RxJsonRpcMessage<RoleServer>> {
    match tool_call(line) {
        Some(message) => Ok(message),
        None => serde_json::from_slice(line),
    }
}

/// A `tools/call` request and nothing else, read directly; `None` for any other line.
fn tool_call(line: &[u8]) -> Option<RxJsonRpcMessage<RoleServer>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Call {
        jsonrpc: JsonRpcVersion2_0,
        id: RequestId,
        method: CallToolRequestMethod,
        params: CallToolRequestParams,
    }
    let call: Call = serde_json::from_slice(line).ok()?;
    let mut params = call.params;
    // rmcp keeps a request's `_meta` in its extensions, never in its params.
    let mut extensions = Extensions::new();
    if let Some(meta) = params.meta.take() {
        extensions.insert(meta);
    }
    let mut request = CallToolRequest::new(params);
    request.method = call.method;
    request.extensions = extensions;
    Some(JsonRpcMessage::Request(JsonRpcRequest {
        jsonrpc: call.jsonrpc,
        id: call.id,
        request: ClientRequest::CallToolRequest(request),
    }))
}

#[cfg(test)]
mod tests;
