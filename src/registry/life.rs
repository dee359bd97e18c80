//! The life of a backend process: its `main`, its configuration resolved once, the notice
//! for a person at a terminal, then MCP on stdio until the client closes stdin, or over
//! Streamable HTTP (`--listen`) until SIGTERM or SIGINT.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::BackendInfo;
use crate::backend::Backend;
use crate::config::{CommonArgs, Profile, ServerConfig};
use crate::run::{init_logging, serve_stdio, terminated};
use crate::server::LlmServer;

/// The whole `main` of the dedicated binary of the backend called `name` (see
/// [`super::BACKENDS`]): its command line, its runtime, its life.
pub fn backend_main(name: &str) -> ExitCode {
    let Some(backend) = super::find(name) else {
        init_logging();
        tracing::error!(
            "no backend called {name}; one of {}",
            super::names().join(", ")
        );
        return ExitCode::from(2);
    };
    crate::run::block_on(backend.run(std::env::args_os().collect(), backend.binary.to_string()))
}

/// What a backend says on stderr when a person runs it in a terminal, where it would
/// otherwise wait silently for JSON-RPC.
pub(crate) fn terminal_notice(backend: &BackendInfo) -> String {
    format!(
        "{binary}: an MCP server on stdin/stdout, waiting for an MCP client (Ctrl-D ends it).\n\
         Try it from a shell:   llm-mcp call \"hello\" -- {binary}\n\
         or in the MCP Inspector: npx @modelcontextprotocol/inspector {binary}\n\
         Flags and variables:   {binary} --help",
        binary = backend.binary
    )
}

/// The life of a backend: resolve `args` against `profile` and the process environment,
/// build the backend with `make`, serve it on stdio. Configuration errors are logged (stderr,
/// like every log line) and end the process with exit code 2.
pub(crate) async fn run_backend<B: Backend>(
    info: &BackendInfo,
    args: &CommonArgs,
    profile: Profile,
    make: impl FnOnce(&ServerConfig) -> Result<B, String>,
) -> ExitCode {
    init_logging();
    let binary = info.binary;
    let env = |name: &str| std::env::var(name).ok();
    let resolved = args
        .resolve(profile, &env)
        .and_then(|config| Ok((args.listen.resolve(&env)?, config)))
        .map_err(|err| err.to_string());
    let (http, mut config) = match resolved {
        Ok(resolved) => resolved,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            return ExitCode::from(2);
        }
    };
    // With --redis the tasks, the --rate-limit buckets, the key rests and the usage totals
    // are kept there, shared by every replica; a Redis that cannot be reached stops it here.
    let tasks = match &args.redis {
        None => args.tasks.resolve(binary, &env),
        Some(url) => match crate::limits::SharedLimits::connect(url).await {
            Ok(redis) => {
                let tasks = args.tasks.resolve_shared(binary, &redis).map(Some);
                config.shared = Some(redis);
                tasks
            }
            Err(err) => Err(err.to_string()),
        },
    };
    let built = tasks.and_then(|tasks| make(&config).map(|backend| (backend, tasks)));
    let (backend, tasks) = match built {
        Ok(built) => built,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(warning) = config.key_source.warning() {
        tracing::warn!("{binary}: {warning}");
    }
    let shared = config.shared.clone();
    let mut server = LlmServer::new(backend, config, binary).with_tasks(tasks);
    if let Some(redis) = shared {
        server = server.with_shared_limits(redis);
    }
    let served = match http {
        Some(http) => {
            let make = move || server.clone();
            crate::transport::serve_http(make, http, binary, terminated())
                .await
                .map_err(Into::into)
        }
        None => {
            if std::io::stdin().is_terminal() {
                // Words for the person at the terminal, on stderr and whatever RUST_LOG says
                // (a log line would hide them at the default `warn`).
                eprintln!("{}", terminal_notice(info));
            }
            serve_stdio(server).await
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{binary}: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_notice_says_what_this_is_and_how_to_try_it() {
        for backend in super::super::BACKENDS {
            let notice = terminal_notice(backend);
            assert!(notice.contains("MCP server"), "{notice}");
            let call = format!("llm-mcp call \"hello\" -- {}", backend.binary);
            assert!(notice.contains(&call), "{notice}");
            assert!(
                notice.contains("@modelcontextprotocol/inspector"),
                "{notice}"
            );
        }
    }
}
