//! Tool policy (issue 15): a child's `tools` and `exclude_tools` hide tools from `tools/list`
//! (whatever `expose` says) and from calls by name; and every listed tool carries a title and
//! annotations, with the recommended schema for tools without arguments.

use rmcp::model::{CallToolRequestParams, ErrorCode};
use serde_json::{Value, json};

use crate::supervisor::{Serve, mock, structured};

/// The error a call to `name` gets: a protocol error naming it, as for a name that never existed.
async fn refused(serve: &Serve, name: &str) -> rmcp::model::ErrorData {
    let params = CallToolRequestParams::new(name.to_string())
        .with_arguments(json!({}).as_object().cloned().unwrap());
    match serve.client.peer().call_tool(params).await {
        Err(rmcp::ServiceError::McpError(error)) => error,
        other => panic!("{name} must be refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_hidden_tool_is_not_listed_and_cannot_be_called_by_name() {
    let mut a = mock("a", 0);
    a["tools"] = json!(["complete", "status"]);
    let mut b = mock("b", 0);
    b["exclude_tools"] = json!(["status"]);
    let serve = Serve::start(json!({"mcpServers": {"a": a, "b": b}, "expose": ["*"]})).await;
    let tools = serve.client.peer().list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "a__complete",
            "a__status",
            "b__chat",
            "b__complete",
            "b__list_models",
            "compare",
            "complete",
            "providers",
            "restart",
            "status"
        ]
    );
    for hidden in ["a__chat", "a__list_models", "b__status"] {
        let error = refused(&serve, hidden).await;
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{error:?}");
        assert!(error.message.contains(&format!("{hidden:?}")), "{error:?}");
    }
    // What the policy keeps still works, and `providers` shows only that.
    let status = serve.call("a__status", json!({})).await;
    assert_eq!(structured(&status)["provider"], "a");
    assert_eq!(
        serve.provider("a").await["tools"],
        json!(["complete", "status"])
    );
    assert!(
        !serve.provider("b").await["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("status"))
    );
    serve.close().await;
}

/// Every tool of the supervisor and of a backend has a title and the four hints set as the
/// tool behaves; a tool without arguments accepts only the empty object.
#[tokio::test]
async fn every_tool_has_a_title_and_honest_annotations() {
    let serve = Serve::start(json!({"mcpServers": {"a": mock("a", 0)}, "expose": ["*"]})).await;
    let tools = serve.client.peer().list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 9);
    let hints = |name: &str| -> Value {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        assert!(
            tool.title.as_deref().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        serde_json::to_value(tool.annotations.clone().unwrap()).unwrap()
    };
    let generates = json!({"readOnlyHint": false, "destructiveHint": false,
        "idempotentHint": false, "openWorldHint": true});
    for name in ["complete", "compare", "a__complete", "a__chat"] {
        assert_eq!(hints(name), generates, "{name}");
    }
    for name in ["a__status", "a__list_models"] {
        assert_eq!(
            hints(name),
            json!({"readOnlyHint": true, "openWorldHint": true})
        );
    }
    assert_eq!(
        hints("providers"),
        json!({"readOnlyHint": true, "openWorldHint": false})
    );
    assert_eq!(hints("restart")["destructiveHint"], true);
    assert_eq!(hints("status"), hints("providers"));
    for name in ["providers", "status", "a__status", "a__list_models"] {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        assert_eq!(
            Value::Object((*tool.input_schema).clone()),
            json!({"type": "object", "additionalProperties": false}),
            "{name}"
        );
    }
    serve.close().await;
}
