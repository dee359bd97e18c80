//! `llm-mcp-anthropic`: the Anthropic Messages API, or any Anthropic-compatible endpoint, as an MCP
//! server on stdio. The same server as `llm-mcp backend anthropic` (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("anthropic")
}
