//! `llm-mcp-mock`: the offline, deterministic backend (no network, no key), as an MCP server on
//! stdio. The same server as `llm-mcp backend mock` (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("mock")
}
