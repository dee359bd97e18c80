//! Requests whose method MCP defines but whose params do not fit it. rmcp 3.9 reads such a
//! request as a custom one and answers "method not found" (`-32601`, with the method as the
//! message), which tells a client that the server has no tools at all. They are invalid
//! params (`-32602`), saying what does not fit.

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CustomRequest, ErrorCode};

/// The request methods of the MCP specification (2025-11-25 and the tasks extension).
const MCP_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "tasks/get",
    "tasks/list",
    "tasks/cancel",
    "tasks/result",
];

/// The error for a request rmcp could not read as any method it serves.
pub fn answer(request: &CustomRequest) -> ErrorData {
    let method = request.method.as_str();
    if !MCP_METHODS.contains(&method) {
        return ErrorData::new(ErrorCode::METHOD_NOT_FOUND, method.to_string(), None);
    }
    let why = match (method, &request.params) {
        (_, None) => "the params are missing".to_string(),
        ("tools/call", Some(params)) => {
            serde_json::from_value::<CallToolRequestParams>(params.clone())
                .err()
                .map(|err| err.to_string())
                .unwrap_or_else(|| "they do not have the shape tools/call takes".to_string())
        }
        _ => format!("they do not have the shape {method} takes"),
    };
    ErrorData::new(
        ErrorCode::INVALID_PARAMS,
        format!("invalid params for {method}: {why}"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(method: &str, params: Option<serde_json::Value>) -> CustomRequest {
        CustomRequest::new(method, params)
    }

    #[test]
    fn a_misfit_tools_call_is_invalid_params_naming_the_field() {
        let error = answer(&request("tools/call", Some(json!({"name": 5}))));
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
        assert!(
            error.message.starts_with("invalid params for tools/call: "),
            "{}",
            error.message
        );
        assert!(error.message.contains("string"), "{}", error.message);
        let missing = answer(&request("tools/call", Some(json!({"arguments": {}}))));
        assert!(missing.message.contains("name"), "{}", missing.message);
    }

    #[test]
    fn an_unknown_method_is_still_method_not_found() {
        let error = answer(&request("no/such/method", None));
        assert_eq!(error.code, ErrorCode::METHOD_NOT_FOUND);
        assert_eq!(error.message, "no/such/method");
    }
}
