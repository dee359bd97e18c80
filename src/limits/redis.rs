//! Rate-limit buckets in Redis (`--redis URL`), so every replica of a server holds one
//! limit: 100 requests a minute across four replicas lets 100 through, not 400.
//!
//! Each limit is one hash (`llm-mcp:rate:NAME:RPM:TPM`) updated by one Lua script, atomic in
//! Redis, on Redis's own clock (`TIME`), so replicas whose clocks differ still agree. The
//! script is [`super::bucket`]'s arithmetic written again; tests/redis.rs runs it in a real
//! redis-server, with two replicas holding one limit.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::spec::RateSpec;

/// How long one Redis command may take before the call fails `[unreachable]`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A bucket hash unused this long is dropped by Redis.
const IDLE_EXPIRY_S: u64 = 3600;

/// The buckets, as `bucket.rs` has them: refill continuously up to a minute's allowance;
/// `reserve` takes a place in line unless the wait exceeds ARGV[4] (answered negative: the
/// wait, nothing taken); `refund` gives a place back; `charge` takes ARGV[4] tokens;
/// `token_wait` says how long until the token bucket holds one. Numbers go back as text:
/// Redis would cut a Lua number to an integer.
const SCRIPT: &str = r"
local op = ARGV[1]
local rcap = tonumber(ARGV[2])
local tcap = tonumber(ARGV[3])
local arg = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local s = redis.call('HMGET', KEYS[1], 'rl', 'ra', 'tl', 'ta')
local rl = tonumber(s[1]) or rcap
local ra = tonumber(s[2]) or now
local tl = tonumber(s[3]) or tcap
local ta = tonumber(s[4]) or now
local function refill(level, at, cap)
  if now > at then
    level = math.min(cap, level + (now - at) * cap / 60)
    at = now
  end
  return level, at
end
local function wait_one(level, cap)
  if level >= 1 then return 0 end
  return (1 - level) / (cap / 60)
end
rl, ra = refill(rl, ra, rcap)
if tcap >= 0 then tl, ta = refill(tl, ta, tcap) end
local result = 0
if op == 'reserve' then
  local w = wait_one(rl, rcap)
  if tcap >= 0 then w = math.max(w, wait_one(tl, tcap)) end
  if w > arg then
    result = -w
  else
    rl = rl - 1
    result = w
  end
elseif op == 'refund' then
  rl = math.min(rcap, rl + 1)
elseif op == 'charge' then
  if tcap >= 0 then tl = tl - arg end
elseif op == 'token_wait' then
  if tcap >= 0 then result = wait_one(tl, tcap) end
end
redis.call('HSET', KEYS[1], 'rl', tostring(rl), 'ra', tostring(ra), 'tl', tostring(tl), 'ta', tostring(ta))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return string.format('%.6f', result)
";

/// A connection to the Redis that holds the buckets, shared by every limiter of a process.
#[derive(Clone)]
pub struct SharedLimits {
    connection: ConnectionManager,
    script: std::sync::Arc<redis::Script>,
}

impl std::fmt::Debug for SharedLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedLimits")
    }
}

/// `url` without its password, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(a URL that does not parse)".into(),
    }
}

impl SharedLimits {
    /// Connects to the Redis at `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]`, `rediss://`
    /// for TLS is not built in); the error never shows a password.
    pub async fn connect(url: &str) -> Result<Self, crate::config_error::ConfigError> {
        let shown = redacted(url);
        let client = redis::Client::open(url).map_err(|_| {
            crate::config_error::ConfigError(format!(
                "--redis {shown}: expected redis://[:PASSWORD@]HOST[:PORT][/DB]"
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|err| {
                crate::config_error::ConfigError(format!("--redis {shown}: cannot connect: {err}"))
            })?;
        Ok(Self {
            connection,
            script: std::sync::Arc::new(redis::Script::new(SCRIPT)),
        })
    }

    /// The connection, for the other state kept in the same Redis (tasks).
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Runs the bucket script on the limit `name` with `spec`: `op` with `arg`.
    pub(crate) async fn run(
        &self,
        name: &str,
        spec: RateSpec,
        op: &str,
        arg: f64,
    ) -> Result<f64, String> {
        let tokens = spec.tokens_per_minute.map_or(-1.0, |t| t as f64);
        let key = format!(
            "llm-mcp:rate:{name}:{}:{}",
            spec.requests_per_minute,
            spec.tokens_per_minute.unwrap_or(0)
        );
        let mut connection = self.connection.clone();
        let answer: String = self
            .script
            .key(key)
            .arg(op)
            .arg(f64::from(spec.requests_per_minute))
            .arg(tokens)
            .arg(arg)
            .arg(IDLE_EXPIRY_S)
            .invoke_async(&mut connection)
            .await
            .map_err(|err| format!("the shared rate limit in Redis cannot be reached: {err}"))?;
        answer
            .parse()
            .map_err(|_| format!("the rate-limit script answered {answer:?}"))
    }
}
