//! The flags of an HTTP listener, shared by every backend and `llm-mcp serve`, and what they
//! resolve to at start.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::config_error::ConfigError;
use crate::secret::Secret;

/// The shortest bearer token accepted: anything shorter can be guessed.
const MIN_TOKEN_LEN: usize = 16;

/// The origins a loopback listener admits without `--allow-origin`: pages served from this
/// machine (the MCP Inspector, a local web client). Every other `Origin` is refused.
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// Serving MCP over Streamable HTTP instead of stdio.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListenArgs {
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio (for example
    /// 127.0.0.1:8931; port 0 picks a free one, printed on stderr), or on a Unix socket,
    /// unix:PATH (mode 0600, in a directory only its owner may write). Any address other than
    /// loopback or a socket needs --auth-token-env.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The environment variable holding the bearer token HTTP clients must send
    /// (`Authorization: Bearer TOKEN`, 16 characters at least). Required off loopback.
    #[arg(long, value_name = "NAME", requires = "listen")]
    pub auth_token_env: Option<String>,
    /// A browser origin allowed to call the HTTP listener, such as `https://app.example.com:443`
    /// (repeatable; `:*` allows any port). Requests with any other Origin header are refused;
    /// a loopback listener also allows `http://localhost`, `127.0.0.1` and `[::1]` on any port.
    #[arg(long, value_name = "ORIGIN", requires = "listen")]
    pub allow_origin: Vec<String>,
    /// On SIGTERM or SIGINT, how long calls in flight over HTTP may run on before they are
    /// cancelled; new connections are refused at once.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        requires = "listen"
    )]
    pub drain_timeout: f64,
}

/// Where a listener listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket at this path (`unix:PATH`).
    Unix(PathBuf),
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A resolved HTTP listener.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen.
    pub addr: ListenAddr,
    /// The bearer token every request must carry, when one is set.
    pub token: Option<Secret>,
    /// Browser origins allowed (loopback ones included for a loopback listener).
    pub allowed_origins: Vec<String>,
    /// How long in-flight calls may finish at shutdown.
    pub drain: Duration,
}

impl HttpOptions {
    /// Whether only this machine can reach the listener: a loopback address, or a Unix
    /// socket (which only its owner may open, mode 0600).
    pub fn loopback(&self) -> bool {
        match &self.addr {
            ListenAddr::Tcp(addr) => addr.ip().is_loopback(),
            ListenAddr::Unix(_) => true,
        }
    }
}

impl ListenArgs {
    /// `None` without `--listen`; otherwise the listener, its token read through `env`. An
    /// address reachable from other machines without a token is refused.
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<HttpOptions>, ConfigError> {
        let Some(listen) = &self.listen else {
            return Ok(None);
        };
        let addr = parse_addr(listen)?;
        let token = match &self.auth_token_env {
            Some(name) => Some(read_token(name, env)?),
            None => None,
        };
        let local = match &addr {
            ListenAddr::Tcp(addr) => addr.ip().is_loopback(),
            ListenAddr::Unix(_) => true,
        };
        if token.is_none() && !local {
            return Err(ConfigError(format!(
                "--listen {listen} is reachable from other machines: set a bearer token with --auth-token-env NAME (for example NAME=$(openssl rand -hex 32)), or listen on 127.0.0.1"
            )));
        }
        let drain = Duration::try_from_secs_f64(self.drain_timeout).map_err(|_| {
            ConfigError(format!(
                "--drain-timeout {}: expected a number of seconds",
                self.drain_timeout
            ))
        })?;
        let mut allowed_origins = self.allow_origin.clone();
        for origin in &allowed_origins {
            check_origin(origin)?;
        }
        if local {
            allowed_origins.extend(LOOPBACK_ORIGINS.map(String::from));
        }
        Ok(Some(HttpOptions {
            addr,
            token,
            allowed_origins,
            drain,
        }))
    }
}

/// `unix:PATH`, `IP:PORT`, or `localhost:PORT` and other names that resolve (the first
/// address wins).
fn parse_addr(text: &str) -> Result<ListenAddr, ConfigError> {
    if let Some(path) = text.strip_prefix("unix:") {
        if !cfg!(unix) {
            return Err(ConfigError(format!(
                "--listen {text}: Unix sockets exist on Unix only; listen on 127.0.0.1:PORT"
            )));
        }
        if path.is_empty() || path.ends_with('/') {
            return Err(ConfigError(format!(
                "--listen {text}: expected unix:PATH, the socket's file"
            )));
        }
        return Ok(ListenAddr::Unix(PathBuf::from(path)));
    }
    parse_tcp(text).map(ListenAddr::Tcp)
}

fn parse_tcp(text: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let expected = || {
        ConfigError(format!(
            "--listen {text}: expected HOST:PORT, such as 127.0.0.1:8931 or 0.0.0.0:8931, or unix:PATH"
        ))
    };
    text.to_socket_addrs()
        .map_err(|_| expected())?
        .next()
        .ok_or_else(expected)
}

fn read_token(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Secret, ConfigError> {
    let token = env(name).map(|t| t.trim().to_string()).unwrap_or_default();
    if token.is_empty() {
        return Err(ConfigError(format!(
            "--auth-token-env {name}: ${name} is not set"
        )));
    }
    if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError(format!(
            "--auth-token-env {name}: the token must be at least {MIN_TOKEN_LEN} printable ASCII characters without spaces (for example $(openssl rand -hex 32))"
        )));
    }
    Ok(Secret::new(token))
}

fn check_origin(origin: &str) -> Result<(), ConfigError> {
    let base = origin.strip_suffix(":*").unwrap_or(origin);
    let url = url::Url::parse(base).ok();
    let plain = url.as_ref().is_some_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.path() == "/"
            && !base.ends_with('/')
            && url.query().is_none()
    });
    if plain || origin == "null" {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "--allow-origin {origin}: expected SCHEME://HOST[:PORT] such as https://app.example.com:443 (`:*` for any port)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: ListenArgs, vars: &[(&str, &str)]) -> Result<Option<HttpOptions>, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        args.resolve(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .map_err(|err| err.0)
    }

    fn listen(addr: &str) -> ListenArgs {
        ListenArgs {
            listen: Some(addr.into()),
            drain_timeout: 30.0,
            ..Default::default()
        }
    }

    #[test]
    fn without_listen_there_is_no_listener() {
        assert!(resolve(ListenArgs::default(), &[]).unwrap().is_none());
    }

    #[test]
    fn loopback_needs_no_token_and_admits_local_origins() {
        let options = resolve(listen("127.0.0.1:0"), &[]).unwrap().unwrap();
        assert!(options.loopback() && options.token.is_none());
        assert!(
            options
                .allowed_origins
                .contains(&"http://localhost:*".to_string())
        );
        let options = resolve(listen("localhost:8931"), &[]).unwrap().unwrap();
        assert!(options.loopback());
    }

    #[cfg(unix)]
    #[test]
    fn a_unix_socket_is_local_and_needs_no_token() {
        let options = resolve(listen("unix:/run/user/1/llm-mcp/serve.sock"), &[]);
        let options = options.unwrap().unwrap();
        assert!(options.loopback() && options.token.is_none());
        assert_eq!(
            options.addr,
            ListenAddr::Unix("/run/user/1/llm-mcp/serve.sock".into())
        );
        assert_eq!(
            options.addr.to_string(),
            "unix:/run/user/1/llm-mcp/serve.sock"
        );
        for bad in ["unix:", "unix:/tmp/dir/"] {
            let err = resolve(listen(bad), &[]).unwrap_err();
            assert!(err.contains("expected unix:PATH"), "{bad}: {err}");
        }
    }

    #[test]
    fn any_other_address_needs_a_long_enough_token() {
        let err = resolve(listen("0.0.0.0:8931"), &[]).unwrap_err();
        assert!(err.contains("--auth-token-env"), "{err}");
        let mut args = listen("0.0.0.0:8931");
        args.auth_token_env = Some("TOKEN".into());
        let err = resolve(args.clone(), &[]).unwrap_err();
        assert!(err.contains("$TOKEN is not set"), "{err}");
        let err = resolve(args.clone(), &[("TOKEN", "short")]).unwrap_err();
        assert!(err.contains("at least 16"), "{err}");
        let err = resolve(args.clone(), &[("TOKEN", "has a space in it, sadly")]).unwrap_err();
        assert!(err.contains("without spaces"), "{err}");
        let options = resolve(args, &[("TOKEN", "0123456789abcdef0123")])
            .unwrap()
            .unwrap();
        assert_eq!(options.token.unwrap().expose(), "0123456789abcdef0123");
        assert!(options.allowed_origins.is_empty());
        // The error never shows the token.
        let mut args = listen("0.0.0.0:1");
        args.auth_token_env = Some("TOKEN".into());
        let err = resolve(args, &[("TOKEN", "tiny-secret")]).unwrap_err();
        assert!(!err.contains("tiny-secret"), "{err}");
    }

    #[test]
    fn bad_addresses_and_origins_are_refused() {
        assert!(resolve(listen("nonsense"), &[]).is_err());
        assert!(resolve(listen("127.0.0.1"), &[]).is_err());
        for origin in [
            "https://app.example.com",
            "https://app.example.com:443",
            "http://localhost:*",
            "null",
        ] {
            let mut args = listen("127.0.0.1:0");
            args.allow_origin = vec![origin.into()];
            assert!(resolve(args, &[]).is_ok(), "{origin}");
        }
        for origin in [
            "app.example.com",
            "https://app.example.com/",
            "ftp://x",
            "*",
        ] {
            let mut args = listen("127.0.0.1:0");
            args.allow_origin = vec![origin.into()];
            assert!(resolve(args, &[]).is_err(), "{origin}");
        }
    }
}
