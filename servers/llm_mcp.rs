//! `llm-mcp`: the parent command (`serve`, `call`, `smoke`).

use std::process::ExitCode;

use clap::Parser;

// One worker: a server waits on pipes and sockets, and a second worker only adds cross-thread
// wake-ups (measured by benches/bench.rs: less CPU per call and more calls per second).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    llm_mcp::cli::Cli::parse().run().await
}
