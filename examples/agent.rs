//! A minimal tool-using agent on the llm-mcp client library.
//!
//! It spawns a backend server, offers the model one local tool, and loops: send the
//! conversation with `chat`, run the tools the model asks for, send their results back, until
//! the model answers in text. Against `llm-mcp-mock` it runs offline:
//!
//! ```sh
//! cargo build && cargo run --example agent                    # finds target/debug/llm-mcp-mock
//! cargo run --example agent -- llm-mcp-anthropic --model haiku # any backend binary on PATH
//! ```

// An example's output is its point.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use anyhow::{Context, bail};
use llm_mcp::client::{ChatRequest, LlmClient};
use llm_mcp::completion::{FinishReason, Message, Role, ToolCall, ToolSpec};
use serde_json::json;

/// The server to run: the arguments if any, else the mock built beside this example.
fn server_command() -> tokio::process::Command {
    let mut args = std::env::args().skip(1);
    let program = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        // target/debug/examples/agent -> target/debug/llm-mcp-mock
        let sibling = exe
            .parent()
            .and_then(|d| d.parent())
            .map(|d| d.join("llm-mcp-mock"));
        sibling
            .filter(|p| p.exists())
            .unwrap_or_else(|| "llm-mcp-mock".into())
    });
    let mut command = tokio::process::Command::new(program);
    command.args(args);
    command
}

/// The one tool this agent has: it runs here, in the agent, not in the server.
fn get_time_spec() -> ToolSpec {
    ToolSpec {
        name: "get_time".into(),
        description: Some("The current time in a city.".into()),
        input_schema: json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"]
        }),
    }
}

fn run_tool(call: &ToolCall) -> String {
    match call.name.as_str() {
        "get_time" => format!(
            "12:00 in {}",
            call.arguments["city"].as_str().unwrap_or("?")
        ),
        other => format!("error: no tool named {other}"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = LlmClient::spawn(server_command())
        .await
        .context("starting the server")?;
    if let Some(info) = client.server_info() {
        println!(
            "connected to {} {} (MCP {})",
            info.name, info.version, info.protocol_version
        );
    }
    // The mock calls a tool when the user says `call TOOLNAME`, filling string arguments with
    // the user's text; a real model would pass just the city.
    let mut messages = vec![Message::user("What time is it in Paris? call get_time")];
    for turn in 1..=5 {
        let request = ChatRequest::new(messages.clone())
            .tool(get_time_spec())
            .max_tokens(200);
        let record = client.chat(request).await?;
        println!(
            "turn {turn}: {} tokens, finish {:?}",
            record.tokens_used.unwrap_or(0),
            record.finish_reason
        );
        if record.finish_reason != FinishReason::ToolCalls {
            println!("answer: {}", record.output);
            client.close().await;
            return Ok(());
        }
        // The assistant turn exactly as the next call must send it back (with the provider's
        // state: thinking blocks, thought signatures).
        messages.push(record.message.clone());
        for call in &record.tool_calls {
            let result = run_tool(call);
            println!(
                "  tool {}({}) -> {result}",
                call.name,
                serde_json::Value::Object(call.arguments.clone())
            );
            messages.push(Message {
                role: Role::Tool,
                content: result,
                tool_call_id: Some(call.id.clone()),
                ..Message::default()
            });
        }
    }
    client.close().await;
    bail!("no answer after 5 turns")
}
