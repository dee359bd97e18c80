//! `llm-mcp-ollama`: Ollama's native chat API, as an MCP server on stdio. The same server as `llm-
//! mcp backend ollama` (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("ollama")
}
