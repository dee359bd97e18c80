//! `llm-mcp-gemini`: Google Gemini's native generateContent API, as an MCP server on stdio. The
//! same server as `llm-mcp backend gemini` (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("gemini")
}
