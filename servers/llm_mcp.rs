//! `llm-mcp`: the parent command (`serve`, `call`, `smoke`, `models`, `register`, `presets`, `backend`).

fn main() -> std::process::ExitCode {
    llm_mcp::cli::main()
}
