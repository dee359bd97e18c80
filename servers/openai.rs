//! `llm-mcp-openai`: OpenAI Chat Completions, and any OpenAI-compatible service through `--preset
//! NAME` or `--base-url`, as an MCP server on stdio. The same server as `llm-mcp backend openai`
//! (see `llm_mcp::registry`).

fn main() -> std::process::ExitCode {
    llm_mcp::registry::backend_main("openai")
}
