//! `llm-mcp`: the parent command (`serve`, `call`, `smoke`, `presets`, `backend`).

fn main() -> std::process::ExitCode {
    llm_mcp::run::cli_main()
}
