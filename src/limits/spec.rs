//! The text of a rate limit: `RPM` or `RPM,TPM`, requests and tokens per minute.

use std::fmt;

use serde::Deserialize;

use crate::config_error::ConfigError;

/// Requests and (optionally) tokens per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateSpec {
    /// Requests per minute; a burst of this many may go at once.
    pub requests_per_minute: u32,
    /// Tokens (input plus output, as each answer reports) per minute, when limited.
    pub tokens_per_minute: Option<u64>,
}

impl RateSpec {
    /// Parses `RPM` or `RPM,TPM`: positive whole numbers, `0` for TPM meaning none. `what`
    /// names the flag or field in the error.
    pub fn parse(text: &str, what: &str) -> Result<Self, ConfigError> {
        let bad = || {
            ConfigError(format!(
                "{what} {text:?}: expected REQUESTS[,TOKENS] per minute, such as 60 or 60,100000"
            ))
        };
        let (requests, tokens) = match text.split_once(',') {
            Some((requests, tokens)) => (requests, Some(tokens)),
            None => (text, None),
        };
        let requests_per_minute: u32 = requests.trim().parse().map_err(|_| bad())?;
        if requests_per_minute == 0 {
            return Err(bad());
        }
        let tokens_per_minute = match tokens {
            Some(tokens) => Some(tokens.trim().parse::<u64>().map_err(|_| bad())?),
            None => None,
        }
        .filter(|t| *t > 0);
        Ok(Self {
            requests_per_minute,
            tokens_per_minute,
        })
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requests", self.requests_per_minute)?;
        if let Some(tokens) = self.tokens_per_minute {
            write!(f, " and {tokens} tokens")?;
        }
        f.write_str(" per minute")
    }
}

/// In a config file: the flag's text, or a number of requests per minute.
impl<'de> Deserialize<'de> for RateSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Number(u64),
            Text(String),
        }
        let text = match Shape::deserialize(deserializer)? {
            Shape::Number(n) => n.to_string(),
            Shape::Text(text) => text,
        };
        Self::parse(&text, "rate_limit").map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_optional_tokens() {
        let spec = RateSpec::parse("60", "--rate-limit").unwrap();
        assert_eq!(spec.requests_per_minute, 60);
        assert_eq!(spec.tokens_per_minute, None);
        let spec = RateSpec::parse("60, 100000", "--rate-limit").unwrap();
        assert_eq!(spec.tokens_per_minute, Some(100_000));
        assert_eq!(spec.to_string(), "60 requests and 100000 tokens per minute");
        assert_eq!(RateSpec::parse("5,0", "x").unwrap().tokens_per_minute, None);
        for bad in ["", "0", "-1", "1.5", "60,", "60,x", "a,b", "60,1,2"] {
            let err = RateSpec::parse(bad, "--rate-limit").unwrap_err();
            assert!(err.0.starts_with("--rate-limit"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_config_file_gives_text_or_a_number() {
        let spec: RateSpec = serde_json::from_str("\"10,500\"").unwrap();
        assert_eq!(spec.tokens_per_minute, Some(500));
        let spec: RateSpec = serde_json::from_str("10").unwrap();
        assert_eq!(spec.requests_per_minute, 10);
        let err = serde_json::from_str::<RateSpec>("\"ten\"").unwrap_err();
        assert!(err.to_string().contains("rate_limit"), "{err}");
    }
}
