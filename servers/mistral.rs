//! `llm-mcp-mistral`: Mistral La Plateforme's chat completions API, as an MCP server on stdio. The
//! same server as `llm-mcp backend mistral` (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("mistral")
}
